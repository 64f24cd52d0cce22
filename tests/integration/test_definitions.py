"""The Dagster definitions: one connected graph from every extract to the published
snapshot, grouped by lifecycle stage, loaded fast from a prepared manifest."""

import subprocess
import sys
import time

import dagster as dg

from orchestration.ingestion.contracts import STAGES, load_contracts


def test_definitions_load_from_a_fresh_process_quickly():
    code = ("import time; t = time.perf_counter(); "
            "from orchestration.definitions import defs; defs.get_repository_def(); "
            "print(time.perf_counter() - t)")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    seconds = float(out.stdout.strip().splitlines()[-1])
    print(f"definitions load in {seconds:.2f} s (process {time.perf_counter() - started:.2f} s)")
    assert seconds < 30  # the budget (5 s) is measured and reported, not timed here


def test_every_extract_feeds_the_published_snapshot_through_staging():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    published = dg.AssetKey(["published", "warehouse"])
    for extract in load_contracts():
        raw = dg.AssetKey(["raw", extract])
        assert raw in keys and graph.get(raw).is_materializable, extract
        downstream = graph.get(raw).child_keys
        assert dg.AssetKey(["staging", f"stg_{extract}"]) in downstream, extract
    for mart in ("fct_purchase_order_lines", "fct_sales_order_lines",
                 "kpi_supplier_performance_monthly", "kpi_customer_service_monthly",
                 "kpi_service_level_monthly", "customer_last_order"):
        key = dg.AssetKey(["marts", mart])
        assert key in keys and key in graph.get(published).parent_keys
    assert not [k for k in keys if not graph.get(k).is_materializable], \
        "every asset, dbt sources included, is materialized by this code location"


def test_assets_are_grouped_by_lifecycle_stage():
    from orchestration.definitions import defs

    specs = list(defs.resolve_all_asset_specs())
    groups = {s.group_name for s in specs}
    assert groups == set(STAGES)
    by_key = {s.key: s for s in specs}
    for extract, contract in load_contracts().items():
        assert by_key[dg.AssetKey(["raw", extract])].group_name == contract.stage
        assert by_key[dg.AssetKey(["staging", f"stg_{extract}"])].group_name == contract.stage
    assert by_key[dg.AssetKey(["marts", "fct_purchase_order_lines"])].group_name == "source"
    assert by_key[dg.AssetKey(["marts", "kpi_customer_service_monthly"])].group_name == "deliver"


def test_dbt_tests_are_asset_checks_and_writers_share_one_pool():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = list(graph.asset_check_keys)
    assert any(c.asset_key == dg.AssetKey(["marts", "fct_sales_order_lines"]) for c in checks)
    job = defs.resolve_job_def("core")
    pools = {node.definition.pool for node in job.graph.node_dict.values()}
    assert pools == {"warehouse"}
