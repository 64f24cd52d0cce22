"""The Great Expectations suites on hand-made deliveries: each rule flags exactly the rows
that break it, critical rules block and warnings do not, a delivery is validated once,
batches bound memory without changing the answer, and it all runs offline."""

from __future__ import annotations

import socket
from datetime import date, datetime

import pandas as pd
import pytest

from expectations.rules import CRITICAL, WARNING, suite_rules
from expectations.validate import validate_new_deliveries
from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.loader import connect
from orchestration.ingestion.schema import ensure_schemas

EXTRACTED = datetime(2026, 3, 20, 6, 0)
D = date.fromisoformat

# Required values of each extract this module delivers, so a test row names only what
# its rule reads.
DEFAULTS = {
    "sites": {"currency": "USD"},
    "partners": {"role": "supplier"},
    "item_sites": {},
    "supplier_items": {"currency": "USD"},
    "bom_lines": {"qty_per": 1},
    "fx_rates": {"to_currency": "USD", "rate": 1.1},
    "purchase_order_lines": {"supplier_id": "S1", "site_id": "P1", "item_id": "I1",
                             "order_date": D("2026-03-01"), "requested_date": D("2026-03-10"),
                             "qty_ordered": 10, "currency": "USD", "status": "open"},
    "goods_receipts": {"receipt_line": "1", "po_line": "1", "item_id": "I1", "site_id": "P1",
                       "received_on": D("2026-03-12"), "movement": "receipt"},
    "sales_order_lines": {"so_line": "1", "customer_id": "C1", "site_id": "P1",
                          "item_id": "I1", "order_date": D("2026-03-01"), "qty_ordered": 1,
                          "currency": "USD", "status": "open"},
    "gl_entries": {"posting_date": D("2026-03-01"), "account": "1000",
                   "account_type": "other", "currency": "USD"},
    "inventory_movements": {"item_id": "I1", "site_id": "P1", "movement_type": "receipt",
                            "qty": 1, "posted_on": D("2026-03-01")},
}
_seq = iter(range(1, 10_000))


def deliver(con, extract: str, rows: list[dict]) -> int:
    """One delivery of hand-made rows into raw.<extract>, recorded in the ledger as the
    loader records a loaded file; returns its load_seq."""
    contract = load_contracts()[extract]
    seq = next(_seq)
    path = f"{extract}/{extract}_{seq}.csv"
    frame = pd.DataFrame([{**DEFAULTS.get(extract, {}), **row} for row in rows])
    for c in contract.columns:
        if c.name not in frame:
            frame[c.name] = None
    frame["source_system"] = "test"
    frame["extracted_at"] = EXTRACTED
    if contract.kind == "delta":
        frame["is_deleted"] = False
    frame = frame[list(contract.column_names)].assign(
        _source_file=path, _file_sha256=f"sha{seq}", _row_number=range(1, len(frame) + 1),
        _loaded_at=EXTRACTED, _load_seq=seq)
    con.register("delivery", frame)
    con.execute(f'INSERT INTO raw."{extract}" BY NAME SELECT * FROM delivery')
    con.unregister("delivery")
    con.execute("INSERT INTO meta.ingest_ledger (load_seq, file_path, extract, sha256, "
                "size_bytes, status, rows_read, rows_loaded, seen_at) "
                "VALUES (?, ?, ?, ?, 1, 'loaded', ?, ?, ?)",
                [seq, path, extract, f"sha{seq}", len(frame), len(frame), EXTRACTED])
    return seq


def company(con) -> None:
    deliver(con, "sites", [{"site_id": "P1"}, {"site_id": "D1", "currency": "EUR"}])
    deliver(con, "items", [{"item_id": i} for i in ("I1", "I2", "I3")])
    deliver(con, "partners", [
        {"partner_id": "S1", "tax_id": "T1", "payment_terms_days": 30},
        {"partner_id": "S2", "tax_id": "T1", "payment_terms_days": 30},   # S1 again
        {"partner_id": "S3", "tax_id": "T3"},                             # no terms
        {"partner_id": "C1", "role": "customer", "tax_id": "T1"},         # other role
        {"partner_id": "C2", "role": "customer", "tax_id": None}])
    deliver(con, "item_sites", [
        {"item_id": "I1", "site_id": "P1", "standard_cost": 5, "planned_lead_time_days": 7},
        {"item_id": "I2", "site_id": "P1", "planned_lead_time_days": 7},   # no cost
        {"item_id": "I3", "site_id": "P1", "standard_cost": 5}])           # no lead time
    deliver(con, "supplier_items", [
        {"supplier_id": "S1", "item_id": "I1", "valid_from": D("2026-01-01"), "unit_price": 10},
        {"supplier_id": "S1", "item_id": "I1", "valid_from": D("2026-04-01"), "unit_price": 15},
        {"supplier_id": "S1", "item_id": "I1", "valid_from": D("2026-07-01"), "unit_price": 30},
        {"supplier_id": "S1", "item_id": "I2", "valid_from": D("2026-01-01"), "unit_price": 10,
         "currency": "EUR"},
        {"supplier_id": "S1", "item_id": "I2", "valid_from": D("2026-02-01"), "unit_price": 100}])
    deliver(con, "bom_lines", [
        {"parent_item_id": "I1", "component_item_id": "I2", "valid_from": D("2026-01-01")},
        {"parent_item_id": "I1", "component_item_id": "X9", "valid_from": D("2026-01-01")},
        {"parent_item_id": "I3", "component_item_id": "I2", "valid_from": D("2026-02-01"),
         "valid_to": D("2026-01-15")}])
    deliver(con, "fx_rates", [
        {"rate_date": D("2026-03-01"), "from_currency": "EUR"},
        {"rate_date": D("2026-03-02"), "from_currency": "EUR"},
        {"rate_date": D("2026-03-01"), "from_currency": "USD", "to_currency": "JPY", "rate": 150}])
    deliver(con, "purchase_order_lines", [
        *({"po_id": f"PO{n}", "po_line": "1", "unit_price": 10} for n in range(1, 6)),
        {"po_id": "PO6", "po_line": "1", "unit_price": 25},                 # 2.5x the median
        {"po_id": "PO7", "po_line": "1", "unit_price": 4},                  # 0.4x
        {"po_id": "PO8", "po_line": "1", "unit_price": 19.9},               # within 2x
        {"po_id": "PO9", "po_line": "1", "requested_date": D("2026-02-20")},  # before order
        {"po_id": "PO10", "po_line": "1", "currency": "EUR"},
        {"po_id": "PO11", "po_line": "1", "currency": "EUR", "order_date": D("2026-03-03"),
         "requested_date": D("2026-03-03")},                                # no EUR rate that day
        {"po_id": "PO12", "po_line": "1", "currency": "JPY"},               # inverse quote
        {"po_id": "PO13", "po_line": "1", "currency": "GBP"},               # never quoted
        {"po_id": "PO14", "po_line": "1", "supplier_id": "S9", "item_id": "I7"}])
    deliver(con, "goods_receipts", [
        {"receipt_id": "R1", "po_id": "PO1", "qty_received": 6},
        {"receipt_id": "R1", "receipt_line": "2", "po_id": "PO1", "qty_received": 5},  # 110 %
        {"receipt_id": "R2", "po_id": "PO2", "qty_received": 12},           # 120 %
        {"receipt_id": "R3", "po_id": "PO3", "qty_received": 15},
        {"receipt_id": "R4", "po_id": "PO3", "qty_received": 5, "movement": "reversal"},
        {"receipt_id": "R5", "po_id": "PO4", "qty_received": 1,
         "received_on": D("2026-02-01")}])                                  # before the order
    deliver(con, "sales_order_lines", [
        {"so_id": "SO1", "requested_date": D("2026-03-05"), "committed_date": D("2026-03-06")},
        {"so_id": "SO2", "committed_date": D("2026-02-27")},
        {"so_id": "SO3", "requested_date": D("2026-02-28")}])
    deliver(con, "gl_entries", [
        {"entry_id": "JE1", "line": "1", "amount": 100},
        {"entry_id": "JE1", "line": "2", "amount": -100},
        {"entry_id": "JE2", "line": "1", "amount": 100},
        {"entry_id": "JE2", "line": "2", "amount": -90},
        {"entry_id": "JE3", "line": "1", "amount": 100, "currency": "EUR",
         "amount_company": 110},
        {"entry_id": "JE3", "line": "2", "amount": -110, "amount_company": -110}])
    # more rows than one batch (2,048 rows at least): the bad one in the last batch
    deliver(con, "inventory_movements",
            [{"movement_id": f"M{n:05d}"} for n in range(5000)]
            + [{"movement_id": "M99999", "site_id": "P7"}])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("expectations")
    con = connect(folder / "warehouse.duckdb")
    ensure_schemas(con)
    company(con)
    yield con, folder
    con.close()


@pytest.fixture(scope="module")
def reports(warehouse):
    """Every extract validated once, with every network connection refused."""
    con, folder = warehouse

    def refuse(*args, **kwargs):
        raise OSError("network access during validation")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        return validate_new_deliveries(con, list(load_contracts()), company_currency="USD",
                                       quality_dir=folder / "quality", rows_per_batch=2048)


def flagged(report, rule: str, column: str) -> set[str]:
    keys = {f["record_key"] for o in report.outcomes
            if (o.rule.name, o.rule.column) == (rule, column) for f in o.flagged}
    outcome = next(o for o in report.outcomes if (o.rule.name, o.rule.column) == (rule, column))
    assert outcome.unexpected == sum(len(o.flagged) for o in report.outcomes
                                     if o is outcome), "every flagged row is kept"
    return keys


def test_dates_in_order(reports):
    po, so = reports["purchase_order_lines"], reports["sales_order_lines"]
    assert flagged(po, "dates_in_order", "requested_date") == {"PO9|1"}
    assert flagged(so, "dates_in_order", "committed_date") == {"SO2|1"}
    assert flagged(so, "dates_in_order", "requested_date") == {"SO3|1"}
    assert flagged(reports["bom_lines"], "dates_in_order", "valid_to") == {"I3|I2|2026-02-01"}
    assert flagged(reports["goods_receipts"], "dates_in_order", "received_on") == {"R5|1"}


def test_received_within_ordered_plus_tolerance(reports):
    # PO1: 6 + 5 of 10 is 110 % (the tolerance); PO2: 12 of 10; PO3: 15 - 5 reversed
    assert flagged(reports["goods_receipts"], "received_within_ordered",
                   "qty_received") == {"R2|1"}


def test_currency_known_on_the_day(reports):
    po = reports["purchase_order_lines"]
    # USD is the company currency; EUR is quoted on 03-01 but not 03-03; JPY only the
    # other way round (USD -> JPY), which converts too; GBP never
    assert flagged(po, "fx_rate_on_the_day", "currency") == {"PO11|1", "PO13|1"}
    assert {f["value"] for o in po.outcomes for f in o.flagged
            if o.rule.name == "fx_rate_on_the_day"} == {"EUR on 2026-03-03", "GBP on 2026-03-01"}


def test_price_within_band_of_the_items_history(reports):
    assert flagged(reports["purchase_order_lines"], "price_in_band", "unit_price") \
        == {"PO6|1", "PO7|1"}


def test_contract_price_jump_against_the_version_before(reports):
    # 10 -> 15 is +50 % (the limit), 15 -> 30 a jump; the EUR -> USD change is not compared
    assert flagged(reports["supplier_items"], "contract_price_jump", "unit_price") \
        == {"S1|I1|2026-07-01"}


def test_unknown_master_data_is_flagged_not_blocked(reports):
    po = reports["purchase_order_lines"]
    assert flagged(po, "known_in_master_data", "supplier_id") == {"PO14|1"}
    assert flagged(po, "known_in_master_data", "item_id") == {"PO14|1"}
    bom = reports["bom_lines"]
    assert flagged(bom, "known_in_master_data", "component_item_id") == {"I1|X9|2026-01-01"}
    moves = reports["inventory_movements"]
    assert flagged(moves, "known_in_master_data", "site_id") == {"M99999"}
    assert moves.failed(WARNING) and not moves.blocking
    assert moves.rows == 5001 and len(moves.docs_urls) == 3, "three batches of 2,048 rows"


def test_gl_documents_balance(reports):
    gl = reports["gl_entries"]
    assert flagged(gl, "document_balances", "amount") == {"JE2|1", "JE2|2"}
    assert gl.blocking


def test_master_records_complete_and_partners_unique(reports):
    sites = reports["item_sites"]
    assert flagged(sites, "present", "standard_cost") == {"I2|P1"}
    assert flagged(sites, "present", "planned_lead_time_days") == {"I3|P1"}
    partners = reports["partners"]
    assert flagged(partners, "present", "payment_terms_days") == {"S3"}
    assert flagged(partners, "tax_id_once_per_role", "tax_id") == {"S2"}
    assert not partners.blocking and not sites.blocking


def test_critical_rules_block_and_only_they(reports):
    blocking = {x for x, r in reports.items() if r.blocking}
    assert blocking == {"purchase_order_lines", "sales_order_lines", "bom_lines",
                        "gl_entries"}
    assert reports["goods_receipts"].failed(WARNING) and not reports["goods_receipts"].blocking
    assert all(r.passed for x, r in reports.items()
               if x in ("sites", "items", "fx_rates", "budgets"))


def test_every_expectation_carries_a_severity_and_the_contract_drives_the_suite():
    rules = suite_rules("purchase_order_lines")
    assert {r.severity for r in rules} == {CRITICAL, WARNING}
    required = {r.column for r in rules if r.name == "required"}
    assert required == {c.name for c in load_contracts()["purchase_order_lines"].columns
                        if c.required}
    assert any(r.name == "accepted_values" and r.kwargs["value_set"] ==
               ["open", "closed", "cancelled"] for r in rules)


def test_a_row_the_loader_should_have_refused_fails_the_contract_rules(warehouse, reports):
    con, folder = warehouse
    deliver(con, "purchase_order_lines", [
        {"po_id": "PO20", "po_line": "1", "status": "lost", "qty_ordered": -1},
        {"po_id": "PO21", "po_line": "1", "supplier_id": None},
        {"po_id": "PO21", "po_line": "1"}])
    again = validate_new_deliveries(con, ["purchase_order_lines", "items"],
                                    company_currency="USD", quality_dir=folder / "quality")
    po = again["purchase_order_lines"]
    assert po.rows == 3, "only the new delivery is validated"
    assert again["items"].deliveries == [] and again["items"].passed
    assert flagged(po, "accepted_values", "status") == {"PO20|1"}
    assert flagged(po, "minimum", "qty_ordered") == {"PO20|1"}
    assert flagged(po, "required", "supplier_id") == {"PO21|1"}
    assert flagged(po, "key_once_per_delivery", "po_id|po_line") == {"PO21|1"}
    assert po.blocking
    recorded = con.execute("SELECT count(*) FROM meta.validated_deliveries "
                           "WHERE extract = 'purchase_order_lines'").fetchall()[0][0]
    assert recorded == 2


def test_flagged_rows_and_data_docs_are_kept(warehouse, reports):
    con, folder = warehouse
    kept = con.execute("SELECT record_key, severity FROM meta.expectation_failures "
                       "WHERE extract = 'gl_entries'").fetchall()
    assert sorted(kept) == [("JE2|1", CRITICAL), ("JE2|2", CRITICAL)]
    site = folder / "quality" / "data_docs"
    assert (site / "index.html").is_file()
    # the second validation (one extract) kept the pages of every suite and validation
    assert {p.stem for p in (site / "expectations").glob("*.html")} == set(load_contracts())
    assert {p.name for p in (site / "validations").iterdir()} == {
        x for x, r in reports.items() if r.deliveries}
    page = reports["gl_entries"].docs_urls[0].removeprefix("file://")
    html = open(page.replace("%20", " "), encoding="utf-8").read()
    assert "_entry_imbalance" in html and "2 unexpected values found" in html


def test_the_docs_name_every_business_rule():
    from pathlib import Path

    from expectations.rules import business_rules

    doc = (Path(__file__).resolve().parents[2] / "docs" / "expectations.md").read_text()
    names = {r.name for x in load_contracts() for r in business_rules(x)}
    assert {n for n in names if f"`{n}`" not in doc} == set()
