"""dbt wiring: one cached DbtProject, one translator, the dbt assets.

The manifest is prepared ahead (make prepares it; `dagster dev` re-parses through
prepare_if_dev), never parsed at import in production paths.
"""


import os
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource
from dagster_dbt import DbtProject, dbt_assets

from ..ingestion.contracts import STAGES
from ..settings import DBT_PROJECT_DIR, load_settings
from .resources import WAREHOUSE_POOL


@cache
def dbt_project() -> DbtProject:
    # dbt reads the warehouse path and conventions from the environment; make them
    # present (with the defaults of interfaces.md) for `dagster dev`'s own dbt parse.
    for name, value in load_settings().dbt_env().items():
        os.environ.setdefault(name, value)
    # `dagster dev` re-parses with the `dbt` on PATH: make it this environment's dbt even
    # when the environment is not activated (make calls .venv/bin/... directly).
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    return project


def _stage(props: Mapping[str, Any]) -> str | None:
    meta = {**(props.get("meta") or {}), **((props.get("config") or {}).get("meta") or {})}
    stage = meta.get("stage")
    return stage if stage in STAGES else None


class ControlTowerTranslator(DagsterDbtTranslator):
    """Keys and groups in one place: a dbt source IS the ingest asset raw/<extract>;
    a model is <schema>/<model>; the group is the lifecycle stage of its folder."""

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            key = dg.AssetKey([props["source_name"], props["name"]])
        else:
            key = dg.AssetKey([props["schema"], props["name"]])
        return spec.replace_attributes(key=key, group_name=_stage(props) or "plan")


TRANSLATOR = ControlTowerTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
)


# Three dbt steps (DESIGN.md run modes): the warehouse before the forecast, the planning
# marts after it (they read the forecast snapshots), and the S&OP cycle, partitioned by
# month so a past cycle can be re-run alone. Folders carry the tags (dbt_project.yml).
PLANNING = "tag:planning"
SOP = "tag:sop"
# The first S&OP cycle: the month the demo company's history starts (2 years before its
# as-of date 2026-11-20); end_offset=1 makes the current, still open month a cycle.
FIRST_SOP_CYCLE = "2024-11-01"
SOP_CYCLES = dg.MonthlyPartitionsDefinition(start_date=FIRST_SOP_CYCLE, end_offset=1)


def _target_path(context: dg.AssetExecutionContext) -> Path:
    """One target folder per dbt step, kept between runs: dbt's partial_parse.msgpack
    stays valid there, so a step parses in ~5 s instead of ~11 s (dagster-dbt's default
    is a new folder per run, seeded from the project's target, whose msgpack was made
    for whatever environment ran `tower prepare` last)."""
    return load_settings().data_dir / "dbt_target" / context.op_execution_context.op.name


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource,
           env: dict[str, str] | None = None):
    """`dbt build` of the selection: the models and their data tests (asset checks;
    error severity blocks downstream). The dbt unit tests test the SQL, not the data:
    `make test` runs them (tests/unit/test_dbt_unit_tests.py). `env` is set for this
    build only (dbt inherits the environment)."""
    os.environ.update(load_settings().dbt_env())
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"],
                           context=context, target_path=_target_path(context)).stream()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def sop_cycle_env(partition_key: str) -> dict[str, str]:
    """The environment of an S&OP cycle partition's build: CT_SOP_CYCLE = its first day
    ('2026-11-01'), read by the macro sop_cycle(). Not `--vars` nor a project var: a
    changed var makes dbt re-parse the whole project (~6 s here, measured); a changed
    env_var re-parses only what uses it."""
    start = SOP_CYCLES.time_window_for_partition_key(partition_key).start
    return {"CT_SOP_CYCLE": start.date().isoformat()}


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    exclude=f"{PLANNING} {SOP}",
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging, intermediate and marts up to demand_history, before the forecast."""
    yield from _build(context, dbt)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select=PLANNING,
    name="planning_models",
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def planning_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Planning marts (forecast accuracy, inventory policy, replenishment proposals):
    after the forecast, whose snapshots they read as the dbt source `forecast`."""
    yield from _build(context, dbt)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select=SOP,
    name="sop_cycle_models",
    partitions_def=SOP_CYCLES,
    backfill_policy=dg.BackfillPolicy.multi_run(1),
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def sop_cycle_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The S&OP cycle marts of one month (var sop_cycle = the partition's first day);
    one run per cycle, so a backfill re-runs each past cycle alone."""
    yield from _build(context, dbt, env=sop_cycle_env(context.partition_key))


def dbt_resource() -> DbtCliResource:
    # The dbt of this environment, whether or not .venv/bin is on PATH.
    executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR),
                          dbt_executable=str(executable) if executable.exists() else "dbt")
