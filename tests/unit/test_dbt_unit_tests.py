"""The dbt unit tests: hand-computed rows for every KPI formula and its edge cases.

They test the SQL, not the data, so production builds leave them out and this test
runs them (an empty warehouse is enough: unit tests bring their own rows)."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.ingestion.schema import ensure_schemas
from orchestration.settings import DBT_PROJECT_DIR, load_settings


def test_every_dbt_unit_test_passes(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_schemas(con)
    con.close()
    settings = load_settings({"CT_DATA_DIR": str(tmp_path), "CT_WAREHOUSE": str(warehouse)})
    env = {**os.environ, **settings.dbt_env()}
    dbt = Path(sys.executable).with_name("dbt")
    out = subprocess.run(
        [str(dbt), "--no-use-colors", "build", "--select", "+test_type:unit", "--exclude-resource-type", "test",
         "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp_path / "target")],
        env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    passed = [line for line in out.stdout.splitlines() if " PASS " in line and "::" in line]
    assert len(passed) >= 20, out.stdout[-3000:]
