"""The expectation checks on the session's company: they find exactly the master-data
errors the simulator planted, validate every delivery once, report on each ingest asset
(warnings pass downstream), and a critical failure stops what reads the extract."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import dagster as dg
import pandas as pd

from orchestration.ingestion.contracts import load_contracts
from tests.conftest import copy_of_built

# The simulator's planted rules (simulator/errors.py RATES) -> the suite's rule and column
# that must flag them.
PLANTED = {
    "missing_lead_time": ("present", "planned_lead_time_days"),
    "missing_cost": ("present", "standard_cost"),
    "price_jump": ("contract_price_jump", "unit_price"),
    "duplicate_partner_tax_id": ("tax_id_once_per_role", "tax_id"),
    "supplier_without_payment_terms": ("present", "payment_terms_days"),
    "bom_component_unknown": ("known_in_master_data", "component_item_id"),
}
MASTER_WITH_ERRORS = {"item_sites", "supplier_items", "partners", "bom_lines"}


def _evaluations(dagster_instance, extract: str) -> list:
    key = dg.AssetCheckKey(dg.AssetKey(["raw", extract]), "expectations")
    return dagster_instance.event_log_storage.get_asset_check_execution_history(key, limit=10)


def test_the_suites_flag_every_planted_error_and_nothing_else(built, warehouse):
    truth = pd.read_parquet(built.settings.truth_dir / "master_data_errors.parquet")
    assert set(truth["rule"]) == set(PLANTED), "the tiny company plants every kind"
    expected = {(row.entity, row.key, *PLANTED[row.rule]) for row in truth.itertuples()}
    found = set(warehouse.execute(
        "SELECT DISTINCT extract, record_key, rule, column_name "
        "FROM meta.expectation_failures").fetchall())
    # every extract, transactions included: the company's own data breaks no rule
    assert found == expected
    assert set(warehouse.execute("SELECT DISTINCT severity FROM meta.expectation_failures")
               .fetchall()) == {("warning",)}


def test_every_delivery_is_validated_once(built, warehouse):
    loaded = dict(warehouse.execute(
        "SELECT load_seq, rows_loaded FROM meta.ingest_ledger "
        "WHERE status = 'loaded' AND rows_loaded > 0").fetchall())
    validated = warehouse.execute(
        "SELECT load_seq, rows_validated FROM meta.validated_deliveries").fetchall()
    assert len(validated) == len(loaded), "each delivery once, the second run added none"
    assert dict(validated) == loaded


def test_each_ingest_asset_has_its_check_and_warnings_do_not_block(built, warehouse):
    # the session company's own home (DAGSTER_HOME names the last company a test built)
    dagster_instance = dg.DagsterInstance.from_config(
        str(built.settings.data_dir / "dagster_home"))
    for extract in load_contracts():
        history = _evaluations(dagster_instance, extract)
        assert len(history) == 1, f"{extract}: evaluated by the first run only"
        evaluation = history[0].event.dagster_event.event_specific_data
        metadata = {k: v.value for k, v in evaluation.metadata.items()}
        rows = warehouse.execute("SELECT count(*) FROM raw." + extract).fetchall()[0][0]
        assert metadata["rows_validated"] == rows
        assert evaluation.blocking
        docs = Path(unquote(urlparse(metadata["data_docs"]).path))
        assert docs.is_file() and docs.is_relative_to(built.settings.data_dir / "quality")
        if extract in MASTER_WITH_ERRORS:
            assert not evaluation.passed
            assert evaluation.severity == dg.AssetCheckSeverity.WARN
            assert metadata["warnings_failed"] >= 1 and metadata["critical_failed"] == 0
            assert "| rule | column | key | value | load_seq |" in metadata["sample_rows"]
        else:
            assert evaluation.passed, evaluation.description
    assert (built.settings.data_dir / "quality" / "data_docs" / "index.html").is_file()
    # the warnings let the warehouse build: the marts reading the flagged masters exist
    assert warehouse.execute("SELECT count(*) FROM marts.master_data_issues").fetchall()[0][0]


def test_a_critical_failure_stops_what_reads_the_extract(built, session_env,
                                                         tmp_path_factory):
    from orchestration.instance import instance
    from orchestration.runner import run_core

    settings = copy_of_built(built, session_env, tmp_path_factory, "expectations_block")
    folder = settings.landing_dir / "purchase_order_lines"
    latest = sorted(folder.glob("*.csv"))[-1]
    header, row = latest.read_text().splitlines()[:2]
    cells = row.split(",")
    columns = header.replace('"', "").split(",")
    cells[columns.index("po_id")] = '"PO-9999999"'
    cells[columns.index("order_date")] = "2026-11-20"
    cells[columns.index("requested_date")] = "2026-11-01"       # needed before it was ordered
    cells[columns.index("extracted_at")] = '"2026-11-21T23:00:00Z"'
    (folder / "purchase_order_lines_2026-11-21.csv").write_text(
        f"{header}\n{','.join(cells)}\n")

    outcome = run_core(settings, simulate=False, log_level="WARNING")

    assert not outcome.success
    assert outcome.summary.built == ["raw/purchase_order_lines"], "nothing downstream ran"
    evaluation = _evaluations(instance(settings), "purchase_order_lines")[0] \
        .event.dagster_event.event_specific_data
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "dates_in_order on requested_date (1 rows)" in evaluation.description
    assert "PO-9999999" in evaluation.metadata["sample_rows"].value
    alert = (settings.data_dir / "alerts.log").read_text()
    assert "check expectations on raw/purchase_order_lines: 1 critical" in alert
