"""Incremental daily inventory: after one more simulated day, the incremental build of
the daily inventory tables gives the same marts as a full refresh of the same data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_profile import profiles_dir, seed_partial_parse
from orchestration.ingestion.landing import new_deliveries
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import copy_of_built, mart_checksums

pytestmark = pytest.mark.slow

DAILY_TABLES = (("intermediate", "int_inventory_daily"), ("marts", "fct_inventory_daily"))


def _states(warehouse: Path) -> dict[str, dict]:
    """The incremental state (watermark, fingerprint) kept in each daily table's comment."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {table: json.loads(con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table]).fetchall()[0][0]) for schema, table in DAILY_TABLES}
    finally:
        con.close()


def _newest_input_load(warehouse: Path) -> int:
    """The newest load of the raw extracts the daily tables read."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT max(_load_seq) FROM (SELECT _load_seq FROM raw.inventory_movements "
            "UNION ALL SELECT _load_seq FROM raw.item_sites "
            "UNION ALL SELECT _load_seq FROM raw.fx_rates)").fetchall()[0][0]
    finally:
        con.close()


def test_an_appended_day_builds_incrementally_to_the_full_refresh_result(
        built, session_env, tmp_path_factory):
    import simulator
    from orchestration.runner import run_core

    settings = copy_of_built(built, session_env, tmp_path_factory, "incremental")
    data_dir = settings.data_dir
    before = _states(settings.warehouse)

    appended = simulator.append(settings.landing_dir, settings.truth_dir, days=1)
    assert appended["as_of"] > built.generated["as_of"]
    delivered = set(new_deliveries(settings.landing_dir, settings.published))
    second = run_core(session_env(data_dir), simulate=False, log_level="WARNING")
    assert second.success, second.summary.failures
    assert second.summary.loaded, "the appended day brought new files"
    # only the extracts with new files are ingested again; what reads them is rebuilt
    ingested = {key.split("/")[1] for key in second.summary.built if key.startswith("raw/")}
    assert ingested == delivered
    assert {row[0] for row in second.summary.loaded} <= ingested
    assert {"marts/fct_inventory_daily", "published/warehouse"} <= set(second.summary.built)
    after = _states(settings.warehouse)
    for table in after:
        # same logic and settings: the run took the incremental path, up to the new files
        assert after[table]["fingerprint"] == before[table]["fingerprint"]
        assert before[table]["load_seq"] < after[table]["load_seq"] \
            == _newest_input_load(settings.warehouse)
    incremental = mart_checksums(settings.warehouse)

    # the daily tables and every model downstream of them, rebuilt from scratch; the
    # rest of the warehouse does not read them, so every mart is compared below. The
    # pipeline's own profile and a copy of its parse state: dbt parses in ~1 s, not ~6
    target = seed_partial_parse(settings, data_dir / "dbt_full_refresh")
    out = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "--no-use-colors", "run",
         "--full-refresh", "--select", *(f"{table}+" for _, table in DAILY_TABLES),
         "--profiles-dir", str(profiles_dir(settings)), "--project-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target)],
        env={**os.environ, **settings.dbt_env()}, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    full_refresh = mart_checksums(settings.warehouse)

    assert {"fct_inventory_daily", "kpi_inventory_monthly",
            "fin_inventory_valuation_monthly"} <= set(full_refresh)
    assert incremental == full_refresh
