"""The demo-company simulator on its tiny tier: deterministic, complete, on contract,
consistent, censored at the as-of date, and its truth recomputes from the landing files."""

from __future__ import annotations

import ast
import json
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import simulator
from orchestration.ingestion.contracts import CURRENCIES, load_contracts
from simulator.__main__ import main as cli_main

AS_OF = date(2026, 11, 20)
CONTRACTS = load_contracts()

# date/timestamp columns that record something that happened (never after the as-of);
# the others (requested, committed, due, planned dates) may lie in the future
EVENT_COLUMNS = {
    "purchase_order_lines": ["order_date"],
    "supplier_confirmations": ["confirmed_at"],
    "goods_receipts": ["received_on"],
    "supplier_invoices": ["invoice_date", "paid_on"],
    "sales_order_lines": ["order_date"],
    "deliveries": ["shipped_on", "delivered_on"],
    "customer_invoices": ["invoice_date", "paid_on"],
    "returns": ["returned_on"],
    "production_orders": ["actual_start", "actual_finish"],
    "inventory_movements": ["posted_on"],
    "inventory_snapshots": ["snapshot_date"],
    "cycle_counts": ["count_date"],
    "shipments": ["actual_pickup", "actual_delivery"],
    "shipment_events": ["event_at"],
    "freight_invoices": ["invoice_date"],
    "gl_entries": ["posting_date"],
    "fx_rates": ["rate_date"],
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    manifest = simulator.generate(root / "landing", root / "truth", tier="tiny")
    return root, manifest


@pytest.fixture(scope="module")
def con(tiny):
    """Every extract as a table of all its deliveries (text), and `<extract>_now`: the
    latest version per key, deletes removed — as the pipeline's staging reads them."""
    root, _ = tiny
    c = duckdb.connect()
    for name, contract in CONTRACTS.items():
        glob = (root / "landing" / name / "*.csv").as_posix()
        c.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{glob}', header=true, "
                  f"all_varchar=true, filename=true)")
        key = ", ".join(contract.key)
        if contract.kind == "delta":
            c.execute(f"""CREATE TABLE {name}_now AS SELECT * FROM (
                SELECT * FROM {name} QUALIFY row_number() OVER (PARTITION BY {key}
                    ORDER BY extracted_at::TIMESTAMPTZ DESC, filename DESC) = 1)
                WHERE is_deleted <> 'true'""")
        else:
            c.execute(f"""CREATE TABLE {name}_now AS SELECT * FROM {name}
                WHERE extracted_at = (SELECT max(extracted_at) FROM {name})""")
    yield c
    c.close()


def _files(landing: Path) -> dict[str, bytes]:
    return {p.relative_to(landing).as_posix(): p.read_bytes()
            for p in sorted(landing.rglob("*")) if p.is_file()}


# --- determinism and completeness ----------------------------------------------------------------

def test_same_seed_gives_byte_identical_files(tiny, tmp_path):
    root, _ = tiny
    simulator.generate(tmp_path / "landing", tmp_path / "truth", tier="tiny")
    assert _files(root / "landing") == _files(tmp_path / "landing")
    assert _files(root / "truth") == _files(tmp_path / "truth")


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_other_formats_are_deterministic_and_equal_in_content(tiny, tmp_path, fmt):
    root, _ = tiny
    a = simulator.generate(tmp_path / "a", tmp_path / "ta", tier="tiny", fmt=fmt)
    simulator.generate(tmp_path / "b", tmp_path / "tb", tier="tiny", fmt=fmt)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert all(f.endswith("." + fmt) for f in a["files"])
    # same rows as the CSV delivery
    name = "purchase_order_lines"
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    n = duckdb.sql(f"SELECT count(*) FROM {reader}('{tmp_path / 'a' / name}/*')").fetchall()[0][0]
    assert n == tiny[1]["rows"][name]


def test_a_different_seed_gives_a_different_company(tiny, tmp_path):
    other = simulator.generate(tmp_path / "landing", tmp_path / "truth", tier="tiny", seed=8)
    assert other["rows"] != tiny[1]["rows"]


def test_every_extract_is_written_and_not_empty(tiny):
    root, manifest = tiny
    assert set(manifest["rows"]) == set(CONTRACTS)
    for name in CONTRACTS:
        files = sorted((root / "landing" / name).iterdir())
        assert files, name
        assert manifest["rows"][name] > 0, name
        assert manifest["current_rows"][name] > 0, name
    assert manifest["as_of"] == AS_OF.isoformat()
    saved = json.loads((root / "truth" / "manifest.json").read_text())
    assert saved["rows"] == manifest["rows"] and saved["tier"] == "tiny" and saved["seed"] == 7
    assert not list((root / "landing").rglob("*.part"))


def test_file_layout_history_then_one_delivery_per_day(tiny):
    root, manifest = tiny
    for name, contract in CONTRACTS.items():
        names = sorted(p.name for p in (root / "landing" / name).iterdir())
        assert names[0] == f"{name}_2026-11-13.csv", name
        if contract.kind == "snapshot":
            assert names == [f"{name}_2026-11-13.csv", f"{name}_2026-11-20.csv"]
        else:
            days = [n[len(name) + 1:-4] for n in names]
            assert all("2026-11-13" <= d <= "2026-11-20" for d in days)
    sales = sorted(p.name for p in (root / "landing" / "sales_order_lines").iterdir())
    assert len(sales) == 8                      # history + 7 daily deliveries


def test_the_simulator_declares_the_contract_columns():
    assert list(simulator.EXTRACTS) == list(CONTRACTS)
    for name, contract in CONTRACTS.items():
        assert simulator.EXTRACTS[name].column_names == contract.column_names, name
        assert simulator.EXTRACTS[name].kind == contract.kind
        assert simulator.EXTRACTS[name].key == contract.key


def test_every_file_header_equals_the_contract(tiny):
    root, _ = tiny
    for name, contract in CONTRACTS.items():
        for f in (root / "landing" / name).iterdir():
            header = f.read_text().splitlines()[0].replace('"', "").split(",")
            assert tuple(header) == contract.column_names, f.name


def test_values_respect_the_contract(con):
    for name, contract in CONTRACTS.items():
        for col in contract.columns:
            c = f'"{col.name}"'
            checks = []
            if col.required:
                checks.append(f"{c} IS NULL OR trim({c}) = ''")
            if col.accepted:
                vals = ", ".join(f"'{v}'" for v in col.accepted)
                checks.append(f"{c} NOT IN ({vals})")
            if col.type == "currency":
                vals = ", ".join(f"'{v}'" for v in sorted(CURRENCIES))
                checks.append(f"{c} NOT IN ({vals})")
            cast = {"integer": "BIGINT", "decimal": "DECIMAL(18,4)", "money": "DECIMAL(18,4)",
                    "rate": "DECIMAL(18,8)", "date": "DATE", "timestamp": "TIMESTAMPTZ",
                    "boolean": "BOOLEAN"}.get(col.type)
            if cast:
                checks.append(f"{c} IS NOT NULL AND try_cast({c} AS {cast}) IS NULL")
                if cast.startswith("DECIMAL"):       # no precision lost on the way in
                    checks.append(f"{c} IS NOT NULL AND try_cast({c} AS DOUBLE) "
                                  f"<> try_cast({c} AS {cast})::DOUBLE")
            if col.min is not None:
                checks.append(f"try_cast({c} AS DOUBLE) < {col.min}")
            for check in checks:
                bad = con.execute(f"SELECT count(*) FROM {name} WHERE {check}").fetchone()[0]
                assert bad == 0, f"{name}.{col.name}: {bad} rows where {check}"
        key = ", ".join(contract.key)
        dup = con.execute(f"SELECT count(*) FROM (SELECT {key}, filename FROM {name} "
                          f"GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert dup == 0, f"{name}: duplicate key inside a file"


def test_nothing_happens_after_the_as_of_date(con, tiny):
    for name, cols in EVENT_COLUMNS.items():
        for col in cols + ["extracted_at"]:
            latest = con.execute(f"SELECT max(try_cast({col} AS TIMESTAMPTZ)::DATE) "
                                 f"FROM {name}").fetchone()[0]
            assert latest is not None and latest <= AS_OF, (name, col, latest)
    assert con.execute("SELECT max(try_cast(extracted_at AS TIMESTAMPTZ)) FROM items"
                       ).fetchone()[0].date() == AS_OF
    # an order placed shortly before the as-of is still open: its future is not written
    assert con.execute("SELECT count(*) FROM purchase_order_lines_now WHERE status = 'open'"
                       ).fetchone()[0] > 0
    in_transit = con.execute("SELECT count(*) FROM deliveries_now WHERE delivered_on IS NULL"
                             ).fetchone()[0]
    assert in_transit > 0                        # shipped, not yet delivered at the as-of


def test_changed_records_come_again_with_their_new_values(con):
    changed = con.execute("""
        SELECT count(*) FROM (SELECT po_id, po_line FROM purchase_order_lines
        GROUP BY ALL HAVING count(DISTINCT status) > 1)""").fetchone()[0]
    assert changed > 0
    paid_later = con.execute("""
        SELECT count(*) FROM (SELECT invoice_id, invoice_line FROM customer_invoices
        GROUP BY ALL HAVING count(*) > 1 AND count(paid_on) = 1)""").fetchone()[0]
    assert paid_later > 0
    # a planted duplicate order line is retired with is_deleted = true
    deleted = con.execute("SELECT count(*) FROM sales_order_lines WHERE is_deleted = 'true'"
                          ).fetchone()[0]
    assert deleted == 2


def test_master_data_changes_between_the_two_snapshots(con):
    changed = con.execute("""
        SELECT count(*) FROM (SELECT item_id FROM items GROUP BY 1
        HAVING count(DISTINCT lifecycle_status) > 1)""").fetchone()[0]
    assert changed == 1
    gone = con.execute("""
        SELECT count(*) FROM (SELECT supplier_id, item_id, valid_from FROM supplier_items
        WHERE extracted_at < (SELECT max(extracted_at) FROM supplier_items)
        EXCEPT SELECT supplier_id, item_id, valid_from FROM supplier_items_now)""").fetchone()[0]
    assert gone == 1


# --- consistency -------------------------------------------------------------------------------

def _zero(con, sql: str, what: str) -> None:
    n = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    assert n == 0, f"{n} {what}"


def test_references_resolve(con):
    for child, parent, key in [
        ("supplier_confirmations", "purchase_order_lines", "po_id, po_line"),
        ("goods_receipts", "purchase_order_lines", "po_id, po_line"),
        ("supplier_invoices", "purchase_order_lines", "po_id, po_line"),
        ("deliveries", "sales_order_lines", "so_id, so_line"),
        ("customer_invoices", "sales_order_lines", "so_id, so_line"),
        ("returns", "sales_order_lines", "so_id, so_line"),
        ("deliveries", "shipments", "shipment_id"),
        ("shipment_events", "shipments", "shipment_id"),
        ("freight_invoices", "shipments", "shipment_id"),
        ("purchase_order_lines", "item_sites", "item_id, site_id"),
        ("sales_order_lines", "item_sites", "item_id, site_id"),
        ("inventory_movements", "item_sites", "item_id, site_id"),
        ("inventory_snapshots", "item_sites", "item_id, site_id"),
        ("production_orders", "item_sites", "item_id, site_id"),
    ]:
        _zero(con, f"SELECT {key} FROM {child}_now EXCEPT SELECT {key} FROM {parent}_now",
              f"{child} rows without their {parent}")
    for child, col, role in [("purchase_order_lines", "supplier_id", "supplier"),
                             ("sales_order_lines", "customer_id", "customer"),
                             ("shipments", "carrier_id", "carrier")]:
        _zero(con, f"SELECT {col} FROM {child}_now EXCEPT SELECT partner_id FROM partners_now "
                   f"WHERE role = '{role}'", f"{child} with an unknown {role}")


def test_receipts_and_deliveries_stay_within_the_order(con):
    _zero(con, """
        SELECT po.po_id, po.po_line FROM purchase_order_lines_now po JOIN (
            SELECT po_id, po_line,
                sum(CASE movement WHEN 'receipt' THEN qty_received::DECIMAL(18,4)
                                  ELSE -qty_received::DECIMAL(18,4) END) AS net,
                sum(qty_rejected::DECIMAL(18,4)) AS rejected
            FROM goods_receipts_now GROUP BY ALL) gr USING (po_id, po_line)
        WHERE gr.net > po.qty_ordered::DECIMAL(18,4) OR gr.net < 0""",
          "PO lines received beyond their quantity")
    _zero(con, """SELECT * FROM goods_receipts_now
        WHERE qty_rejected::DECIMAL(18,4) > qty_received::DECIMAL(18,4)""", "over-rejections")
    _zero(con, """
        SELECT so.so_id FROM sales_order_lines_now so JOIN (
            SELECT so_id, so_line, sum(qty_shipped::DECIMAL(18,4)) AS shipped
            FROM deliveries_now GROUP BY ALL) d USING (so_id, so_line)
        WHERE d.shipped > so.qty_ordered::DECIMAL(18,4) OR so.status = 'cancelled'""",
          "sales lines over-shipped or shipped though cancelled")
    _zero(con, """SELECT * FROM goods_receipts_now gr JOIN purchase_order_lines_now po
        USING (po_id, po_line) WHERE gr.received_on::DATE < po.order_date::DATE
        OR gr.item_id <> po.item_id OR gr.site_id <> po.site_id""",
          "receipts before their order or for another item or site")
    _zero(con, """SELECT * FROM deliveries_now d JOIN sales_order_lines_now so
        USING (so_id, so_line) WHERE d.shipped_on::DATE < so.order_date::DATE
        OR d.delivered_on::DATE < d.shipped_on::DATE OR d.item_id <> so.item_id""",
          "deliveries before their order or delivered before shipped")


def test_invoices_match_receipts_and_deliveries(con):
    # invoices never exceed what was accepted; credit notes never exceed what went back
    # (a credit note may still be on its way at the as-of date)
    _zero(con, """
        SELECT i.po_id FROM (SELECT po_id, po_line, supplier_id,
                sum(CASE WHEN invoice_id LIKE 'SI-%' THEN qty_invoiced::DECIMAL(18,4) END) AS q,
                -sum(CASE WHEN invoice_id LIKE 'SC-%' THEN qty_invoiced::DECIMAL(18,4) END) AS cq
            FROM supplier_invoices_now GROUP BY ALL) i
        JOIN purchase_order_lines_now po USING (po_id, po_line)
        LEFT JOIN (SELECT po_id, po_line, sum(CASE movement
                WHEN 'receipt' THEN qty_received::DECIMAL(18,4) - qty_rejected::DECIMAL(18,4)
                WHEN 'reversal' THEN -qty_received::DECIMAL(18,4) ELSE 0 END) AS accepted,
                sum(CASE movement WHEN 'return_to_supplier' THEN qty_received::DECIMAL(18,4)
                    ELSE 0 END) AS returned
            FROM goods_receipts_now GROUP BY ALL) gr USING (po_id, po_line)
        WHERE coalesce(i.q, 0) > coalesce(gr.accepted, 0)
           OR coalesce(i.cq, 0) > coalesce(gr.returned, 0)
           OR i.supplier_id <> po.supplier_id""",
          "PO lines invoiced beyond their receipts or by another supplier")
    _zero(con, """SELECT * FROM supplier_invoices_now
        WHERE abs(amount::DECIMAL(18,4) - round(qty_invoiced::DECIMAL(18,4)
              * unit_price::DECIMAL(18,4), 2)) > 0.005""", "supplier invoice lines != qty × price")
    _zero(con, """
        SELECT d.so_id FROM (SELECT so_id, so_line, sum(amount::DECIMAL(18,4)) AS billed
            FROM customer_invoices_now WHERE invoice_id LIKE 'CI-%' GROUP BY ALL) i
        FULL JOIN (SELECT so_id, so_line, sum(round(qty_shipped::DECIMAL(18,4)
                * so.unit_price::DECIMAL(18,4), 2)) AS shipped
            FROM deliveries_now JOIN sales_order_lines_now so USING (so_id, so_line)
            GROUP BY ALL) d USING (so_id, so_line)
        WHERE i.billed IS DISTINCT FROM d.shipped""", "sales lines billed != shipped value")
    _zero(con, """SELECT * FROM customer_invoices_now
        WHERE paid_on IS NOT NULL AND paid_amount::DECIMAL(18,4) <> amount::DECIMAL(18,4)""",
          "customer invoices paid a different amount")


def test_the_general_ledger_balances(tiny, con):
    _zero(con, """SELECT entry_id FROM gl_entries_now GROUP BY 1
        HAVING sum(amount_company::DECIMAL(18,2)) <> 0""", "entries out of balance")
    _zero(con, """SELECT entry_id FROM gl_entries_now GROUP BY 1
        HAVING count(DISTINCT currency) = 1 AND sum(amount::DECIMAL(18,2)) <> 0""",
          "single-currency entries out of balance")
    # every customer and supplier invoice is posted with its total on the receivable and
    # payable, and each site's stock account equals its stock movements — except exactly the
    # differences the simulator planted (and wrote to its truth)
    planted = pd.read_parquet(tiny[0] / "truth" / "reconciliation_differences.parquet")
    assert set(planted.what) == {"ar_posting_differs_from_invoice", "ap_invoice_not_posted",
                                 "inventory_gl_vs_subledger"}
    ar = con.execute("""
        SELECT i.invoice_id, round(coalesce(g.ar, 0) - i.total, 2) AS diff
        FROM (SELECT invoice_id, sum(amount::DECIMAL(18,2)) AS total
              FROM customer_invoices_now GROUP BY 1) i
        LEFT JOIN (SELECT ref_doc_id, sum(amount::DECIMAL(18,2)) AS ar FROM gl_entries_now
                   WHERE account_type = 'ar' AND ref_doc_type LIKE 'customer_%'
                     AND ref_doc_type <> 'customer_payment' GROUP BY 1) g
            ON g.ref_doc_id = i.invoice_id
        WHERE g.ar IS DISTINCT FROM i.total ORDER BY 1""").df()
    want = planted[planted.what == "ar_posting_differs_from_invoice"].sort_values("ref_doc_id")
    assert list(ar.invoice_id) == list(want.ref_doc_id)
    assert list(ar["diff"].astype(float)) == list(want.amount)
    ap = con.execute("""
        SELECT i.invoice_id, round(coalesce(g.ap, 0) - i.total, 2) AS diff
        FROM (SELECT invoice_id, sum(amount::DECIMAL(18,2)) AS total
              FROM supplier_invoices_now GROUP BY 1) i
        LEFT JOIN (SELECT ref_doc_id, -sum(amount::DECIMAL(18,2)) AS ap FROM gl_entries_now
                   WHERE account_type = 'ap' AND ref_doc_type LIKE 'supplier_%'
                     AND ref_doc_type <> 'supplier_payment' GROUP BY 1) g
            ON g.ref_doc_id = i.invoice_id
        WHERE g.ap IS DISTINCT FROM i.total ORDER BY 1""").df()
    want = planted[planted.what == "ap_invoice_not_posted"].sort_values("ref_doc_id")
    assert list(ap.invoice_id) == list(want.ref_doc_id)
    assert list(ap["diff"].astype(float)) == list(want.amount)
    stock = con.execute("""
        SELECT cc, round(coalesce(g.v, 0) - coalesce(m.v, 0), 2) AS diff
        FROM (SELECT 'CC-' || site_id AS cc, sum(value::DECIMAL(18,2)) AS v
              FROM inventory_movements_now GROUP BY 1) m
        FULL JOIN (SELECT cost_center AS cc, sum(amount::DECIMAL(18,2)) AS v FROM gl_entries_now
                   WHERE account = '1400' GROUP BY 1) g USING (cc) ORDER BY 1""").df()
    want = planted[planted.what == "inventory_gl_vs_subledger"].groupby("cost_center").amount.sum()
    got = stock.set_index("cc")["diff"].astype(float)
    assert got[got != 0].round(2).to_dict() == want.round(2).to_dict()


def test_stock_snapshots_are_the_sum_of_the_movements(con):
    _zero(con, """
        SELECT s.* FROM inventory_snapshots_now s
        LEFT JOIN (SELECT s2.snapshot_date, s2.item_id, s2.site_id,
                          sum(m.qty::DECIMAL(18,4)) AS qty
                   FROM inventory_snapshots_now s2 JOIN inventory_movements_now m
                     ON m.item_id = s2.item_id AND m.site_id = s2.site_id
                    AND m.posted_on::DATE <= s2.snapshot_date::DATE
                   GROUP BY ALL) t USING (snapshot_date, item_id, site_id)
        WHERE abs(coalesce(t.qty, 0) - s.qty_on_hand::DECIMAL(18,4)) > 0.001
           OR s.qty_on_hand::DECIMAL(18,4) < 0
           OR s.qty_allocated::DECIMAL(18,4) + s.qty_blocked::DECIMAL(18,4)
              > s.qty_on_hand::DECIMAL(18,4)""", "snapshots that do not add up")
    # fx rates: every non-USD currency in use, every day of the history
    days = con.execute("SELECT count(DISTINCT rate_date) FROM fx_rates_now").fetchone()[0]
    assert days == 150
    missing = con.execute("""
        SELECT DISTINCT currency FROM gl_entries_now WHERE currency <> 'USD'
        EXCEPT SELECT from_currency FROM fx_rates_now""").fetchall()
    assert missing == []
    assert con.execute("SELECT count(DISTINCT currency) FROM gl_entries_now").fetchone()[0] >= 3


# --- the planted truth --------------------------------------------------------------------------

def _truth(tiny, name: str) -> pd.DataFrame:
    root, _ = tiny
    return pd.read_parquet(root / "truth" / f"{name}.parquet")


def test_suppliers_differ_visibly_in_reliability(tiny):
    po = _truth(tiny, "purchase_order_lines")
    otd = po[po.is_due].groupby("supplier_id").on_time.mean()
    assert otd.min() < 0.80 and otd.max() > 0.90, otd.to_dict()
    planted = _truth(tiny, "suppliers").set_index("supplier_id")
    assert planted.p_on_time.min() <= 0.56 and planted.p_on_time.max() >= 0.97
    # the measured ranking follows the planted one
    both = pd.concat([otd, planted.p_on_time], axis=1).dropna()
    assert both.corr(method="spearman").iloc[0, 1] > 0.6
    sales = _truth(tiny, "sales_order_lines")
    counted = sales[sales.is_counted]
    assert 0.6 < counted.otif.mean() < 0.98 and len(counted) > 1000


PO_TRUTH_SQL = """
WITH first_cf AS (
    SELECT po_id, po_line, confirmed_date::DATE AS confirmed_date FROM supplier_confirmations_now
    QUALIFY row_number() OVER (PARTITION BY po_id, po_line
        ORDER BY confirmed_at::TIMESTAMPTZ, confirmation_id) = 1),
po AS (
    SELECT po.*, coalesce(f.confirmed_date, po.requested_date::DATE) AS deadline
    FROM purchase_order_lines_now po LEFT JOIN first_cf f USING (po_id, po_line)),
gr AS (
    SELECT po.po_id, po.po_line,
        min(CASE WHEN movement = 'receipt' THEN received_on::DATE END) AS first_receipt,
        sum(CASE WHEN received_on::DATE <= po.deadline THEN CASE movement
            WHEN 'receipt' THEN qty_received::DECIMAL(18,4) - coalesce(qty_rejected::DECIMAL(18,4), 0)
            ELSE -qty_received::DECIMAL(18,4) END ELSE 0 END) AS net
    FROM goods_receipts_now g JOIN po USING (po_id, po_line) GROUP BY ALL)
SELECT po_id, po_line, supplier_id, deadline, date_trunc('month', deadline)::DATE AS month,
    deadline <= DATE '{as_of}' AND status <> 'cancelled' AS is_due,
    coalesce(first_receipt <= deadline, false) AS on_time,
    coalesce(net, 0) >= qty_ordered::DECIMAL(18,4) AS in_full,
    coalesce(first_receipt <= requested_date::DATE, false) AS on_time_to_need
FROM po LEFT JOIN gr USING (po_id, po_line)
"""

SO_TRUTH_SQL = """
WITH so AS (SELECT *, coalesce(committed_date::DATE, requested_date::DATE) AS deadline
            FROM sales_order_lines_now),
d AS (SELECT so_id, so_line, min(delivered_on::DATE) AS first_delivery,
          sum(CASE WHEN delivered_on::DATE <= so.deadline THEN qty_shipped::DECIMAL(18,4)
              ELSE 0 END) AS by_deadline
      FROM deliveries_now JOIN so USING (so_id, so_line) GROUP BY ALL)
SELECT so_id, so_line, customer_id, site_id, deadline,
    date_trunc('month', deadline)::DATE AS month,
    deadline <= DATE '{as_of}'
        AND NOT (status = 'cancelled' AND coalesce(cancel_reason, '') = 'customer') AS is_counted,
    coalesce(first_delivery <= deadline, false) AS on_time,
    coalesce(by_deadline, 0) >= qty_ordered::DECIMAL(18,4) AS in_full
FROM so LEFT JOIN d USING (so_id, so_line)
"""


@pytest.mark.parametrize("name, sql, key, cols", [
    ("purchase_order_lines", PO_TRUTH_SQL, ["po_id", "po_line"],
     ["supplier_id", "deadline", "month", "is_due", "on_time", "in_full", "on_time_to_need"]),
    ("sales_order_lines", SO_TRUTH_SQL, ["so_id", "so_line"],
     ["customer_id", "site_id", "deadline", "month", "is_counted", "on_time", "in_full"]),
])
def test_truth_recomputes_from_the_landing_files(tiny, con, name, sql, key, cols):
    mine = con.execute(sql.format(as_of=AS_OF.isoformat())).df()
    truth = _truth(tiny, name)
    assert len(mine) == len(truth) and not truth.duplicated(key).any()
    merged = truth.merge(mine, on=key, suffixes=("", "_files"), validate="1:1")
    assert len(merged) == len(truth)
    for col in cols:
        a, b = merged[col], merged[f"{col}_files"]
        if col in ("deadline", "month"):
            a, b = pd.to_datetime(a), pd.to_datetime(b)
        assert (a == b).all(), f"{name}.{col}: {(a != b).sum()} rows differ"
    assert (truth.otif == (truth.on_time & truth.in_full)).all()
    # the truth has both outcomes, so a wrong formula cannot pass by luck
    for col in ("on_time", "in_full"):
        assert 0 < truth[col].mean() < 1


def test_truth_excludes_deleted_lines_and_respects_the_conventions(tiny, con):
    so = _truth(tiny, "sales_order_lines")
    deleted = con.execute("SELECT so_id || '/' || so_line FROM sales_order_lines "
                          "WHERE is_deleted = 'true'").fetchall()
    keys = set(so.so_id + "/" + so.so_line)
    assert deleted and not ({d[0] for d in deleted} & keys)
    po = _truth(tiny, "purchase_order_lines")
    assert (pd.to_datetime(po.month) == pd.to_datetime(po.deadline).dt.to_period("M")
            .dt.to_timestamp()).all()
    # re-confirmed lines are judged against the first promise
    reconf = con.execute("""SELECT count(*) FROM (SELECT po_id, po_line FROM
        supplier_confirmations_now GROUP BY ALL HAVING count(*) > 1)""").fetchone()[0]
    assert reconf > 0
    # own cancellations count (as misses), customer cancellations do not
    own = con.execute("SELECT count(*) FROM sales_order_lines_now WHERE cancel_reason = 'own'"
                      ).fetchone()[0]
    cust = con.execute("SELECT count(*) FROM sales_order_lines_now "
                       "WHERE cancel_reason = 'customer'").fetchone()[0]
    assert own > 0 and cust > 0


# --- entry points ------------------------------------------------------------------------------

def test_fill_if_empty_leaves_a_landing_zone_with_files_alone(tmp_path):
    landing = tmp_path / "landing"
    (landing / "sales_order_lines").mkdir(parents=True)
    mine = landing / "sales_order_lines" / "mine.csv"
    mine.write_text("so_id\n1\n")
    assert simulator.fill_if_empty(landing, tmp_path / "truth", tier="tiny") is None
    assert [p for p in landing.rglob("*") if p.is_file()] == [mine]
    assert not (tmp_path / "truth").exists()


def test_fill_if_empty_fills_an_empty_landing_zone(tmp_path):
    (tmp_path / "landing" / "empty_folder").mkdir(parents=True)
    m = simulator.fill_if_empty(tmp_path / "landing", tmp_path / "truth", tier="tiny")
    assert m is not None and m["tier"] == "tiny"
    assert (tmp_path / "truth" / "manifest.json").exists()


def test_cli_generates_and_prints_a_summary(tmp_path, capsys):
    code = cli_main(["generate", "--landing-dir", str(tmp_path / "l"), "--truth-dir",
                     str(tmp_path / "t"), "--tier", "tiny", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "tier tiny, seed 3" in out and "purchase_order_lines" in out
    assert cli_main(["generate", "--landing-dir", str(tmp_path / "l"), "--truth-dir",
                     str(tmp_path / "t"), "--tier", "tiny", "--end-date", "not-a-date"]) == 2


def test_the_simulator_imports_neither_dagster_nor_the_pipeline():
    for path in Path(simulator.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for n in names:
                assert not n.split(".")[0] in ("dagster", "orchestration", "dagster_dbt"), \
                    (path.name, n)


# --- realism: the planted truth checked against the files ----------------------------------------

def test_master_data_errors_are_exactly_the_planted_ones(tiny, con):
    errors = _truth(tiny, "master_data_errors")
    assert set(errors.rule) == {"missing_lead_time", "missing_cost", "price_jump",
                                "duplicate_partner_tax_id", "supplier_without_payment_terms",
                                "bom_component_unknown"}

    def keys(rule):
        return sorted(errors[errors.rule == rule].key)

    def found(sql):
        return sorted(r[0] for r in con.execute(sql).fetchall())
    assert found("SELECT item_id || '|' || site_id FROM item_sites_now WHERE make_or_buy = 'buy' "
                 "AND planned_lead_time_days IS NULL") == keys("missing_lead_time")
    assert found("SELECT item_id || '|' || site_id FROM item_sites_now "
                 "WHERE standard_cost IS NULL") == keys("missing_cost")
    assert found("""SELECT p.partner_id FROM partners_now p JOIN partners_now o
                    ON o.tax_id = p.tax_id AND o.partner_id < p.partner_id""") \
        == keys("duplicate_partner_tax_id")
    assert found("SELECT partner_id FROM partners_now WHERE role = 'supplier' "
                 "AND payment_terms_days IS NULL") == keys("supplier_without_payment_terms")
    assert found("""SELECT parent_item_id || '|' || component_item_id || '|' || valid_from
                    FROM bom_lines_now WHERE component_item_id NOT IN
                    (SELECT item_id FROM items_now)""") == keys("bom_component_unknown")
    assert found("""SELECT supplier_id || '|' || item_id || '|' || valid_from FROM (
                    SELECT *, lag(unit_price::DOUBLE) OVER (PARTITION BY supplier_id, item_id
                        ORDER BY valid_from) AS before FROM supplier_items_now)
                    WHERE unit_price::DOUBLE > 1.5 * before""") == keys("price_jump")


def test_every_late_or_short_sales_line_has_its_cause(tiny, con):
    so = _truth(tiny, "sales_order_lines")
    miss = so.is_counted & ~so.otif
    assert so.delay_cause[miss].notna().all() and so.delay_cause[~miss].isna().all()
    assert set(so.delay_cause.dropna()) <= {"stock_out", "supplier_late", "production_late",
                                            "carrier_late", "short_shipment", "other"}
    assert {"stock_out", "carrier_late"} <= set(so.delay_cause.dropna())
    # evidence points at records that exist, and only where the cause needs it
    for col, cause, table, key in [
            ("evidence_po_id", "supplier_late", "purchase_order_lines", "po_id"),
            ("evidence_mo_id", "production_late", "production_orders", "mo_id"),
            ("evidence_shipment_id", "carrier_late", "shipments", "shipment_id")]:
        ev = so[col].dropna()
        assert (so.loc[ev.index, "delay_cause"] == cause).all()
        known = {r[0] for r in con.execute(f"SELECT {key} FROM {table}_now").fetchall()}
        assert set(ev) <= known, col
    # a carrier-late line: its first delivery came with a shipment that was late
    late = so[so.delay_cause == "carrier_late"]
    sh = con.execute("SELECT shipment_id, actual_delivery::DATE AS d, planned_delivery::DATE "
                     "AS p FROM shipments_now").df().set_index("shipment_id")
    arrived = pd.to_datetime(sh.loc[late.evidence_shipment_id, "d"]).to_numpy()
    deadline = pd.to_datetime(late.deadline).to_numpy()
    assert (np.isnat(arrived) | (arrived > deadline)).all()       # late, or still on its way
    # backorders and lost lines: lost lines were cancelled by us or closed short
    lost = so[so.is_lost]
    status = con.execute("SELECT so_id, so_line, status, cancel_reason FROM "
                         "sales_order_lines_now").df()
    lost = lost.merge(status, on=["so_id", "so_line"])
    assert len(lost) and ((lost.status == "closed") | ((lost.status == "cancelled")
                                                       & (lost.cancel_reason == "own"))).all()
    assert (lost.qty_lost > 0).all() and so.is_backordered.sum() >= len(lost)


def test_cycle_count_differences_and_production_truth(tiny, con):
    diff = _truth(tiny, "cycle_counts")
    files = con.execute("SELECT count_id, qty_counted::DOUBLE - qty_system::DOUBLE AS d FROM "
                        "cycle_counts_now WHERE qty_counted <> qty_system ORDER BY 1").df()
    assert list(files.count_id) == sorted(diff.count_id)
    assert (files.d.round(4).to_numpy() == diff.sort_values("count_id").difference.to_numpy()).all()
    mo = _truth(tiny, "production_orders")
    po = con.execute("SELECT mo_id, planned_finish::DATE AS pf, actual_finish::DATE AS af, status "
                     "FROM production_orders_now").df().set_index("mo_id")
    due = mo[mo.is_due].set_index("mo_id")
    late = pd.to_datetime(po.loc[due.index, "af"]).isna() | (
        pd.to_datetime(po.loc[due.index, "af"]) > pd.to_datetime(po.loc[due.index, "pf"]))
    assert (late.to_numpy() == due.is_late.to_numpy()).all()
    assert due.is_late.any() and (~due.is_late).any()
    assert set(due.late_cause.dropna()) <= {"component_shortage", "start_delay", "overrun", "other"}


def test_suppliers_drift_confirm_redate_and_stay_silent(tiny, con):
    planted = _truth(tiny, "suppliers")
    assert {"drifting", "early"} <= set(planted.archetype)
    lines = con.execute("""SELECT count(*) AS n, count(c.po_id) AS confirmed,
        count(DISTINCT CASE WHEN k > 1 THEN c.po_id || c.po_line END) AS redated
        FROM purchase_order_lines_now p LEFT JOIN (SELECT po_id, po_line, count(*) AS k
            FROM supplier_confirmations_now GROUP BY ALL) c USING (po_id, po_line)""").fetchone()
    n, confirmed, redated = lines
    assert 0 < confirmed < n and redated > 0            # some never confirmed (silent)
    shipments = con.execute("SELECT direction, count(*) FROM shipments_now GROUP BY 1").fetchall()
    assert {d for d, _ in shipments} == {"inbound", "outbound"}
    charges = {r[0] for r in con.execute("SELECT DISTINCT charge_type FROM freight_invoices_now"
                                         ).fetchall()}
    assert {"linehaul", "fuel", "accessorial"} <= charges


# --- append, chase replies, formats, tiers ----------------------------------------------------------

def _landing_files(landing: Path) -> dict[str, bytes]:
    return {p.relative_to(landing).as_posix(): p.read_bytes()
            for p in sorted(landing.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def appended(tmp_path_factory):
    """tiny generated, then continued for 3 days with the buyer chasing open PO lines."""
    root = tmp_path_factory.mktemp("append")
    base = simulator.generate(root / "landing", root / "truth", tier="tiny")
    before = _landing_files(root / "landing")
    open_lines = duckdb.sql(f"""
        SELECT po_id, po_line FROM (SELECT * FROM read_csv('{root}/landing/purchase_order_lines/*.csv',
            all_varchar=true, filename=true) QUALIFY row_number() OVER (PARTITION BY po_id, po_line
            ORDER BY extracted_at DESC) = 1) WHERE status = 'open' ORDER BY 1, 2""").df()
    drafts = root / "drafts"
    drafts.mkdir()
    open_lines.to_csv(drafts / "chase_S0001.csv", index=False)
    import shutil
    for d in ("landing", "truth"):                     # the same days without any chase
        shutil.copytree(root / d, root / "plain" / d)
    simulator.append(root / "plain" / "landing", root / "plain" / "truth", days=3)
    m = simulator.append(root / "landing", root / "truth", days=3, chase_drafts=drafts)
    return root, base, before, m, open_lines


def test_append_continues_the_same_company(appended):
    root, base, before, m, _ = appended
    assert m["as_of"] == "2026-11-23" and m["history_start"] == base["history_start"]
    after = _landing_files(root / "landing")
    assert all(after[k] == v for k, v in before.items())          # nothing rewritten
    new = sorted(set(after) - set(before))
    days = {f.rsplit("_", 1)[1][:10] for f in new}
    assert days == {"2026-11-21", "2026-11-22", "2026-11-23"}
    assert any(f.startswith("sales_order_lines/") for f in new)
    assert any(f.startswith("items/items_2026-11-23") for f in new)   # master data again
    # ids continue and lines open at the old as-of close
    so = duckdb.sql(f"""SELECT so_id, max(extracted_at) AS last, count(DISTINCT status) AS k
        FROM read_csv('{root}/landing/sales_order_lines/*.csv', all_varchar=true)
        GROUP BY 1""").df()
    assert (so.k > 1).any()
    assert m["truth_rows"]["sales_order_lines"] >= base["truth_rows"]["sales_order_lines"]


def test_append_equals_a_longer_run_and_is_deterministic(appended, tmp_path):
    from simulator.core import Ctx, day_of
    from simulator.generate import _run
    root, base, before, m, _ = appended
    # the same company generated straight to the new as-of date (same first day and
    # cut-off): the continuation without chases is identical, file for file
    t = simulator.TIERS["tiny"]
    start, cutoff = day_of(date(2026, 6, 24)), day_of(date(2026, 11, 13))
    assert base["history_start"] == "2026-06-24"
    _run(Ctx(t, 7, start, cutoff, day_of(date(2026, 11, 23))), tmp_path / "l", tmp_path / "t",
         "csv", {}, chase=[], previous=None)
    plain, straight = _landing_files(root / "plain" / "landing"), _landing_files(tmp_path / "l")
    new = sorted(set(plain) - set(before))
    assert len(new) > 40 and all(plain[f] == straight[f] for f in new)
    assert all(straight[f] == plain[f] for f in before if f in straight)
    # with chases, only the confirmations (and consignments leaving after a reply) differ
    mine = _landing_files(root / "landing")
    assert set(mine) == set(plain)
    assert {f.split("/")[0] for f in mine if mine[f] != plain[f]} <= {
        "supplier_confirmations", "shipments", "shipment_events"}
    # and appending again from the same state gives the same files
    import shutil
    for copy in ("c1", "c2"):
        for d in ("landing", "truth"):
            shutil.copytree(root / d, tmp_path / copy / d)
        simulator.append(tmp_path / copy / "landing", tmp_path / copy / "truth", days=1)
    assert _landing_files(tmp_path / "c1" / "landing") == _landing_files(tmp_path / "c2" / "landing")
    assert _landing_files(tmp_path / "c1" / "truth") == _landing_files(tmp_path / "c2" / "truth")


def test_chased_lines_are_confirmed_redated_or_left_silent(appended):
    root, _, _, m, chased = appended
    replies = pd.read_parquet(root / "truth" / "chase_responses.parquet")
    assert len(replies) == len(chased)
    counts = replies.response.value_counts()
    assert {"confirm", "redate", "silent"} <= set(counts.index)

    def new_confirmations(landing):
        return duckdb.sql(f"""SELECT po_id, po_line, confirmed_at::TIMESTAMPTZ::DATE AS day,
            confirmed_date::DATE AS d FROM read_csv('{landing}/supplier_confirmations/*.csv',
            all_varchar=true) WHERE extracted_at > '2026-11-20T23'""").df()
    mine, plain = new_confirmations(root / "landing"), new_confirmations(root / "plain" / "landing")
    from collections import Counter

    def rows(f):
        return Counter(zip(f.po_id, f.po_line.astype(str), pd.to_datetime(f.day).dt.date,
                           pd.to_datetime(f.d).dt.date))
    extra = rows(mine) - rows(plain)             # what the replies added (a multiset)
    answered = replies[replies.responded_on.notna()
                       & (pd.to_datetime(replies.responded_on) <= pd.Timestamp("2026-11-23"))]
    want = rows(pd.DataFrame(dict(po_id=answered.po_id, po_line=answered.po_line,
                                  day=answered.responded_on, d=answered.confirmed_date)))
    assert len(answered) > 0 and extra == want
    assert set(answered.response) == {"confirm", "redate"}


def test_parquet_and_xlsx_deliveries_load_without_quarantine(tmp_path):
    from orchestration.ingestion.loader import connect, ingest_file, list_deliveries
    from orchestration.ingestion.schema import ensure_schemas
    landing = tmp_path / "landing"
    m = simulator.generate(landing, tmp_path / "truth", tier="tiny", fmt="parquet",
                           formats={"plan_overrides": "xlsx", "budgets": "xlsx"})
    assert all(f.endswith(".xlsx") for f in m["files"] if f.split("/")[0] in
               ("plan_overrides", "budgets"))
    again = simulator.generate(tmp_path / "again", tmp_path / "t2", tier="tiny", fmt="parquet",
                               formats={"plan_overrides": "xlsx", "budgets": "xlsx"})
    assert _landing_files(landing) == _landing_files(tmp_path / "again") and again
    con = connect(tmp_path / "w.duckdb")
    try:
        ensure_schemas(con)
        for name, contract in CONTRACTS.items():
            for path in list_deliveries(landing, name):
                result = ingest_file(con, contract, landing, path)
                assert result.status == "loaded", (path.name, result.error)
                assert result.rows_quarantined == 0 and result.rows_loaded > 0, path.name
        xlsx = con.execute("SELECT count(*) FROM raw.plan_overrides").fetchone()[0]
        assert xlsx == m["rows"]["plan_overrides"]
    finally:
        con.close()


def test_a_tier_of_several_blocks_keeps_ids_unique(tmp_path, monkeypatch):
    from dataclasses import replace
    monkeypatch.setitem(simulator.TIERS, "tiny2", replace(simulator.TIERS["tiny"], name="tiny2",
                                                          blocks=2, sales_lines=2_000))
    m = simulator.generate(tmp_path / "l", tmp_path / "t", tier="tiny2")
    ids = duckdb.sql(f"""SELECT so_id FROM read_csv('{tmp_path}/l/sales_order_lines/*.csv',
        all_varchar=true)""").df().so_id
    assert {i[3:5] for i in ids} == {"00", "01"} and ids.str.len().eq(12).all()
    po = pd.read_parquet(tmp_path / "t" / "purchase_order_lines.parquet")
    assert not po.duplicated(["po_id", "po_line"]).any() and po.po_id.str[3:5].nunique() == 2
    assert m["blocks"] == 2 and m["current_rows"]["inventory_movements"] > 0


def test_the_free_disk_check_refuses_a_tier_that_does_not_fit(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**12, 10**12 - 10**6, 10**6))
    with pytest.raises(ValueError, match="not enough free disk"):
        simulator.generate(tmp_path / "l", tmp_path / "t", tier="l", fmt="parquet")
    assert not (tmp_path / "l").exists()


def test_tiers_follow_the_performance_spec():
    tiers = simulator.TIERS
    assert {"tiny", "demo", "m", "l"} <= set(tiers)
    assert tiers["m"].history_days == tiers["l"].history_days == 1095
    assert tiers["m"].sales_lines == 3_000_000 and tiers["l"].sales_lines == 15_000_000
    assert tiers["m"].po_lines == 800_000 and tiers["l"].po_lines == 4_000_000
    assert tiers["l"].blocks > tiers["m"].blocks > 1


def test_cli_appends(tmp_path, capsys):
    assert cli_main(["generate", "--landing-dir", str(tmp_path / "l"), "--truth-dir",
                     str(tmp_path / "t"), "--tier", "tiny", "--formats",
                     "plan_overrides=xlsx"]) == 0
    assert cli_main(["append", "--landing-dir", str(tmp_path / "l"), "--truth-dir",
                     str(tmp_path / "t"), "--days", "2"]) == 0
    out = capsys.readouterr().out
    assert "appended 2 day(s)" in out and "as of 2026-11-22" in out
    assert cli_main(["append", "--landing-dir", str(tmp_path / "l"), "--truth-dir",
                     str(tmp_path / "nothing"), "--days", "1"]) == 2
