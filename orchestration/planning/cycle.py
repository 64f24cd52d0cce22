"""The S&OP cycle calendar (plain Python): which month is a cycle and when it runs.

The cycle is the month of the as-of date (docs/conventions.md); its scheduled run is on
the first working day of the month, from marts.dim_date (weekends plus the holiday seed)
of the published snapshot — readers never open the live warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb


def cycle_of(day: date) -> date:
    """The S&OP cycle (first day of the month) a day belongs to."""
    return day.replace(day=1)


def first_working_day(month: date, published: Path) -> date:
    """First working day of the month per marts.dim_date; Monday-Friday when the
    snapshot (or its calendar for that month) is not there yet."""
    start = cycle_of(month)
    if published.exists():
        con = duckdb.connect(str(published), read_only=True)
        try:
            rows = con.execute(
                "SELECT min(date_day) FROM marts.dim_date WHERE is_working_day "
                "AND month = ?", [start]).fetchall()
        except duckdb.Error:
            rows = [(None,)]
        finally:
            con.close()
        if rows[0][0] is not None:
            return rows[0][0]
    day = start
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class MonthSpan:
    """The months of a warehouse: S&OP cycles (first complete month .. as-of month) and
    closed finance months (first complete month .. the month before the as-of date).
    Keys are 'YYYY-MM'."""

    first_month: date
    as_of: date

    @property
    def cycles(self) -> list[str]:
        return _months(self.first_month, cycle_of(self.as_of))

    @property
    def closed_months(self) -> list[str]:
        last_closed = cycle_of(cycle_of(self.as_of) - timedelta(days=1))
        return _months(self.first_month, last_closed)

    @property
    def current_cycle(self) -> str | None:
        return self.cycles[-1] if self.cycles else None

    @property
    def latest_closed_month(self) -> str | None:
        return self.closed_months[-1] if self.closed_months else None


def _months(first: date, last: date) -> list[str]:
    out, month = [], first
    while month <= last:
        out.append(f"{month.year:04d}-{month.month:02d}")
        month = (month + timedelta(days=32)).replace(day=1)
    return out


# The dated transactions whose earliest day starts the history (orders drive both the
# S&OP cycle and the finance months).
_HISTORY_STARTS = (
    ("staging", "stg_sales_order_lines", "order_date"),
    ("staging", "stg_purchase_order_lines", "order_date"),
)


def month_span(con: duckdb.DuckDBPyConnection) -> MonthSpan | None:
    """The MonthSpan of the warehouse open on `con`, or None before the first build
    (no as-of date, no orders). The first complete month is the month of the earliest
    order when that is the 1st, else the month after."""
    try:
        as_of = con.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()
        starts = [con.execute(f'SELECT min("{column}") FROM "{schema}"."{table}"'
                              ).fetchall()[0][0] for schema, table, column in _HISTORY_STARTS]
    except duckdb.CatalogException:
        return None
    starts = [s for s in starts if s is not None]
    if not as_of or as_of[0][0] is None or not starts:
        return None
    earliest = min(starts)
    first = earliest if earliest.day == 1 else (cycle_of(earliest) + timedelta(days=32)).replace(day=1)
    return MonthSpan(first_month=first, as_of=as_of[0][0])
