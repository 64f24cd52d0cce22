"""The published snapshot opens in the DuckDB 1.x clients people already have (CLI,
DBeaver, notebooks pinned to 1.x), not only in the 2.x the pipeline runs: a real DuckDB
1.4 in a throwaway environment reads the same marts, with the same row counts, as 2.x."""

import json
import os
import subprocess
import sys

import duckdb
import pytest

# The oldest DuckDB line that reads the snapshot's storage format (v1.4.0).
DUCKDB_1X = "duckdb==1.4.3"
READ = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
tables = con.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                     "ORDER BY 1").fetchall()
print(json.dumps({"version": duckdb.__version__,
                  "counts": {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                             for (t,) in tables}}))
"""


@pytest.fixture(scope="module")
def duckdb_1x(tmp_path_factory):
    venv = tmp_path_factory.mktemp("duckdb1x") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # a plain pip install from the package index, as a user would (no constraint file
    # of this machine pins the version)
    env = {**os.environ, "PIP_CONSTRAINT": ""}
    out = subprocess.run([str(python), "-m", "pip", "install", "-q", DUCKDB_1X], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"could not install {DUCKDB_1X}: {out.stderr[-2000:]}"
    return python


def test_duckdb_1x_reads_the_published_snapshot(built, duckdb_1x):
    published = built.settings.published
    out = subprocess.run([str(duckdb_1x), "-c", READ, str(published)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout)
    assert seen["version"].startswith("1.")
    con = duckdb.connect(str(published), read_only=True)
    try:
        expected = {f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchall()[0][0]
                    for s, t in con.execute("SELECT schema_name, table_name FROM "
                                            "duckdb_tables() ORDER BY 1, 2").fetchall()}
    finally:
        con.close()
    assert seen["counts"] == expected
    assert seen["counts"]["marts.fct_sales_order_lines"] > 0
    assert "marts.kpi_service_level_monthly" in seen["counts"]
