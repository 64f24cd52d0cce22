"""`dbt docs generate` works offline: against an empty warehouse, with every network
connection refused, it writes the manifest, the catalog and the site (index.html, and
static_index.html with both built in), and every public mart is in the manifest with
its description (docs/runbook.md, "dbt docs")."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.ingestion.schema import ensure_schemas
from orchestration.settings import DBT_PROJECT_DIR, load_settings

# dbt's own command line, in a process where opening any connection is refused and
# recorded (DuckDB works on a file, so nothing legitimate needs a socket)
OFFLINE_DBT = """
import os, socket, sys

def refuse(*args, **kwargs):
    with open(os.environ["NETWORK_ATTEMPTS"], "a") as log:
        log.write(repr(args[1:] or args) + "\\n")
    raise OSError("network is off for dbt docs generate")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from dbt.cli.main import cli
sys.exit(cli())
"""


def public_marts() -> set[str]:
    return {p.stem for p in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}


def test_docs_generate_offline_documents_every_public_mart(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_schemas(con)
    con.close()
    settings = load_settings({"CT_DATA_DIR": str(tmp_path), "CT_WAREHOUSE": str(warehouse)})
    attempts = tmp_path / "network_attempts.log"
    env = {**os.environ, **settings.dbt_env(), "NETWORK_ATTEMPTS": str(attempts),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    target = tmp_path / "target"
    out = subprocess.run(
        [sys.executable, "-c", OFFLINE_DBT, "--no-use-colors", "docs", "generate", "--static",
         "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target)],
        env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert not attempts.exists(), attempts.read_text()

    for name in ("manifest.json", "catalog.json", "index.html", "static_index.html"):
        assert (target / name).stat().st_size > 0, name
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert {"nodes", "sources"} <= catalog.keys()
    assert any(key.startswith("source.control_tower.raw.") for key in catalog["sources"])

    models = {node["name"]: node for node in manifest["nodes"].values()
              if node["resource_type"] == "model"}
    marts = public_marts()
    assert {"fct_sales_order_lines", "order_delay_reasons", "fin_logistics_cost_monthly"} <= marts
    for mart in sorted(marts):
        node = models.get(mart)
        assert node is not None, f"{mart} is not in the manifest"
        assert node["schema"] == "marts", mart
        assert node["description"].strip(), f"{mart} has no description"
        assert node["columns"], f"{mart} documents no column"
        undocumented = [c for c, col in node["columns"].items() if not col["description"].strip()]
        assert not undocumented, f"{mart}: columns without a description {undocumented}"
    static = (target / "static_index.html").read_text()
    assert "order_delay_reasons" in static and "fin_logistics_cost_monthly" in static
