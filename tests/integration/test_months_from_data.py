"""Months come from the data, never from a date fixed for the demo company: the S&OP
cycles and closed finance months a warehouse spans (Dagster's dynamic partitions) and
the calendar (dim_date) follow its orders and as-of date, so a company whose history is
1996-1998 gets 1996-1998 cycles."""

from datetime import date

import dagster as dg

from orchestration.defs.partitions import CLOSED_MONTHS, SOP_CYCLES
from orchestration.planning.cycle import MonthSpan, month_span


def test_a_1990s_history_gets_its_own_months():
    span = MonthSpan(first_month=date(1996, 3, 1), as_of=date(1998, 6, 17))
    assert span.cycles[0] == "1996-03" and span.current_cycle == "1998-06"
    assert len(span.cycles) == 28
    assert span.closed_months[-1] == span.latest_closed_month == "1998-05"
    assert "1998-06" not in span.closed_months


def test_the_session_company_registers_its_months(built, warehouse):
    span = month_span(warehouse)
    first_order = warehouse.execute(
        "SELECT min(order_date) FROM (SELECT order_date FROM staging.stg_sales_order_lines "
        "UNION ALL SELECT order_date FROM staging.stg_purchase_order_lines)").fetchall()[0][0]
    as_of = warehouse.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0]
    expected_first = first_order if first_order.day == 1 else \
        date(first_order.year + first_order.month // 12, first_order.month % 12 + 1, 1)
    assert span.first_month == expected_first and span.as_of == as_of
    assert span.current_cycle == f"{as_of.year:04d}-{as_of.month:02d}"

    instance = dg.DagsterInstance.from_config(str(built.settings.data_dir / "dagster_home"))
    assert instance.get_dynamic_partitions(SOP_CYCLES.name) == span.cycles
    assert instance.get_dynamic_partitions(CLOSED_MONTHS.name) == span.closed_months
    # the current cycle was built by the run (S&OP marts keyed by cycle)
    cycles = {r[0] for r in warehouse.execute(
        "SELECT DISTINCT cycle FROM marts.sop_demand_plan").fetchall()}
    assert date.fromisoformat(span.current_cycle + "-01") in cycles


def test_the_calendar_spans_the_data(warehouse):
    first_order, as_of = warehouse.execute(
        "SELECT (SELECT min(order_date) FROM (SELECT order_date FROM staging.stg_sales_order_lines "
        "UNION ALL SELECT order_date FROM staging.stg_purchase_order_lines)), "
        "(SELECT as_of_date FROM intermediate.int_as_of)").fetchall()[0]
    start, end, days = warehouse.execute(
        "SELECT min(date_day), max(date_day), count(*) FROM marts.dim_date").fetchall()[0]
    assert start == date(min(first_order, as_of).year - 1, 1, 1)
    assert end == date(as_of.year + 3, 12, 31)
    assert days == (end - start).days + 1
