"""`tower ask` and `tower kpi` in a subprocess against the session's published snapshot:
every JSON answer equals SQL on the marts; unknown ids exit 2 naming the id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tower(built):
    """Run `tower ...` with the session's data dir; (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CT_")}
    env.update(CT_DATA_DIR=str(built.settings.data_dir),
               CT_PUBLISHED=str(built.settings.published), COLUMNS="200")

    def run(*args: str) -> tuple[int, str, str]:
        done = subprocess.run([sys.executable, "-m", "orchestration.cli", *args],
                              capture_output=True, text=True, env=env, timeout=300)
        return done.returncode, done.stdout, done.stderr
    return run


@pytest.fixture(scope="module")
def marts(built):
    con = duckdb.connect(str(built.settings.published), read_only=True)
    yield con
    con.close()


def answer(tower, *args: str) -> dict:
    code, out, err = tower(*args, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["sentence"] and set(body) == {"question", "sentence", "columns", "rows"}
    return body


def plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def test_availability_equals_the_mart(tower, marts):
    item, site, now, first, tenth, hundredth = marts.execute(
        "SELECT item_id, site_id, qty_available_now, earliest_date_1_units, "
        "earliest_date_10_units, earliest_date_100_units FROM marts.item_availability "
        "WHERE qty_scheduled_receipts > 0 ORDER BY item_id, site_id LIMIT 1").fetchone()
    for qty, expected in ((1, first), (10, tenth), (100, hundredth)):
        body = answer(tower, "ask", "availability", item, "--site", site, "--qty", str(qty))
        [row] = body["rows"]
        assert row["site_id"] == site
        assert row["qty_available_now"] == float(now)
        assert row["earliest_date"] == plain(expected)
    # any N: the timeline
    top = marts.execute("SELECT max(cumulative_available_qty) FROM "
                        "marts.item_availability_timeline WHERE item_id = ? AND site_id = ?",
                        [item, site]).fetchone()[0]
    expected = marts.execute(
        "SELECT min(available_on) FROM marts.item_availability_timeline WHERE item_id = ? "
        "AND site_id = ? AND cumulative_available_qty >= ?", [item, site, top]).fetchone()[0]
    [row] = answer(tower, "ask", "availability", item, "--site", site,
                   "--qty", str(top))["rows"]
    assert row["earliest_date"] == expected.isoformat()
    [row] = answer(tower, "ask", "availability", item, "--site", site,
                   "--qty", str(top + 1))["rows"]
    assert row["earliest_date"] is None


def test_availability_of_every_site(tower, marts):
    item = marts.execute("SELECT item_id FROM marts.item_availability GROUP BY 1 "
                         "HAVING count(*) > 1 ORDER BY 1 LIMIT 1").fetchone()[0]
    expected = dict(marts.execute("SELECT site_id, qty_available_now FROM "
                                  "marts.item_availability WHERE item_id = ?",
                                  [item]).fetchall())
    body = answer(tower, "ask", "availability", item)
    assert {r["site_id"]: r["qty_available_now"] for r in body["rows"]} == \
        {k: float(v) for k, v in expected.items()}
    assert item in body["sentence"]


def test_why_late_equals_order_delay_reasons(tower, marts):
    so_id = marts.execute("SELECT so_id FROM marts.order_delay_reasons "
                          "WHERE evidence_po_id IS NOT NULL OR evidence_mo_id IS NOT NULL "
                          "ORDER BY so_id LIMIT 1").fetchone()[0]
    expected = {r[0]: r[1:] for r in marts.execute(
        "SELECT so_line, delay_reason, evidence_po_id, evidence_po_line, evidence_mo_id, "
        "evidence_shipment_id FROM marts.order_delay_reasons WHERE so_id = ?",
        [so_id]).fetchall()}
    lines = marts.execute("SELECT count(*) FROM marts.fct_sales_order_lines "
                          "WHERE so_id = ?", [so_id]).fetchone()[0]
    body = answer(tower, "ask", "why-late", so_id)
    assert len(body["rows"]) == lines
    late = {r["so_line"]: (r["delay_reason"], r["evidence_po_id"], r["evidence_po_line"],
                           r["evidence_mo_id"], r["evidence_shipment_id"])
            for r in body["rows"] if r["delay_reason"] is not None}
    assert late == expected
    assert so_id in body["sentence"] and "late" in body["sentence"]
    for reason, po, _, mo, _ in expected.values():
        assert reason.replace("_", " ") in body["sentence"]
        assert (po or mo) in body["sentence"]


def test_why_late_of_an_order_on_time_says_so(tower, marts):
    so_id = marts.execute(
        "SELECT so_id FROM marts.fct_sales_order_lines GROUP BY so_id "
        "HAVING bool_and(is_counted AND otif) ORDER BY so_id LIMIT 1").fetchone()[0]
    body = answer(tower, "ask", "why-late", so_id)
    assert "on time and in full" in body["sentence"]
    assert all(r["delay_reason"] is None for r in body["rows"])


def test_last_order_equals_customer_last_order(tower, marts):
    columns = ["customer_id", "customer_name", "last_order_date", "last_order_id",
               "last_item_ordered", "orders_last_90_days", "days_since_last_order"]
    row = marts.execute(f"SELECT {', '.join(columns)} FROM marts.customer_last_order "
                        f"ORDER BY orders_last_90_days DESC, customer_id LIMIT 1").fetchone()
    body = answer(tower, "ask", "last-order", row[0])
    [got] = body["rows"]
    assert {c: got[c] for c in columns} == {c: plain(v) for c, v in zip(columns, row)}
    assert row[2].isoformat() in body["sentence"]


def test_chase_equals_po_chase_list(tower, marts):
    supplier = marts.execute("SELECT supplier_id FROM marts.po_chase_list GROUP BY 1 "
                             "ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    expected = marts.execute(
        "SELECT priority_rank, po_id, po_line, chase_reason, days_late, value_at_risk_cc, "
        "suggested_action FROM marts.po_chase_list WHERE supplier_id = ? "
        "ORDER BY priority_rank", [supplier]).fetchall()
    body = answer(tower, "ask", "chase", supplier, "--limit", "100")
    got = [tuple(r[c] for c in ("priority_rank", "po_id", "po_line", "chase_reason",
                                "days_late", "value_at_risk_cc", "suggested_action"))
           for r in body["rows"]]
    assert got == [tuple(plain(v) for v in row) for row in expected]
    assert {r["supplier_id"] for r in body["rows"]} == {supplier}
    assert f"{len(expected)} PO line" in body["sentence"]

    top = marts.execute("SELECT po_id, po_line FROM marts.po_chase_list "
                        "ORDER BY priority_rank LIMIT 3").fetchall()
    body = answer(tower, "ask", "chase", "--limit", "3")
    assert [(r["po_id"], r["po_line"]) for r in body["rows"]] == top


def test_kpi_equals_the_marts(tower, marts):
    month, otif = marts.execute(
        "SELECT month, otif_line_pct FROM marts.kpi_service_level_monthly "
        "WHERE lines_counted > 0 ORDER BY month DESC LIMIT 1 OFFSET 1").fetchone()
    body = answer(tower, "kpi", "otif_line_pct", "--month", f"{month:%Y-%m}")
    assert body["rows"] == [{"month": f"{month:%Y-%m}", "value": float(otif), "unit": "%"}]
    series = answer(tower, "kpi", "otif_line_pct")["rows"]
    assert {r["month"]: r["value"] for r in series} == {
        f"{m:%Y-%m}": float(v) for m, v in marts.execute(
            "SELECT month, otif_line_pct FROM marts.kpi_service_level_monthly "
            "WHERE lines_counted > 0").fetchall()}

    otd = marts.execute(
        "SELECT round(100.0 * sum(lines_on_time) / sum(lines_due), 2) "
        "FROM marts.kpi_supplier_performance_monthly WHERE month = ?", [month]).fetchone()[0]
    headline = answer(tower, "kpi", "--month", f"{month:%Y-%m}")
    values = {r["kpi"]: r["value"] for r in headline["rows"]}
    assert values["otif_line_pct"] == float(otif)
    assert values["supplier_otd_pct"] == float(otd)
    assert f"{month:%Y-%m}" in headline["sentence"]


def test_kpi_without_a_month_shows_the_last_closed_month(tower, marts):
    as_of = marts.execute("SELECT max(as_of_date) FROM marts.customer_last_order").fetchone()[0]
    body = answer(tower, "kpi")
    assert {r["kpi"] for r in body["rows"]} >= {
        "otif_line_pct", "fill_rate_line_pct", "supplier_otd_pct", "inventory_turns",
        "forecast_wape_pct"}
    months = {r["month"] for r in body["rows"] if r["month"]}
    assert months and all(m < f"{as_of:%Y-%m}" for m in months)


def test_the_human_answer_starts_with_the_sentence(tower):
    sentence = answer(tower, "kpi")["sentence"]
    code, out, _ = tower("kpi")
    assert code == 0 and out.splitlines()[0] == sentence
    assert "otif_line_pct" in out          # the table


@pytest.mark.parametrize("args, named", [
    (("ask", "availability", "NO-SUCH-ITEM"), "NO-SUCH-ITEM"),
    (("ask", "why-late", "SO-NOPE"), "SO-NOPE"),
    (("ask", "last-order", "C-NOPE"), "C-NOPE"),
    (("ask", "chase", "S-NOPE"), "S-NOPE"),
    (("kpi", "no_such_kpi"), "no_such_kpi"),
    (("kpi", "--month", "1999-01"), "1999-01"),
])
def test_an_unknown_id_exits_2_naming_it(tower, args, named):
    code, out, err = tower(*args)
    assert code == 2 and out == ""
    assert named in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_an_unknown_site_exits_2(tower, marts):
    item = marts.execute("SELECT item_id FROM marts.item_availability LIMIT 1").fetchone()[0]
    code, _, err = tower("ask", "availability", item, "--site", "NO-SITE")
    assert code == 2 and "NO-SITE" in err


def test_values_from_the_user_are_parameters(tower):
    code, _, err = tower("ask", "last-order", "x' OR '1'='1")
    assert code == 2 and "unknown customer" in err


def test_a_missing_snapshot_exits_1_with_one_line(tower, tmp_path, built):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CT_")}
    env["CT_PUBLISHED"] = str(tmp_path / "none.duckdb")
    done = subprocess.run([sys.executable, "-m", "orchestration.cli", "ask", "chase"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    assert done.stderr == (f"error: no published warehouse at {tmp_path / 'none.duckdb'}: "
                           f"run `make run` first\n")


def test_it_reads_while_the_live_warehouse_is_locked(tower, built):
    """Only the published snapshot is opened: a writer holding the live warehouse does
    not block an answer."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(120)", str(built.settings.warehouse)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = tower("kpi", "--json")
        assert code == 0, err
    finally:
        holder.kill()
        holder.wait()


def test_the_tower_script_is_installed(built):
    tower = os.path.join(os.path.dirname(sys.executable), "tower")
    env = {**os.environ, "CT_PUBLISHED": str(built.settings.published)}
    done = subprocess.run([tower, "kpi", "--json"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["question"] == "kpi"


def test_an_sop_cycle_outside_the_cycles_exits_2(tower):
    code, _, err = tower("sop-cycle", "--cycle", "2019-01-01", "--log-level", "WARNING")
    assert code == 2
    assert "S&OP cycle 2019-01" in err and len(err.strip().splitlines()) == 1
