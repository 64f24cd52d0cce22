"""Planners' and buyers' questions answered from the published snapshot (`tower ask`,
`tower kpi`). Plain Python, no Dagster: each question opens the read-only snapshot,
so it works while a pipeline runs (the publisher replaces the file by rename), and
returns an Answer: one sentence a person reads, plus the rows behind it.
Values from the user are always SQL parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb


class AnswerError(Exception):
    """The question cannot be answered (no snapshot, an unreadable snapshot)."""


class UnknownId(AnswerError):
    """The item, site, order, customer, supplier or KPI is not in the snapshot."""


@dataclass
class Answer:
    question: str
    sentence: str
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"question": self.question, "sentence": self.sentence,
                "columns": self.columns,
                "rows": [{c: _plain(v) for c, v in zip(self.columns, row)}
                         for row in self.rows]}


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _num(value) -> str:
    """A quantity or amount as people write it: 1,250 or 12.5."""
    if value is None:
        return "n/a"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class _Snapshot:
    """A read-only connection to the published warehouse."""

    def __init__(self, published: Path):
        if not Path(published).exists():
            raise AnswerError(f"no published warehouse at {published}: run `make run` first")
        try:
            self.con = duckdb.connect(str(published), read_only=True)
        except duckdb.Error as exc:
            raise AnswerError(f"cannot open the published warehouse {published}: "
                              f"{str(exc).splitlines()[0]}") from exc

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        try:
            return self.con.execute(sql, params or []).fetchall()
        except duckdb.CatalogException as exc:
            raise AnswerError(f"the published warehouse lacks a mart this question "
                              f"reads ({str(exc).splitlines()[0]}): run `make run` "
                              f"to publish a complete one") from exc

    def columns(self, sql: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        rows = self.rows(sql, params)
        return [d[0] for d in self.con.description], rows

    def exists(self, sql: str, params: list) -> bool:
        return bool(self.rows(sql, params))

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.con.close()


def _require_site(db: _Snapshot, site: str) -> None:
    if not db.exists("SELECT 1 FROM marts.dim_site WHERE site_id = ?", [site]):
        raise UnknownId(f"unknown site {site!r}")


# -- availability --------------------------------------------------------------------

def availability(published: Path, item: str, site: str | None = None,
                 qty: float = 1) -> Answer:
    """When `qty` units of an item are available, per site: available now, scheduled
    receipts, and the earliest date from item_availability_timeline."""
    with _Snapshot(published) as db:
        if not db.exists("SELECT 1 FROM marts.dim_item WHERE item_id = ? UNION ALL "
                         "SELECT 1 FROM marts.item_availability WHERE item_id = ?",
                         [item, item]):
            raise UnknownId(f"unknown item {item!r}")
        if site is not None:
            _require_site(db, site)
        columns, rows = db.columns("""
            SELECT a.site_id, a.qty_on_hand, a.qty_allocated, a.qty_blocked,
                   a.qty_available_now, a.qty_scheduled_receipts, a.next_receipt_date,
                   CAST(? AS DECIMAL(18, 4)) AS qty_needed,
                   (SELECT min(t.available_on) FROM marts.item_availability_timeline t
                     WHERE t.item_id = a.item_id AND t.site_id = a.site_id
                       AND t.cumulative_available_qty >= ?) AS earliest_date,
                   a.as_of_date
            FROM marts.item_availability a
            WHERE a.item_id = ? AND (CAST(? AS VARCHAR) IS NULL OR a.site_id = ?)
            ORDER BY earliest_date NULLS LAST, a.site_id""",
            [qty, qty, item, site, site])
    where = f" at {site}" if site else ""
    need = _num(qty)
    units, verb = ("unit", "is") if Decimal(str(qty)) == 1 else ("units", "are")
    if not rows:
        sentence = (f"Item {item} has no stock and no scheduled supply{where}: "
                    f"{need} {units} {verb} not in sight.")
        return Answer("availability", sentence, columns, rows)
    best = rows[0]
    site_id, now, receipts, earliest, as_of = best[0], best[4], best[5], best[8], best[9]
    if earliest is None:
        most = max(rows, key=lambda r: r[4] + r[5])
        sentence = (f"{need} {units} of item {item} {verb} not in sight: available now plus "
                    f"scheduled receipts reach {_num(most[4] + most[5])} at {most[0]}"
                    f"{'' if len(rows) == 1 else ', the most of any site'}.")
    elif earliest <= as_of:
        sentence = (f"{need} {units} of item {item} {verb} available now at {site_id} "
                    f"({_num(now)} available, {_num(receipts)} more scheduled).")
    else:
        sentence = (f"{need} {units} of item {item} will be available at {site_id} on "
                    f"{earliest.isoformat()} ({_num(now)} available now, {_num(receipts)} "
                    f"scheduled, next receipt {best[6].isoformat() if best[6] else 'n/a'}).")
    if len(rows) > 1 and not site:
        sentence = sentence[:-1] + f"; {len(rows)} sites below."
    return Answer("availability", sentence, columns, rows)


# -- why-late ------------------------------------------------------------------------

def why_late(published: Path, so_id: str) -> Answer:
    """Per line of a sales order: on time or not, and for a late line its root cause and
    the evidence (order_delay_reasons)."""
    with _Snapshot(published) as db:
        columns, rows = db.columns("""
            SELECT l.so_line, l.item_id, l.site_id, l.deadline, l.first_delivery_date,
                   l.qty_ordered, l.qty_delivered_by_deadline,
                   CASE WHEN NOT l.is_counted THEN 'not counted (' || l.status || ')'
                        WHEN l.otif THEN 'on time in full'
                        WHEN NOT l.on_time AND NOT l.in_full THEN 'late and short'
                        WHEN NOT l.on_time THEN 'late'
                        ELSE 'short' END AS outcome,
                   r.delay_reason, r.evidence_po_id, r.evidence_po_line, r.evidence_mo_id,
                   r.evidence_shipment_id, r.first_stock_out_date
            FROM marts.fct_sales_order_lines l
            LEFT JOIN marts.order_delay_reasons r
              ON r.so_id = l.so_id AND r.so_line = l.so_line
            WHERE l.so_id = ?
            ORDER BY try_cast(l.so_line AS INTEGER), l.so_line""", [so_id])
    if not rows:
        raise UnknownId(f"unknown sales order {so_id!r}")
    late = [r for r in rows if r[8] is not None]
    counted = [r for r in rows if not r[7].startswith("not counted")]
    if late:
        causes = "; ".join(f"line {r[0]} {r[8].replace('_', ' ')}{_evidence(r)}"
                           for r in late)
        sentence = (f"Sales order {so_id} was late on {len(late)} of "
                    f"{_plural(len(rows), 'line')}: {causes}.")
    elif counted:
        sentence = (f"Sales order {so_id} was on time and in full "
                    f"({_plural(len(counted), 'line')} due).")
    else:
        sentence = (f"Sales order {so_id} has no line due yet or counted "
                    f"({_plural(len(rows), 'line')}: {', '.join(sorted({r[7] for r in rows}))}).")
    return Answer("why-late", sentence, columns, rows)


def _evidence(row: tuple) -> str:
    po, po_line, mo, shipment = row[9], row[10], row[11], row[12]
    if po:
        return f" (PO {po} line {po_line})"
    if mo:
        return f" (production order {mo})"
    if shipment:
        return f" (shipment {shipment})"
    return ""


# -- last-order ----------------------------------------------------------------------

def last_order(published: Path, customer: str) -> Answer:
    """When a customer last ordered, what, and how often lately (customer_last_order)."""
    with _Snapshot(published) as db:
        columns, rows = db.columns("""
            SELECT customer_id, customer_name, last_order_date, last_order_id,
                   last_item_ordered, orders_last_90_days, days_since_last_order, as_of_date
            FROM marts.customer_last_order WHERE customer_id = ?""", [customer])
        if not rows:
            known = db.rows("SELECT partner_name FROM marts.dim_partner "
                            "WHERE partner_id = ? AND role = 'customer'", [customer])
            if not known:
                raise UnknownId(f"unknown customer {customer!r}")
            return Answer("last-order", f"Customer {customer} ({known[0][0]}) has not "
                          f"ordered yet.", columns, [])
    r = rows[0]
    name = f" ({r[1]})" if r[1] else ""
    sentence = (f"Customer {customer}{name} last ordered on {r[2].isoformat()} "
                f"({_plural(r[6], 'day')} ago): order {r[3]}, item {r[4]}; "
                f"{_plural(r[5], 'order')} in the last 90 days.")
    return Answer("last-order", sentence, columns, rows)


# -- chase ---------------------------------------------------------------------------

def chase(published: Path, supplier: str | None = None, limit: int = 10) -> Answer:
    """The purchase order lines to chase, most urgent first (po_chase_list), for one
    supplier or all."""
    with _Snapshot(published) as db:
        names = [] if supplier is None else db.rows(
            "SELECT partner_name FROM marts.dim_partner WHERE partner_id = ? AND role = "
            "'supplier' UNION ALL SELECT supplier_name FROM marts.po_chase_list "
            "WHERE supplier_id = ?", [supplier, supplier])
        if supplier is not None and not names:
            raise UnknownId(f"unknown supplier {supplier!r}")
        scope = "(CAST(? AS VARCHAR) IS NULL OR supplier_id = ?)"
        total = db.rows(f"""
            SELECT count(*), coalesce(sum(value_at_risk_cc), 0), count(*) FILTER (is_overdue)
            FROM marts.po_chase_list WHERE {scope}""", [supplier, supplier])[0]
        columns, rows = db.columns(f"""
            SELECT priority_rank, supplier_id, po_id, po_line, item_id, site_id,
                   chase_reason, days_late, qty_open, value_at_risk_cc, suggested_action,
                   supplier_contact_email
            FROM marts.po_chase_list WHERE {scope}
            ORDER BY priority_rank LIMIT ?""", [supplier, supplier, limit])
    count, value, overdue = total
    name = next((n for (n,) in names if n), None)
    who = "" if supplier is None else f" with {name} ({supplier})" if name else f" with {supplier}"
    if not count:
        return Answer("chase", f"Nothing to chase{who}: no open PO line needs action.",
                      columns, rows)
    first = rows[0]
    shown = f"; top {len(rows)} below" if len(rows) < count else ""
    sentence = (f"{_plural(count, 'PO line')} to chase{who} ({overdue} overdue, "
                f"{_num(round(value, 2))} at risk in company currency){shown}; first: "
                f"PO {first[2]} line {first[3]}, {first[6].replace('_', ' ')}, "
                f"{first[10].replace('_', ' ')}.")
    return Answer("chase", sentence, columns, rows)


# -- kpi -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Kpi:
    short: str            # in the sentence of `tower kpi`
    label: str
    unit: str
    source: str
    sql: str              # month, value: one row per month, company-wide


KPIS: dict[str, Kpi] = {
    "otif_line_pct": Kpi(
        "OTIF", "customer OTIF, lines", "%", "kpi_service_level_monthly",
        "SELECT month, otif_line_pct FROM marts.kpi_service_level_monthly "
        "WHERE lines_counted > 0"),
    "on_time_line_pct": Kpi(
        "on time", "customer on time, lines", "%", "kpi_service_level_monthly",
        "SELECT month, on_time_line_pct FROM marts.kpi_service_level_monthly "
        "WHERE lines_counted > 0"),
    "fill_rate_line_pct": Kpi(
        "fill rate", "line fill rate", "%", "kpi_service_level_monthly",
        "SELECT month, fill_rate_line_pct FROM marts.kpi_service_level_monthly "
        "WHERE lines_counted > 0"),
    "fill_rate_unit_pct": Kpi(
        "unit fill rate", "unit fill rate", "%", "kpi_service_level_monthly",
        "SELECT month, fill_rate_unit_pct FROM marts.kpi_service_level_monthly "
        "WHERE lines_counted > 0"),
    "perfect_order_pct": Kpi(
        "perfect orders", "perfect orders", "%", "kpi_service_level_monthly",
        "SELECT month, perfect_order_pct FROM marts.kpi_service_level_monthly "
        "WHERE lines_counted > 0"),
    "supplier_otd_pct": Kpi(
        "supplier OTD", "supplier on-time delivery, PO lines due", "%", "kpi_supplier_performance_monthly",
        "SELECT month, round(100.0 * sum(lines_on_time) / sum(lines_due), 2) "
        "FROM marts.kpi_supplier_performance_monthly GROUP BY month "
        "HAVING sum(lines_due) > 0"),
    "supplier_otif_pct": Kpi(
        "supplier OTIF", "supplier OTIF, PO lines due", "%", "kpi_supplier_performance_monthly",
        "SELECT month, round(100.0 * sum(lines_otif) / sum(lines_due), 2) "
        "FROM marts.kpi_supplier_performance_monthly GROUP BY month "
        "HAVING sum(lines_due) > 0"),
    "inventory_turns": Kpi(
        "inventory turns", "inventory turns, last 12 months", "x", "kpi_inventory_monthly",
        "SELECT month, round(sum(cogs_ltm) / sum(avg_inventory_value_ltm), 2) "
        "FROM marts.kpi_inventory_monthly GROUP BY month "
        "HAVING sum(avg_inventory_value_ltm) > 0"),
    "inventory_value_cc": Kpi(
        "inventory value", "inventory value at month end", "company currency", "kpi_inventory_monthly",
        "SELECT month, round(sum(inventory_value_cc), 2) FROM marts.kpi_inventory_monthly "
        "GROUP BY month"),
    "excess_obsolete_value_cc": Kpi(
        "E&O value", "excess and obsolete stock value", "company currency", "kpi_inventory_monthly",
        "SELECT month, round(sum(coalesce(excess_value_cc, 0) + "
        "coalesce(obsolete_value_cc, 0)), 2) FROM marts.kpi_inventory_monthly "
        "GROUP BY month"),
    "stock_out_rate_pct": Kpi(
        "stock-out rate", "stock-out days of stocked days", "%", "kpi_inventory_monthly",
        "SELECT month, round(100.0 * sum(stock_out_days) / sum(stocked_days), 2) "
        "FROM marts.kpi_inventory_monthly GROUP BY month HAVING sum(stocked_days) > 0"),
    "forecast_wape_pct": Kpi(
        "forecast WAPE", "forecast WAPE, 1 week ahead", "%", "forecast_accuracy",
        "SELECT CAST(date_trunc('month', week) AS DATE), "
        "round(100.0 * sum(abs_error_qty) / sum(actual_qty), 2) "
        "FROM marts.forecast_accuracy WHERE lag_weeks = 1 GROUP BY 1 "
        "HAVING sum(actual_qty) > 0"),
    "forecast_bias_pct": Kpi(
        "forecast bias", "forecast bias, 1 week ahead (positive: over-forecast)", "%", "forecast_accuracy",
        "SELECT CAST(date_trunc('month', week) AS DATE), "
        "round(100.0 * sum(error_qty) / sum(actual_qty), 2) "
        "FROM marts.forecast_accuracy WHERE lag_weeks = 1 GROUP BY 1 "
        "HAVING sum(actual_qty) > 0"),
    "cash_to_cash_days": Kpi(
        "cash-to-cash", "cash-to-cash cycle", "days", "fin_cash_to_cash_monthly",
        "SELECT month, round(cash_to_cash_days, 1) FROM marts.fin_cash_to_cash_monthly "
        "WHERE cash_to_cash_days IS NOT NULL"),
}


def _as_of(db: _Snapshot) -> dt.date | None:
    return db.rows("SELECT max(as_of_date) FROM (SELECT as_of_date FROM "
                   "marts.customer_last_order UNION ALL SELECT as_of_date FROM "
                   "marts.item_availability UNION ALL SELECT as_of_date FROM "
                   "marts.po_chase_list)")[0][0]


def _series(db: _Snapshot, kpi: Kpi) -> list[tuple]:
    return db.rows(f"SELECT * FROM ({kpi.sql}) AS s(month, value) "
                   f"WHERE value IS NOT NULL ORDER BY month")


def kpi(published: Path, name: str | None = None, month: str | None = None) -> Answer:
    """The headline KPIs of one month (default: the last closed month, the latest
    before the as-of month), or one KPI month by month."""
    if name is not None and name not in KPIS:
        raise UnknownId(f"unknown KPI {name!r}: one of {', '.join(KPIS)}")
    wanted = dt.date.fromisoformat(f"{month}-01") if month else None
    with _Snapshot(published) as db:
        as_of = _as_of(db)
        closed = as_of.replace(day=1) if as_of else None
        series = {n: _series(db, k) for n, k in KPIS.items() if name in (None, n)}

    def pick(points: list[tuple]) -> tuple | None:
        if wanted:
            return next((p for p in points if p[0] == wanted), None)
        before = [p for p in points if closed is None or p[0] < closed]
        return (before or points or [None])[-1]

    if name is not None:
        k, points = KPIS[name], series[name]
        columns = ["month", "value", "unit"]
        if wanted:
            point = pick(points)
            if point is None:
                raise UnknownId(f"no {name} for {month}: months with a value "
                                f"{_span([p[0] for p in points])}")
            return Answer("kpi", f"{_sentence_case(k.short)} was {_value(point[1], k)} in "
                          f"{month} ({k.label}; {name} from {k.source}).", columns,
                          [(f"{point[0]:%Y-%m}", point[1], k.unit)])
        rows = [(f"{m:%Y-%m}", v, k.unit) for m, v in points]
        latest = pick(points)
        if latest is None:
            return Answer("kpi", f"No {name} yet: {k.source} has no month with a value.",
                          columns, rows)
        return Answer("kpi", f"{_sentence_case(k.short)} was {_value(latest[1], k)} in "
                      f"{latest[0]:%Y-%m} ({k.label}; {name} from {k.source}, "
                      f"{_plural(len(rows), 'month')} below).", columns, rows)

    columns = ["kpi", "label", "month", "value", "unit", "source"]
    rows = []
    for n, k in KPIS.items():
        point = pick(series[n])
        rows.append((n, k.label, f"{point[0]:%Y-%m}" if point else None,
                     point[1] if point else None, k.unit, k.source))
    if wanted and all(r[3] is None for r in rows):
        every = sorted({p[0] for s in series.values() for p in s})
        raise UnknownId(f"no KPI has a value for {month}: months with values "
                        f"{_span(every)}")
    headline = {r[0]: r for r in rows}

    when = wanted or (closed - dt.timedelta(days=1)).replace(day=1) if closed or wanted \
        else max((r[2] for r in rows if r[2]), default=None)

    def part(n: str) -> str | None:
        r = headline[n]
        if r[3] is None or r[2] != f"{when:%Y-%m}":
            return None
        return f"{KPIS[n].short} {_value(r[3], KPIS[n])}"

    shown = [p for p in map(part, ("otif_line_pct", "fill_rate_line_pct",
                                   "supplier_otd_pct", "inventory_turns",
                                   "forecast_wape_pct")) if p]
    when = f"{when:%Y-%m}" if when else "any month"
    sentence = (f"In {when}: {', '.join(shown)}." if shown
                else f"No headline KPI has a value for {when} yet.")
    return Answer("kpi", sentence, columns, rows)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _value(value, kpi: Kpi) -> str:
    if kpi.unit == "%":
        return f"{_num(value)} %"
    if kpi.unit == "x":
        return f"{_num(value)}x"
    return f"{_num(value)} {kpi.unit}"


def _span(months: list[dt.date]) -> str:
    if not months:
        return "none"
    return f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}"
