"""The monthly packs on the session's company: the finance pack holds exactly the marts'
rows of the month in a workbook finance can use, a closed month's figures never move
(differences become restatements with the exact delta), and the KPI pack renders offline
in a real browser with every chart."""

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest

from orchestration.delivery import finance_pack as fp
from orchestration.delivery.kpi_pack import build_kpi_pack
from orchestration.planning.cycle import month_span
from tests.conftest import copy_of_built

CHROMIUM = "/usr/bin/chromium"


def _closed_month(settings) -> str:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return month_span(con).latest_closed_month
    finally:
        con.close()


def _build(settings, month: str, run_id: str = "run-test", exports: Path | None = None):
    con = duckdb.connect(str(settings.warehouse))
    try:
        return fp.build_finance_pack(con, exports or settings.exports_dir, month,
                                     run_id=run_id, check_status="checks passed (test)",
                                     company_currency=settings.company_currency)
    finally:
        con.close()


def _cell(value):
    """A value as the workbook and the warehouse should both give it."""
    if isinstance(value, datetime) and value.hour == value.minute == value.second == 0:
        return value.date()
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return round(float(value), 4)
    return value


def _sheet_rows(ws) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), [tuple(_cell(v) for v in r) for r in rows[1:]]


def _mart_rows(con, table: str, period: date, keys: list[str]) -> tuple[list[str], list[tuple]]:
    rel = con.execute(f"SELECT * FROM marts.{table} WHERE month = ? ORDER BY {', '.join(keys)}",
                      [period])
    return [d[0] for d in rel.description], [tuple(_cell(v) for v in r) for r in rel.fetchall()]


@pytest.fixture(scope="module")
def finance(built, session_env, tmp_path_factory):
    settings = copy_of_built(built, session_env, tmp_path_factory, "finance_pack")
    month = _closed_month(settings)
    return settings, month, _build(settings, month)


def test_the_finance_workbook_holds_every_fin_mart_of_the_month(finance):
    settings, month, result = finance
    period = fp.month_start(month)
    keys = fp.contract_keys()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        tables = fp.fin_tables(con)
        assert len(tables) >= 11 and all(t in keys for t in tables)
        book = openpyxl.load_workbook(result.workbook)
        assert book.sheetnames == ["Cover"] + [fp.sheet_name(t) for t in tables] + ["Restatements"]
        assert all(len(name) <= 31 for name in book.sheetnames)
        cover = {r[0]: r[1] for r in book["Cover"].iter_rows(values_only=True) if r[0]}
        assert cover["Period"] == month
        assert cover["Dagster run id"] == "run-test"
        assert cover["Check status"] == "checks passed (test)"
        assert cover["As-of date"].date() == con.execute(
            "SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0]
        nonempty = 0
        for table in tables:
            ws = book[fp.sheet_name(table)]
            assert ws.freeze_panes == "A2", table
            header, rows = _sheet_rows(ws)
            columns, expected = _mart_rows(con, table, period, keys[table])
            assert header == columns, table
            assert rows == expected, table
            assert result.tables[table] == len(expected)
            nonempty += bool(expected)
        assert nonempty >= 8  # a real month, not a pack of empty sheets
    finally:
        con.close()


def test_money_percent_and_date_columns_are_formatted(finance):
    settings, month, result = finance
    book = openpyxl.load_workbook(result.workbook)
    currency = settings.company_currency

    def fmt(sheet: str, column: str) -> str:
        ws = book[sheet]
        col = [c.value for c in ws[1]].index(column)
        return ws.cell(row=2, column=col + 1).number_format

    assert currency in fmt("cost_to_serve", "revenue_cc")
    assert fmt("cost_to_serve", "cost_to_serve_pct") == '0.00"%"'
    assert fmt("cost_to_serve", "month") == "yyyy-mm-dd"
    assert fmt("cost_to_serve", "invoice_lines") == "#,##0"
    assert fmt("inventory_valuation", "value_at_standard") == "#,##0.00"  # document currency
    assert fmt("budget_vs_actual", "variance_pct") == '0.00"%"'
    ws = book["cost_to_serve"]
    assert ws.column_dimensions["A"].width >= len("customer_id")


def test_csv_and_parquet_equal_the_marts_and_repeat_byte_for_byte(finance, tmp_path):
    settings, month, result = finance
    period = fp.month_start(month)
    keys = fp.contract_keys()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        for table in fp.fin_tables(con):
            mart = f"(SELECT * FROM marts.{table} WHERE month = DATE '{period}')"
            parquet = f"read_parquet('{result.folder / (table + '.parquet')}')"
            for a, b in ((mart, parquet), (parquet, mart)):
                assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL "
                                   f"SELECT * FROM {b})").fetchall()[0][0] == 0, table
            with open(result.folder / f"{table}.csv", newline="") as f:
                lines = list(csv.reader(f))
            columns, expected = _mart_rows(con, table, period, keys[table])
            assert lines[0] == columns and len(lines) - 1 == len(expected), table
    finally:
        con.close()
    # a re-run of the closed month on unchanged marts gives the same bytes
    again = _build(settings, month, exports=tmp_path / "exports")
    assert again.restatements == 0 and again.newly_closed == []
    for f in result.files:
        assert (again.folder / f.name).read_bytes() == f.read_bytes(), f.name
    assert sorted(p.name for p in result.folder.iterdir()) == sorted(f.name for f in result.files)
    assert not [p for p in result.folder.parent.iterdir() if p.name.startswith(".")]


def test_a_closed_month_stays_frozen_and_changes_become_restatements(
        built, session_env, tmp_path_factory):
    settings = copy_of_built(built, session_env, tmp_path_factory, "restatements")
    month = _closed_month(settings)
    period = fp.month_start(month)
    first = _build(settings, month, run_id="close-run")
    frozen_book = openpyxl.load_workbook(first.workbook)
    frozen_cts = _sheet_rows(frozen_book["cost_to_serve"])

    con = duckdb.connect(str(settings.warehouse))
    try:
        customer, revenue = con.execute(
            "SELECT customer_id, revenue_cc FROM marts.fin_cost_to_serve_monthly "
            "WHERE month = ? AND revenue_cc > 0 ORDER BY customer_id LIMIT 1",
            [period]).fetchall()[0]
        con.execute("UPDATE marts.fin_cost_to_serve_monthly SET revenue_cc = revenue_cc + "
                    "123.4567 WHERE month = ? AND customer_id = ?", [period, customer])
        po_id, po_line = con.execute(
            "SELECT po_id, po_line FROM marts.fin_grir_reconciliation WHERE month = ? "
            "ORDER BY po_id, po_line LIMIT 1", [period]).fetchall()[0]
        con.execute("DELETE FROM marts.fin_grir_reconciliation WHERE month = ? AND "
                    "po_id = ? AND po_line = ?", [period, po_id, po_line])
    finally:
        con.close()

    second = _build(settings, month, run_id="rerun")
    book = openpyxl.load_workbook(second.workbook)
    # the pack still shows the figures of the close
    assert _sheet_rows(book["cost_to_serve"]) == frozen_cts
    assert second.tables == first.tables
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        stored = con.execute(
            "SELECT table_name, key_columns, key_values, measure, change, frozen_value, "
            "current_value, delta, run_id FROM finance_close.restatements "
            "WHERE closed_month = ? ORDER BY table_name, measure", [period]).fetchall()
        frozen_revenue = con.execute(
            "SELECT revenue_cc FROM finance_close.fin_cost_to_serve_monthly "
            "WHERE closed_month = ? AND customer_id = ?", [period, customer]).fetchall()[0][0]
    finally:
        con.close()
    assert frozen_revenue == revenue
    cts = [r for r in stored if r[0] == "fin_cost_to_serve_monthly"]
    assert cts == [("fin_cost_to_serve_monthly", "customer_id|month", f"{customer}|{period}",
                    "revenue_cc", "changed", revenue, revenue + Decimal("123.4567"),
                    Decimal("123.4567"), "rerun")]
    grir = {r[3]: r for r in stored if r[0] == "fin_grir_reconciliation"}
    assert grir[fp.ROW_MEASURE][2] == f"{po_id}|{po_line}|{period}"
    assert grir[fp.ROW_MEASURE][4:8] == ("removed", 1, 0, -1)
    assert all(r[4] == "removed" and r[6] is None and r[7] == -r[5]
               for r in grir.values() if r[3] != fp.ROW_MEASURE)
    assert second.restatements == len(stored) == second.restatements_new

    header, rows = _sheet_rows(book["Restatements"])
    assert header == fp.RESTATEMENT_COLUMNS and len(rows) == len(stored)
    assert ("fin_cost_to_serve_monthly", "customer_id|month", f"{customer}|{period}",
            "revenue_cc", "changed", round(float(revenue), 4),
            round(float(revenue) + 123.4567, 4), 123.4567) in [r[:8] for r in rows]
    assert book["Restatements"].freeze_panes == "A2"

    # a third run records nothing new and still shows both the figures and the differences
    third = _build(settings, month, run_id="third")
    assert (third.restatements, third.restatements_new) == (len(stored), 0)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM finance_close.restatements").fetchall()[0][0] \
            == len(stored)
        assert con.execute("SELECT count(DISTINCT run_id) FROM finance_close.closed_months "
                           "WHERE closed_month = ?", [period]).fetchall()[0][0] == 1
    finally:
        con.close()


def test_a_failed_build_freezes_nothing_and_leaves_no_folder(built, session_env,
                                                             tmp_path_factory, monkeypatch):
    settings = copy_of_built(built, session_env, tmp_path_factory, "failed_pack")
    # the run closed the latest month already; an earlier one was never packed
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        month = month_span(con).closed_months[0]
    finally:
        con.close()
    before = _finance_close_rows(settings)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fp, "write_workbook", broken)
    with pytest.raises(OSError):
        _build(settings, month)
    finance = settings.exports_dir / "finance"
    assert not (finance / month).exists()
    assert not finance.exists() or not [p for p in finance.iterdir() if p.name.startswith(".")]
    assert _finance_close_rows(settings) == before


def _finance_close_rows(settings) -> dict[str, int]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return {t: con.execute(f'SELECT count(*) FROM finance_close."{t}"').fetchall()[0][0]
                for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE "
                                        "schema_name = 'finance_close'").fetchall()}
    finally:
        con.close()


def _render(html: Path, png: Path) -> tuple[int, list[str], list[str]]:
    """Chromium renders the page from file:// with the network cut: (charts, console
    errors, requests that tried to leave the file)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run "
                    "installs it); this test renders the real pack and cannot skip")
    from playwright.sync_api import sync_playwright

    errors, outside = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(html.as_uri())
            page.wait_for_load_state("load")
            charts = page.locator("figure.chart > svg").count()
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    return charts, errors, outside


def test_the_kpi_pack_renders_offline_with_every_chart_and_the_marts_figures(
        built, session_env, tmp_path_factory, tmp_path):
    settings = copy_of_built(built, session_env, tmp_path_factory, "kpi_pack")
    month = _closed_month(settings)
    period = fp.month_start(month)
    con = duckdb.connect(str(settings.warehouse))
    try:
        # the tiny company's only S&OP cycle is the as-of month: the closed month has none
        assert con.execute("SELECT count(*) FROM marts.sop_demand_plan WHERE cycle <= ?",
                           [period]).fetchall()[0][0] == 0
        empty = build_kpi_pack(con, settings.exports_dir, month, run_id="no-cycle")
        assert empty.sop_cycle is None and empty.sheets["sop_plan"] == 0
        assert f"No S&amp;OP cycle on or before {month}" in empty.html.read_text()
        # give it the as-of cycle's plan as the month's own cycle
        for table in ("sop_demand_plan", "sop_supply_plan"):
            con.execute(f"INSERT INTO marts.{table} SELECT * REPLACE (CAST(? AS DATE) AS cycle)"
                        f" FROM marts.{table} WHERE cycle = (SELECT max(cycle) FROM "
                        f"marts.{table})", [period])
        result = build_kpi_pack(con, settings.exports_dir, month, run_id="kpi-run",
                                company_currency=settings.company_currency)
        service = con.execute("SELECT otif_line_pct, fill_rate_line_pct FROM "
                              "marts.kpi_service_level_monthly WHERE month = ?",
                              [period]).fetchall()[0]
        otd = con.execute("SELECT round(100.0 * sum(lines_on_time) / sum(lines_due), 2) "
                          "FROM marts.kpi_supplier_performance_monthly WHERE month = ?",
                          [period]).fetchall()[0][0]
        demand = con.execute("SELECT sum(consensus_qty) FROM marts.sop_demand_plan WHERE "
                             "cycle = ? AND months_from_cycle >= 0", [period]).fetchall()[0][0]
        per_unit = con.execute("SELECT round(sum(freight_cost_cc) / sum(units_shipped), 4) "
                               "FROM marts.kpi_freight_cost_monthly WHERE month = ?",
                               [period]).fetchall()[0][0]
    finally:
        con.close()
    assert result.sop_cycle == period
    assert result.charts == ["service_level", "supplier_otd", "inventory",
                             "forecast_accuracy", "sop_plan", "freight_cost"]

    book = openpyxl.load_workbook(result.workbook)
    assert book.sheetnames == ["Cover"] + result.charts
    assert all(book[s].freeze_panes == "A2" for s in result.charts)

    def rows(sheet):
        header, data = _sheet_rows(book[sheet])
        return [dict(zip(header, r)) for r in data]

    months = [r["month"] for r in rows("service_level")]
    assert len(months) == 12 and months[-1] == period
    last = rows("service_level")[-1]
    assert (last["otif_line_pct"], last["fill_rate_line_pct"]) == tuple(float(v) for v in service)
    assert rows("supplier_otd")[-1]["otd_pct"] == float(otd)
    assert round(sum(r["demand_qty"] or 0 for r in rows("sop_plan")), 4) == float(demand)
    total = [r for r in rows("freight_cost") if r["month"] == period and r["direction"] == "total"]
    assert total[0]["freight_per_unit_cc"] == float(per_unit)

    html = result.html.read_text()
    assert "<script" not in html and "http://" not in html.replace(
        "http://www.w3.org", "") and "https://" not in html
    charts, errors, outside = _render(result.html, tmp_path / "kpi_pack.png")
    assert charts == len(result.charts)
    assert errors == [] and outside == []
    assert (tmp_path / "kpi_pack.png").stat().st_size > 20_000


def test_the_pack_assets_materialize_one_closed_month(built, session_env, tmp_path_factory):
    from orchestration.defs.packs import FINANCE_PACK, KPI_PACK, pack_assets
    from orchestration.defs.partitions import CLOSED_MONTHS
    from orchestration.defs.resources import WarehouseResource

    settings = copy_of_built(built, session_env, tmp_path_factory, "pack_assets")
    month = _closed_month(settings)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(CLOSED_MONTHS.name, [month])
    result = dg.materialize(pack_assets, partition_key=month, instance=instance,
                            resources={"warehouse": WarehouseResource()})
    assert result.success
    meta = {e.asset_key: e.materialization.metadata
            for e in result.get_asset_materialization_events()}
    fin, kpi = meta[FINANCE_PACK], meta[KPI_PACK]
    folder = settings.exports_dir / "finance" / month
    assert fin["folder"].value == str(folder)
    assert fin["restatements"].value == 0
    assert fin["sheets"].value["Restatements"] == 0
    assert "no recorded evaluation" in fin["check_status"].value
    book = openpyxl.load_workbook(fin["workbook"].value)
    cover = {r[0]: r[1] for r in book["Cover"].iter_rows(values_only=True) if r[0]}
    assert cover["Dagster run id"] == result.run_id
    assert cover["Check status"] == fin["check_status"].value
    assert kpi["charts"].value == ["service_level", "supplier_otd", "inventory",
                                   "forecast_accuracy", "sop_plan", "freight_cost"]
    assert Path(kpi["html"].value) == settings.exports_dir / "kpi_pack" / month / "kpi_pack.html"
    assert Path(kpi["html"].value).exists() and Path(kpi["workbook"].value).exists()
    assert instance.get_latest_materialization_event(FINANCE_PACK).run_id == result.run_id
