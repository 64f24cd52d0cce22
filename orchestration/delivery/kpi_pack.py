"""The monthly KPI pack (plain Python): a self-contained HTML report with charts and an
XLSX of the same figures, for the twelve months ending at the pack's month.

Charts are matplotlib SVG (Agg, text as paths) inlined in the HTML: no script, style
sheet, font or image is fetched, so the report renders offline and from a mail
attachment. Company-level figures are re-aggregated from the counts and sums of the
marts (never averages of percentages). docs/packs.md.
"""

from __future__ import annotations

import html
import io
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from .files import replace_folder
from .finance_pack import month_start
from .xlsx import PackWorkbook, SheetData

TRAILING_MONTHS = 12
# Forecast accuracy lags shown: next week and about a month ahead.
ACCURACY_LAGS = (1, 4)


@dataclass
class Chart:
    name: str           # sheet name and id in the HTML
    title: str
    source: str         # the marts it comes from
    columns: list[str]
    types: list[str]
    rows: list[tuple]
    note: str = ""


@dataclass
class KpiPackResult:
    month: str
    folder: Path
    html: Path
    workbook: Path
    charts: list[str]
    sheets: dict[str, int]
    sop_cycle: date | None


def _window(period: date) -> tuple[date, date]:
    year, month = period.year, period.month - (TRAILING_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), period


def _months(first: date, last: date) -> list[date]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def _query(con, sql: str, params: list) -> tuple[list[str], list[str], list[tuple]]:
    rel = con.execute(sql, params)
    return [d[0] for d in rel.description], [str(d[1]) for d in rel.description], rel.fetchall()


_SPINE = ("WITH months AS (SELECT CAST(m AS DATE) AS month FROM "
          "range(CAST($1 AS TIMESTAMP), CAST($2 AS TIMESTAMP) + INTERVAL 1 MONTH, "
          "INTERVAL 1 MONTH) t(m)) ")


def _pct(numerator: str, denominator: str) -> str:
    return (f"CAST(round(100.0 * {numerator} / nullif({denominator}, 0), 2) "
            f"AS DECIMAL(9,2))")


def collect(con: duckdb.DuckDBPyConnection, period: date) -> tuple[list[Chart], date | None]:
    """The data of every chart of the pack for the month starting `period`."""
    first, last = _window(period)
    params = [first, last]
    charts = []

    cols, types, rows = _query(con, _SPINE + """
        SELECT months.month, s.lines_counted, s.otif_line_pct, s.fill_rate_line_pct,
               s.fill_rate_unit_pct, s.fill_rate_order_pct
        FROM months LEFT JOIN marts.kpi_service_level_monthly s USING (month)
        ORDER BY months.month""", params)
    charts.append(Chart("service_level", "Customer service: OTIF and fill rate (%)",
                        "marts.kpi_service_level_monthly", cols, types, rows))

    cols, types, rows = _query(con, _SPINE + f"""
        , suppliers AS (
            SELECT month, sum(lines_due) AS lines_due, sum(lines_on_time) AS lines_on_time,
                   sum(lines_otif) AS lines_otif
            FROM marts.kpi_supplier_performance_monthly GROUP BY month)
        SELECT months.month, lines_due, lines_on_time,
               {_pct('lines_on_time', 'lines_due')} AS otd_pct,
               {_pct('lines_otif', 'lines_due')} AS otif_pct
        FROM months LEFT JOIN suppliers USING (month) ORDER BY months.month""", params)
    charts.append(Chart("supplier_otd", "Supplier on-time delivery and OTIF (%, all suppliers)",
                        "marts.kpi_supplier_performance_monthly", cols, types, rows))

    cols, types, rows = _query(con, _SPINE + """
        , sites AS (SELECT DISTINCT site_id FROM marts.kpi_inventory_monthly),
        stock AS (
            SELECT month, site_id, sum(inventory_value_cc) AS inventory_value_cc,
                   CAST(round(sum(cogs_ltm) / nullif(sum(avg_inventory_value_ltm), 0), 4)
                        AS DECIMAL(18,4)) AS turns
            FROM marts.kpi_inventory_monthly GROUP BY month, site_id)
        SELECT months.month, sites.site_id, stock.inventory_value_cc, stock.turns
        FROM months CROSS JOIN sites LEFT JOIN stock USING (month, site_id)
        ORDER BY months.month, sites.site_id""", params)
    charts.append(Chart("inventory", "Inventory value (company currency) and turns by site",
                        "marts.kpi_inventory_monthly", cols, types, rows,
                        note="Turns = COGS of the last twelve months / average inventory "
                             "over them, per site (one currency per site), as in "
                             "sop_kpi_scorecard."))

    lags = ", ".join(str(lag) for lag in ACCURACY_LAGS)
    cols, types, rows = _query(con, _SPINE + f"""
        , lags AS (SELECT unnest([{lags}]) AS lag_weeks),
        errors AS (
            SELECT CAST(date_trunc('month', week) AS DATE) AS month, lag_weeks,
                   count(*) AS forecasts, sum(actual_qty) AS actual_qty,
                   sum(abs_error_qty) AS abs_error_qty, sum(error_qty) AS error_qty,
                   sum(seasonal_naive_abs_error_qty) AS naive_abs_error_qty
            FROM marts.forecast_accuracy WHERE lag_weeks IN ({lags}) GROUP BY ALL)
        SELECT months.month, lags.lag_weeks, errors.forecasts,
               CAST(errors.actual_qty AS DECIMAL(18,4)) AS actual_qty,
               {_pct('abs_error_qty', 'actual_qty')} AS wape_pct,
               {_pct('error_qty', 'actual_qty')} AS bias_pct,
               {_pct('naive_abs_error_qty', 'actual_qty')} AS seasonal_naive_wape_pct
        FROM months CROSS JOIN lags LEFT JOIN errors USING (month, lag_weeks)
        ORDER BY months.month, lags.lag_weeks""", params)
    charts.append(Chart("forecast_accuracy", "Forecast accuracy: WAPE and bias (%) by lag",
                        "marts.forecast_accuracy", cols, types, rows,
                        note="Weekly item x site forecasts by the month of the forecast "
                             "week; WAPE and bias as in forecast_accuracy_summary "
                             "(positive bias = over-forecast)."))

    cycle = con.execute("SELECT max(cycle) FROM marts.sop_demand_plan WHERE cycle <= ?",
                        [period]).fetchall()[0][0]
    cols, types, rows = _query(con, """
        WITH demand AS (
            SELECT month, sum(consensus_qty) AS demand_qty FROM marts.sop_demand_plan
            WHERE cycle = $1 AND months_from_cycle >= 0 GROUP BY month),
        supply AS (
            SELECT month, sum(total_supply_qty) AS supply_qty,
                   sum(demonstrated_capacity_qty) AS capacity_qty
            FROM marts.sop_supply_plan WHERE cycle = $1 AND months_from_cycle >= 0
            GROUP BY month)
        SELECT CAST($1 AS DATE) AS cycle, month,
               CAST(demand_qty AS DECIMAL(18,4)) AS demand_qty,
               CAST(supply_qty AS DECIMAL(18,4)) AS supply_qty,
               CAST(capacity_qty AS DECIMAL(18,4)) AS capacity_qty
        FROM demand FULL OUTER JOIN supply USING (month) ORDER BY month""", [cycle])
    charts.append(Chart("sop_plan", "S&OP: consensus demand vs supply vs capacity (units)",
                        "marts.sop_demand_plan, marts.sop_supply_plan", cols, types, rows,
                        note=(f"Cycle {cycle:%Y-%m}, the latest on or before the pack month; "
                              "its horizon from the cycle month." if cycle else
                              f"No S&OP cycle on or before {period:%Y-%m} in the warehouse.")))

    cols, types, rows = _query(con, _SPINE + """
        , directions AS (SELECT unnest(['inbound', 'outbound', 'total']) AS direction),
        freight AS (
            SELECT month, CASE WHEN grouping(direction) = 1 THEN 'total' ELSE direction END
                       AS direction,
                   sum(freight_cost_cc) AS freight_cost_cc, sum(units_shipped) AS units
            FROM marts.kpi_freight_cost_monthly
            GROUP BY GROUPING SETS ((month, direction), (month)))
        SELECT months.month, directions.direction,
               CAST(freight.freight_cost_cc AS DECIMAL(18,4)) AS freight_cost_cc,
               CAST(freight.units AS DECIMAL(18,4)) AS units_shipped,
               CAST(round(freight.freight_cost_cc / nullif(freight.units, 0), 4)
                    AS DECIMAL(18,4)) AS freight_per_unit_cc
        FROM months CROSS JOIN directions LEFT JOIN freight USING (month, direction)
        ORDER BY months.month, directions.direction""", params)
    charts.append(Chart("freight_cost", "Freight cost per unit shipped (company currency)",
                        "marts.kpi_freight_cost_monthly", cols, types, rows))
    return charts, cycle


def _series(chart: Chart, x: str, y: str, by: str | None = None, value=None):
    ix, iy = chart.columns.index(x), chart.columns.index(y)
    ib = chart.columns.index(by) if by else None
    pts = [(r[ix], None if r[iy] is None else float(r[iy])) for r in chart.rows
           if ib is None or r[ib] == value]
    return [p[0] for p in pts], [float("nan") if v is None else v for _, v in pts]


def _svg(chart: Chart, period: date) -> str:
    """The chart as an inline SVG (deterministic: fixed hash salt, no metadata)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "control-tower", "svg.fonttype": "path",
                         "font.size": 9})
    fig, ax = plt.subplots(figsize=(7.5, 3.2), dpi=96)
    try:
        if chart.name == "service_level":
            for col, label in (("otif_line_pct", "OTIF (lines)"),
                               ("fill_rate_line_pct", "Line fill rate"),
                               ("fill_rate_unit_pct", "Unit fill rate")):
                ax.plot(*_series(chart, "month", col), marker="o", label=label)
            ax.set_ylabel("%")
        elif chart.name == "supplier_otd":
            ax.plot(*_series(chart, "month", "otd_pct"), marker="o", label="OTD")
            ax.plot(*_series(chart, "month", "otif_pct"), marker="o", label="OTIF")
            ax.set_ylabel("%")
        elif chart.name == "inventory":
            sites = sorted({r[1] for r in chart.rows if r[1] is not None})
            months = sorted({r[0] for r in chart.rows})
            totals = [sum(float(r[2]) for r in chart.rows if r[0] == m and r[2] is not None)
                      for m in months]
            ax.bar(months, totals, width=20, color="#9DB9D8", label="Inventory value (all sites)")
            ax.set_ylabel("value")
            ax2 = ax.twinx()
            for site in sites:
                ax2.plot(*_series(chart, "month", "turns", "site_id", site), marker="o",
                         label=f"Turns {site}")
            ax2.set_ylabel("turns")
            ax2.legend(loc="upper right", fontsize=7)
        elif chart.name == "forecast_accuracy":
            for lag in ACCURACY_LAGS:
                ax.plot(*_series(chart, "month", "wape_pct", "lag_weeks", lag), marker="o",
                        label=f"WAPE lag {lag}w")
                ax.plot(*_series(chart, "month", "bias_pct", "lag_weeks", lag), marker="x",
                        linestyle="--", label=f"Bias lag {lag}w")
            ax.axhline(0, color="#888", linewidth=0.8)
            ax.set_ylabel("%")
        elif chart.name == "sop_plan":
            if chart.rows:
                ax.bar(*_series(chart, "month", "demand_qty"), width=20, color="#9DB9D8",
                       label="Consensus demand")
                ax.plot(*_series(chart, "month", "supply_qty"), marker="o", label="Supply")
                ax.plot(*_series(chart, "month", "capacity_qty"), linestyle="--",
                        label="Demonstrated capacity")
                ax.set_ylabel("units")
            else:
                ax.text(0.5, 0.5, chart.note, ha="center", va="center",
                        transform=ax.transAxes)
                ax.set_xticks([])
                ax.set_yticks([])
        elif chart.name == "freight_cost":
            for direction in ("inbound", "outbound", "total"):
                ax.plot(*_series(chart, "month", "freight_per_unit_cc", "direction",
                                 direction), marker="o", label=direction)
            ax.set_ylabel("per unit")
        if chart.rows:
            if chart.name != "sop_plan":
                months = _months(*_window(period))
                ax.set_xticks(months)
                ax.set_xlim(months[0] - timedelta(days=20), months[-1] + timedelta(days=20))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
            ax.tick_params(axis="x", labelrotation=45)
            ax.grid(axis="y", alpha=0.3)
            handles, _ = ax.get_legend_handles_labels()
            if handles:
                ax.legend(loc="upper left", fontsize=7)
        ax.set_title(chart.title, fontsize=10)
        fig.tight_layout()
        out = io.StringIO()
        # no metadata block: no date, no namespace links to outside
        fig.savefig(out, format="svg", metadata=dict.fromkeys(("Date", "Creator", "Format", "Type")))
    finally:
        plt.close(fig)
    svg = out.getvalue()
    return svg[svg.index("<svg"):]


def _headline(charts: dict[str, Chart], period: date) -> list[tuple[str, str]]:
    def value(name: str, col: str, **match) -> str:
        chart = charts[name]
        i = chart.columns.index(col)
        for r in chart.rows:
            if r[0] == period and all(r[chart.columns.index(k)] == v for k, v in match.items()):
                return "–" if r[i] is None else f"{float(r[i]):,.2f}"
        return "–"

    return [("OTIF (lines) %", value("service_level", "otif_line_pct")),
            ("Line fill rate %", value("service_level", "fill_rate_line_pct")),
            ("Supplier OTD %", value("supplier_otd", "otd_pct")),
            ("Forecast WAPE lag 1w %", value("forecast_accuracy", "wape_pct", lag_weeks=1)),
            ("Forecast bias lag 1w %", value("forecast_accuracy", "bias_pct", lag_weeks=1)),
            ("Freight per unit (total)", value("freight_cost", "freight_per_unit_cc",
                                               direction="total"))]


_CSS = """body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px;margin-bottom:4px}.meta{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:12px 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
figure{margin:18px 0;page-break-inside:avoid}figcaption{font-size:12px;color:#555}
svg{max-width:100%;height:auto}"""


def render_html(charts: list[Chart], period: date, as_of, run_id: str, currency: str) -> str:
    month = f"{period:%Y-%m}"
    first, _ = _window(period)
    head = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in _headline({c.name: c for c in charts}, period))
    figures = "\n".join(
        f'<figure class="chart" id="{c.name}" data-chart="{c.name}">{_svg(c, period)}'
        f"<figcaption>{html.escape(c.title)} — source {html.escape(c.source)}."
        f"{' ' + html.escape(c.note) if c.note else ''}</figcaption></figure>"
        for c in charts)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>KPI pack {month}</title><style>{_CSS}</style></head>
<body><h1>Supply-chain KPI pack {month}</h1>
<p class="meta">Twelve months {first:%Y-%m} to {month} · as of {as_of} · amounts in
{html.escape(currency)} · Dagster run {html.escape(run_id)}</p>
<table><caption>{month} at a glance</caption>{head}</table>
{figures}
</body></html>
"""


def build_kpi_pack(con: duckdb.DuckDBPyConnection, exports_dir: Path, month: str, *,
                   run_id: str, company_currency: str = "USD") -> KpiPackResult:
    """Write <exports>/kpi_pack/<month>/ (kpi_pack.html, kpi_pack.xlsx) atomically."""
    period = month_start(month)
    as_of = con.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0]
    charts, cycle = collect(con, period)
    final = exports_dir / "kpi_pack" / month
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{month}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir()
    try:
        (tmp / "kpi_pack.html").write_text(
            render_html(charts, period, as_of, run_id, company_currency), encoding="utf-8")
        created = datetime(as_of.year, as_of.month, as_of.day) if as_of else \
            datetime(period.year, period.month, 1)
        book = PackWorkbook(tmp / "kpi_pack.xlsx", title=f"KPI pack {month}",
                            created=created, currency=company_currency)
        book.cover_sheet("Cover", [
            ("Supply-chain KPI pack", None), ("Period", month),
            ("Months", f"{_window(period)[0]:%Y-%m} to {month}"),
            ("Dagster run id", run_id), ("As-of date", as_of),
            ("S&OP cycle", f"{cycle:%Y-%m}" if cycle else "none on or before the month"),
            ("Company currency", company_currency)],
            [(c.name, c.title, len(c.rows), c.source) for c in charts],
            ("Sheet", "Chart", "Rows", "Source"))
        for c in charts:
            book.table_sheet(SheetData(c.name, c.columns, c.types, c.rows, source=c.source))
        book.close()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(tmp, final)
    return KpiPackResult(month, final, final / "kpi_pack.html", final / "kpi_pack.xlsx",
                         [c.name for c in charts],
                         {"Cover": 7, **{c.name: len(c.rows) for c in charts}}, cycle)
