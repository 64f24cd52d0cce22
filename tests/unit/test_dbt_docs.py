"""The dbt documentation site is built offline: against an empty warehouse, with every
network connection refused, build_docs writes the manifest, the catalog and the site
(index.html, and static_index.html with both built in); every public mart is in it with
its description, and each node shows the SQL its dbt step compiled while it was
unchanged (docs/runbook.md, "dbt docs")."""

import json
import sys

import duckdb

from orchestration.delivery.dbt_docs import build_docs
from orchestration.ingestion.schema import ensure_schemas
from orchestration.settings import DBT_PROJECT_DIR, load_settings

# dbt's own command line, in a process where opening any connection is refused and
# recorded (DuckDB works on a file, so nothing legitimate needs a socket)
OFFLINE_DBT = """
import os, socket, sys

def refuse(*args, **kwargs):
    with open({attempts!r}, "a") as log:
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


def test_docs_build_offline_documents_every_public_mart_with_its_compiled_sql(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_schemas(con)
    con.close()
    settings = load_settings({"CT_DATA_DIR": str(tmp_path), "CT_WAREHOUSE": str(warehouse)})
    project_manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    nodes = json.loads(project_manifest.read_text())["nodes"]
    # what the dbt steps left: one node compiled as it is now, one from an older version
    step = tmp_path / "dbt_target" / "warehouse_models"
    step.mkdir(parents=True)
    current, changed = (nodes["model.control_tower.fct_sales_order_lines"],
                        nodes["model.control_tower.order_delay_reasons"])
    (step / "manifest.json").write_text(json.dumps({"nodes": {
        current["unique_id"]: {**current, "compiled": True,
                               "compiled_code": "select 'as the step compiled it'"},
        changed["unique_id"]: {**changed, "checksum": {"name": "sha256", "checksum": "0"},
                               "compiled": True, "compiled_code": "select 'old sql'"}}}))
    attempts = tmp_path / "network_attempts.log"

    result = build_docs(settings, project_manifest,
                        dbt=[sys.executable, "-c", OFFLINE_DBT.replace("{attempts!r}",
                                                                       repr(str(attempts)))])
    assert result.regenerated
    assert not attempts.exists(), attempts.read_text()
    site = result.site.parent
    for name in ("manifest.json", "catalog.json", "index.html", "static_index.html"):
        assert (site / name).stat().st_size > 0, name
    manifest = json.loads((site / "manifest.json").read_text())
    catalog = json.loads((site / "catalog.json").read_text())
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
    assert models["fct_sales_order_lines"]["compiled_code"] == "select 'as the step compiled it'"
    assert not models["order_delay_reasons"].get("compiled_code")
    static = (site / "static_index.html").read_text()
    assert "order_delay_reasons" in static and "fin_logistics_cost_monthly" in static
    assert "as the step compiled it" in static and "INLINE DATA" not in static
    # unchanged project: the site is kept as it is
    assert not build_docs(settings, project_manifest).regenerated
