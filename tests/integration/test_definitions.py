"""The Dagster definitions: one connected graph from every extract through the forecast
and the planning marts to the published snapshot, grouped by lifecycle stage, loaded
fast from a prepared manifest; the S&OP cycle as its own month-partitioned job."""

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
    # every asset, dbt sources included, is materialized by this code location; the
    # landing folders upstream of the ingest assets are observed by it
    landing = {dg.AssetKey(["landing", extract]) for extract in load_contracts()}
    assert {k for k in keys if not graph.get(k).is_materializable} == landing
    assert all(graph.get(k).is_observable and graph.get(k).child_keys ==
               {dg.AssetKey(["raw", k.path[1]])} for k in landing)


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
    # every step opens the live warehouse except the freshness checks, which read only
    # Dagster's own records
    pools = {name: node.definition.pool for name, node in job.graph.node_dict.items()}
    assert {p for name, p in pools.items() if not name.startswith("freshness_check")} == \
        {"warehouse"}
    assert any(name.startswith("freshness_check") for name in pools)


def test_the_forecast_sits_between_the_warehouse_and_the_planning_marts():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    history = dg.AssetKey(["marts", "demand_history"])
    weekly = dg.AssetKey(["forecast", "demand_forecast"])
    monthly = dg.AssetKey(["forecast", "demand_forecast_monthly"])
    accuracy = dg.AssetKey(["marts", "forecast_accuracy"])
    published = dg.AssetKey(["published", "warehouse"])
    assert history in graph.get(weekly).parent_keys
    assert weekly in graph.get(monthly).parent_keys
    # the dbt source forecast.demand_forecast IS the forecast asset
    assert weekly in graph.get(dg.AssetKey(["intermediate", "int_forecast_accuracy"])).parent_keys
    assert {weekly, monthly, accuracy, history} <= graph.get(published).parent_keys
    specs = {s.key: s for s in defs.resolve_all_asset_specs()}
    for key in (weekly, monthly):
        assert specs[key].group_name == "plan"
        assert set(specs[key].kinds) == {"python", "statsforecast", "duckdb"}
    assert specs[accuracy].group_name == "plan"
    checks = {c.name for c in graph.asset_check_keys if c.asset_key in (weekly, monthly)}
    assert {"demand_forecast_no_missing_series", "demand_forecast_non_negative",
            "demand_forecast_intervals_contain_the_forecast", "demand_forecast_horizon_complete",
            "demand_forecast_monthly_horizon_complete",
            "demand_forecast_monthly_agrees_with_weekly"} <= checks

    # one core run: ingest -> warehouse models -> forecast -> planning models -> publish
    core = defs.resolve_job_def("core")
    core_keys = core.asset_layer.selected_asset_keys
    assert {history, weekly, monthly, accuracy, published} <= core_keys
    assert core.partitions_def is None
    steps = set(core.graph.node_dict)
    assert {"warehouse_models", "demand_forecast", "planning_models",
            "published__warehouse"} <= steps
    # the planning marts are not built before the forecast
    warehouse_models = next(a for a in defs.assets if getattr(a, "op", None) is not None
                            and a.op.name == "warehouse_models")
    assert accuracy not in warehouse_models.keys and history in warehouse_models.keys


def test_the_monthly_assets_are_their_own_month_partitioned_jobs():
    """The S&OP cycle and the month close are partitioned by months that come from the
    data (dynamic partitions), each in its own job that publishes at its end; the
    published snapshot depends on their latest month, so the lineage runs from every
    raw extract to every published table and pack."""
    import json

    from orchestration.defs.dbt import dbt_project
    from orchestration.defs.partitions import CLOSED_MONTHS, SOP_CYCLES
    from orchestration.definitions import defs

    manifest = json.loads(dbt_project().manifest_path.read_text())
    sop_models = {n["name"] for n in manifest["nodes"].values()
                  if n["resource_type"] == "model" and "sop" in n["tags"]}
    assert {"sop_demand_plan", "sop_supply_plan", "sop_inventory_projection", "sop_gap_risk",
            "sop_financial_reconciliation", "sop_kpi_scorecard"} <= sop_models
    published = dg.AssetKey(["published", "warehouse"])
    sop = defs.resolve_job_def("sop_cycle")
    assert sop.partitions_def == SOP_CYCLES
    assert {k.path[-1] for k in sop.asset_layer.selected_asset_keys} == sop_models | {"warehouse"}
    close = defs.resolve_job_def("month_close")
    assert close.partitions_def == CLOSED_MONTHS
    packs = {dg.AssetKey(["exports", "finance_close_pack"]), dg.AssetKey(["exports", "kpi_pack"])}
    assert close.asset_layer.selected_asset_keys == packs | {published}
    core_keys = defs.resolve_job_def("core").asset_layer.selected_asset_keys
    assert not {k for k in core_keys if k.path[-1] in sop_models} and not packs & core_keys
    graph = defs.resolve_asset_graph()
    monthly = {k for k in sop.asset_layer.selected_asset_keys if k.path[0] == "marts"} | packs
    assert len(monthly) >= 8
    assert monthly <= graph.get(published).parent_keys
    for name, job in (("sop_cycle_monthly", "sop_cycle"), ("month_close_monthly", "month_close")):
        schedule = defs.resolve_schedule_def(name)
        assert schedule.job_name == job
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert {s.name for s in defs.schedules} >= {"daily_pipeline", "weekly_forecast"}
    assert {s.name for s in defs.sensors} >= {"landing_deliveries", "alert_on_run_failure",
                                              "alert_on_failed_checks"}


def test_each_dbt_step_runs_once_per_core_run():
    """Dagster splits a dbt multi-asset into extra steps (each a whole dbt start-up) when
    something outside it must run between its models, e.g. a blocking check on a mart
    whose downstream marts are built by the same dbt invocation. The core run has one
    step per dbt asset."""
    from dagster._core.execution.api import create_execution_plan

    from orchestration.definitions import defs

    steps = [s.key for s in create_execution_plan(defs.resolve_job_def("core"))
             .get_all_steps_in_topo_order()]
    assert steps.count("warehouse_models") == 1 and steps.count("planning_models") == 1
    assert not [k for k in steps if k.endswith(("_models_2", "_drop_2"))]
    order = [k for k in steps if k in ("warehouse_models", "demand_forecast",
                                       "planning_models", "published__warehouse")]
    assert order == ["warehouse_models", "demand_forecast", "planning_models",
                     "published__warehouse"]
