"""Acceptance statistics of the demo company (issue 3), measured on the DEMO tier from the
files it writes — as a user would, never from the simulator's internal arrays:

- supplier OTD spread across suppliers from below 70 % to above 95 %;
- customer line OTIF between 85 % and 97 %;
- at least 30 % of item × site series intermittent (ADI > 1.32 on weekly order demand);
- stock-out item-site-days between 1 % and 8 % of stocked item-site-days;
- return rate between 1 % and 5 % of shipped units;
- at least three currencies;
- every extract non-empty.

Definitions (docs/simulator.md): rows are the latest version per key (deletes removed);
OTD and OTIF follow docs/conventions.md; a series' weeks run from the ISO week of its first
order line to the week of the as-of date; stocked item-site-days run from an item × site's
first stock movement to the as-of date, items discontinued at the as-of left out, and a day
is a stock-out when the stock at its end (the sum of movements) is zero.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

import simulator
from orchestration.ingestion.contracts import load_contracts

AS_OF = date(2026, 11, 20)
CONTRACTS = load_contracts()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    manifest = simulator.generate(root / "landing", root / "truth", tier="demo")
    con = duckdb.connect()
    for name in ("purchase_order_lines", "supplier_confirmations", "goods_receipts",
                 "sales_order_lines", "deliveries", "returns", "inventory_movements"):
        key = ", ".join(CONTRACTS[name].key)
        con.execute(f"""CREATE TABLE {name} AS SELECT * EXCLUDE (filename) FROM (
            SELECT * FROM read_csv('{root}/landing/{name}/*.csv', header=true,
                                   all_varchar=true, filename=true)
            QUALIFY row_number() OVER (PARTITION BY {key}
                ORDER BY extracted_at DESC, filename DESC) = 1) WHERE is_deleted <> 'true'""")
    con.execute(f"""CREATE TABLE items AS SELECT * FROM read_csv('{root}/landing/items/*.csv',
        header=true, all_varchar=true) WHERE extracted_at = (SELECT max(extracted_at)
        FROM read_csv('{root}/landing/items/*.csv', header=true, all_varchar=true))""")
    yield root, manifest, con
    con.close()


def test_supplier_otd_spreads_from_below_70_to_above_95(demo):
    _, _, con = demo
    otd = con.execute(f"""
        WITH first_cf AS (
            SELECT po_id, po_line, confirmed_date::DATE AS confirmed FROM supplier_confirmations
            QUALIFY row_number() OVER (PARTITION BY po_id, po_line
                ORDER BY confirmed_at::TIMESTAMPTZ, confirmation_id) = 1),
        po AS (SELECT po.*, coalesce(f.confirmed, requested_date::DATE) AS deadline
               FROM purchase_order_lines po LEFT JOIN first_cf f USING (po_id, po_line)),
        rec AS (SELECT po_id, po_line, min(received_on::DATE) AS first_receipt
                FROM goods_receipts WHERE movement = 'receipt' GROUP BY ALL)
        SELECT supplier_id, count(*) AS due,
               avg(coalesce(first_receipt <= deadline, false)::INT) AS otd
        FROM po LEFT JOIN rec USING (po_id, po_line)
        WHERE deadline <= DATE '{AS_OF}' AND status <> 'cancelled'
        GROUP BY 1 HAVING count(*) >= 30""").df()
    assert len(otd) >= 20
    assert otd.otd.min() < 0.70, otd.otd.min()
    assert otd.otd.max() > 0.95, otd.otd.max()


def test_customer_line_otif_between_85_and_97(demo):
    _, _, con = demo
    otif = con.execute(f"""
        WITH so AS (SELECT *, coalesce(committed_date::DATE, requested_date::DATE) AS deadline
                    FROM sales_order_lines),
        d AS (SELECT so_id, so_line, min(delivered_on::DATE) AS first_delivery,
                  sum(CASE WHEN delivered_on::DATE <= so.deadline THEN qty_shipped::DECIMAL(18,4)
                      ELSE 0 END) AS by_deadline
              FROM deliveries JOIN so USING (so_id, so_line) GROUP BY ALL)
        SELECT avg((coalesce(first_delivery <= deadline, false)
                    AND coalesce(by_deadline, 0) >= qty_ordered::DECIMAL(18,4))::INT)
        FROM so LEFT JOIN d USING (so_id, so_line)
        WHERE deadline <= DATE '{AS_OF}'
          AND NOT (status = 'cancelled' AND coalesce(cancel_reason, '') = 'customer')
        """).fetchone()[0]
    assert 0.85 <= otif <= 0.97, otif


def test_at_least_30_percent_of_series_are_intermittent(demo):
    _, _, con = demo
    share, series = con.execute(f"""
        WITH w AS (SELECT item_id, site_id, date_trunc('week', order_date::DATE) AS wk
                   FROM sales_order_lines GROUP BY ALL),
        s AS (SELECT item_id, site_id, count(*) AS nonzero,
                     date_diff('week', min(wk), date_trunc('week', DATE '{AS_OF}')) + 1 AS weeks
              FROM w GROUP BY ALL)
        SELECT avg((weeks / nonzero > 1.32)::INT), count(*) FROM s""").fetchone()
    assert series > 500
    assert share >= 0.30, share


def test_stockout_item_site_days_between_1_and_8_percent(demo):
    _, _, con = demo
    share, days = con.execute(f"""
        WITH d AS (SELECT item_id, site_id, posted_on::DATE AS d, sum(qty::DECIMAL(18,4)) AS q
                   FROM inventory_movements GROUP BY ALL),
        first AS (SELECT item_id, site_id, min(d) AS f FROM d GROUP BY ALL),
        cal AS (SELECT item_id, site_id, unnest(generate_series(f, DATE '{AS_OF}',
                    INTERVAL 1 DAY))::DATE AS d FROM first),
        stock AS (SELECT cal.item_id, cal.site_id, cal.d,
                    sum(coalesce(d.q, 0)) OVER (PARTITION BY cal.item_id, cal.site_id
                        ORDER BY cal.d) AS on_hand
                  FROM cal LEFT JOIN d USING (item_id, site_id, d))
        SELECT avg((on_hand <= 0)::INT), count(*) FROM stock JOIN items USING (item_id)
        WHERE items.lifecycle_status <> 'discontinued'""").fetchone()
    assert days > 500_000
    assert 0.01 <= share <= 0.08, share


def test_return_rate_between_1_and_5_percent_of_shipped_units(demo):
    _, _, con = demo
    rate = con.execute("""SELECT (SELECT sum(qty_returned::DECIMAL(18,4)) FROM returns)
                          / (SELECT sum(qty_shipped::DECIMAL(18,4)) FROM deliveries)""").fetchone()[0]
    assert 0.01 <= rate <= 0.05, rate


def test_at_least_three_currencies_and_every_extract_non_empty(demo):
    root, manifest, con = demo
    currencies = {r[0] for r in con.execute(
        "SELECT DISTINCT currency FROM purchase_order_lines").fetchall()}
    assert len(currencies) >= 3, currencies
    for name in CONTRACTS:
        n = duckdb.sql(f"SELECT count(*) FROM read_csv('{root}/landing/{name}/*.csv', "
                       f"header=true, all_varchar=true)").fetchall()[0][0]
        assert n > 0 and manifest["current_rows"][name] > 0, name
