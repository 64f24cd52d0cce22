"""dbt wiring: one cached DbtProject and manifest, one translator (the planning step's
instance also turns the tests on the forecast source into the forecast's checks), the
dbt assets.

The manifest is prepared ahead (make prepares it; under `dagster dev` the definitions
prepare it once at load), never parsed at import in production paths. dbt gets the
warehouse path and DuckDB settings from a profile written from the Settings
(orchestration/dbt_profile.py), not from the process environment, which nothing here
changes.
"""


import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource
from dagster_dbt import DbtProject, dbt_assets
from dagster_dbt.dbt_project import using_dagster_dev

from ..dbt_profile import dbt_executable, prepare_manifest, profiles_dir, seed_partial_parse
from ..delivery.dbt_docs import build_docs, model_docs_url
from ..ingestion.contracts import STAGES
from ..settings import DBT_PROJECT_DIR, load_settings
from .partitions import SOP_CYCLES
from .resources import WAREHOUSE_POOL


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if using_dagster_dev():
        # `dagster dev` picks up model edits: parse once at load, with this
        # environment's dbt and the profile of the settings it runs with.
        prepare_manifest(load_settings())
    return project


def _stage(props: Mapping[str, Any]) -> str | None:
    meta = {**(props.get("meta") or {}), **((props.get("config") or {}).get("meta") or {})}
    stage = meta.get("stage")
    return stage if stage in STAGES else None


@cache
def shared_code_digest() -> str:
    """What every model's SQL depends on besides its own file: the macros, the project
    file (vars) and the settings dbt reads (as-of date, company currency)."""
    settings = load_settings()
    digest = hashlib.sha256(f"{settings.as_of}|{settings.company_currency}".encode())
    files = [DBT_PROJECT_DIR / "dbt_project.yml",
             *sorted((DBT_PROJECT_DIR / "macros").rglob("*.sql"))]
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class ControlTowerTranslator(DagsterDbtTranslator):
    """Keys and groups in one place: a dbt source IS the ingest asset raw/<extract>;
    a model is <schema>/<model>; the group is the lifecycle stage of its folder. The
    code version (dagster-dbt's: the model file's checksum) also carries the macros,
    vars and settings, so a changed macro or as-of date makes the models stale."""

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        own = super().get_code_version(dbt_resource_props)
        return f"{own}:{shared_code_digest()}" if own else None

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            key = dg.AssetKey([props["source_name"], props["name"]])
        else:
            key = dg.AssetKey([props["schema"], props["name"]])
        spec = spec.replace_attributes(key=key, group_name=_stage(props) or "plan")
        return spec.merge_attributes(metadata={"dbt_docs": dg.MetadataValue.url(
            model_docs_url(load_settings(), unique_id))})

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """A test attached to a source (dbt_manifest()) is a check on that source's
        asset, whichever source read by the step's models led to it: a test on the
        monthly forecast that also reads the weekly one is reached through the weekly."""
        attached = manifest["nodes"][unique_id].get("attached_node") or ""
        if attached.startswith("source."):
            asset_spec = self.get_asset_spec(manifest, attached, project)
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)


TRANSLATOR = ControlTowerTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
)
# The planning step also reports the tests on the sources its models read (the forecast
# tables) as asset checks on those sources' assets, forecast/demand_forecast and
# forecast/demand_forecast_monthly: its `dbt build` runs them before the models that
# read the forecast and skips those models when one fails. Only this step: a source
# test is one step's check, and the S&OP step reads the monthly forecast too.
PLANNING_TRANSLATOR = ControlTowerTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True,
                                          enable_source_tests_as_checks=True)
)


@cache
def dbt_manifest() -> dict[str, Any]:
    """The prepared manifest, with every test that names the source it checks (meta
    `checked_source`, e.g. forecast.demand_forecast_monthly) attached to that source.
    dbt attaches no test to a source, and dagster-dbt 0.29 keys a check by the test's
    attached node, else by its only parent: a test that also reads another table
    (demand_history, the weekly forecast) would otherwise be no check at all."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    sources = {f"{props['source_name']}.{props['name']}": unique_id
               for unique_id, props in manifest["sources"].items()}
    for props in manifest["nodes"].values():
        checked = ((props.get("config") or {}).get("meta") or {}).get("checked_source")
        if props["resource_type"] == "test" and checked:
            props["attached_node"] = sources[checked]
    return manifest


# Three dbt steps (docs/runbook.md, run modes): the warehouse before the forecast, the planning
# marts after it (they read the forecast snapshots), and the S&OP cycle, partitioned by
# month so a past cycle can be re-run alone. Folders carry the tags (dbt_project.yml).
PLANNING = "tag:planning"
SOP = "tag:sop"


def _target_path(settings, context: dg.AssetExecutionContext) -> Path:
    """One target folder per dbt step, kept between runs: dbt's partial_parse.msgpack
    stays valid there, so a step parses in ~1 s instead of ~5 s (dagster-dbt's default
    is a new folder per run)."""
    return seed_partial_parse(
        settings, settings.data_dir / "dbt_target" / context.op_execution_context.op.name)


class ControlTowerDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two costs it pays on every step (measured on a
    quiet machine: 2.3 s and 1.3 s): a `dbt --version` subprocess to learn the version of the dbt installed
    beside Dagster (dbt_executable() is that dbt, so the package metadata says it), and
    a dbt adapter opened in the Dagster process, used only for dagster-dbt's
    column-metadata and row-count helpers (each table's row count comes from dbt's own
    event stream instead, macros/row_count.sql)."""

    @property
    def _cli_version(self):
        from importlib.metadata import version as installed

        from packaging import version

        return version.parse(installed("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


@cache
def _dbt_cli(profiles: str) -> ControlTowerDbtCli:
    return ControlTowerDbtCli(project_dir=dbt_project(), profiles_dir=profiles,
                              dbt_executable=dbt_executable())


def _build(context: dg.AssetExecutionContext, translator: ControlTowerTranslator,
           dbt_vars: dict[str, str] | None = None, exclude: str | None = None):
    """`dbt build` of the selection: the models and their data tests (asset checks;
    error severity blocks downstream). The dbt unit tests test the SQL, not the data:
    `make test` runs them (tests/unit/test_dbt_unit_tests.py). `exclude` holds for a
    subset too: dagster-dbt selects a subset's models by path with dbt's eager indirect
    selection, which would also run a test of another step that reads one of them
    (tests/planning/ read demand_history, before the forecast they check is written)."""
    settings = load_settings()
    dbt = _dbt_cli(str(profiles_dir(settings)))
    args = ["build", "--exclude-resource-type", "unit_test"]
    if exclude:     # one value: dagster-dbt folds it into the selection it builds
        args += ["--exclude", exclude]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars, sort_keys=True)]
    invocation = dbt.cli(args, context=context, target_path=_target_path(settings, context),
                         raise_on_error=False)
    # Events go to Dagster as dbt emits them (their storage overlaps dbt's work); each
    # table's rows come from its post-hook log line just before the model finishes
    # (macros/row_count.sql) and join its materialization (catalog: dagster/row_count).
    rows: dict[str, int] = {}
    for raw in invocation.stream_raw_events():
        count = _row_count(raw.raw_event)
        if count is not None:
            rows[count[0]] = count[1]
            continue
        for event in raw.to_default_asset_events(
                manifest=invocation.manifest, dagster_dbt_translator=translator,
                context=context, target_path=invocation.target_path,
                project=invocation.project):
            unique_id = (event.metadata.get("unique_id") if isinstance(event, dg.Output)
                         else None)
            unique_id = getattr(unique_id, "value", unique_id)
            if unique_id in rows:
                event = event.with_metadata({**event.metadata,
                                             "dagster/row_count": rows[unique_id]})
            yield event
    if not invocation.is_successful():
        raise invocation.get_error()


def _row_count(raw_event: Mapping[str, Any]) -> tuple[str, int] | None:
    """(unique_id, rows) of a `row_count` log line of macros/row_count.sql."""
    message = (raw_event.get("info") or {}).get("msg") or ""
    parts = message.split()
    if len(parts) == 3 and parts[0] == "row_count" and parts[2].isdigit():
        return parts[1], int(parts[2])
    return None


def sop_cycle_vars(partition_key: str) -> dict[str, str]:
    """The dbt vars of an S&OP cycle partition ('2026-11'): sop_cycle = its first day.
    A changed var makes dbt re-parse the step's project once (~6 s); the usual run,
    the current cycle again, keeps the same vars and parses partially."""
    return {"sop_cycle": f"{partition_key}-01"}


@dbt_assets(
    manifest=dbt_manifest(),
    project=dbt_project(),
    exclude=f"{PLANNING} {SOP}",
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext):
    """Staging, intermediate and marts up to demand_history, before the forecast."""
    yield from _build(context, TRANSLATOR, exclude=f"{PLANNING} {SOP}")


@dbt_assets(
    manifest=dbt_manifest(),
    project=dbt_project(),
    select=PLANNING,
    name="planning_models",
    dagster_dbt_translator=PLANNING_TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def planning_models(context: dg.AssetExecutionContext):
    """Planning marts (forecast accuracy, inventory policy, replenishment proposals):
    after the forecast, whose snapshots they read as the dbt source `forecast`; the
    tests on that source first, as the forecast assets' checks."""
    yield from _build(context, PLANNING_TRANSLATOR)


@dbt_assets(
    manifest=dbt_manifest(),
    project=dbt_project(),
    select=SOP,
    name="sop_cycle_models",
    partitions_def=SOP_CYCLES,
    backfill_policy=dg.BackfillPolicy.multi_run(1),
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def sop_cycle_models(context: dg.AssetExecutionContext):
    """The S&OP cycle marts of one month (var sop_cycle = the partition's first day);
    one run per cycle, so a backfill re-runs each past cycle alone."""
    yield from _build(context, TRANSLATOR, sop_cycle_vars(context.partition_key))


@dg.asset(
    key=dg.AssetKey(["docs", "dbt"]),
    deps=[dg.AssetKey(["published", "warehouse"])],
    group_name="plan",
    kinds={"dbt", "html"},
    tags={"layer": "delivery"},
    description="The warehouse's documentation site (dbt docs generate --static): every "
                "model, column, test and the lineage, one page under <data_dir>/docs/ that "
                "opens from disk. Rebuilt when the dbt project changes; each dbt asset "
                "links to its page (metadata dbt_docs).",
    pool=WAREHOUSE_POOL,
)
def dbt_docs(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    result = build_docs(load_settings(), dbt_project().manifest_path)
    context.log.info(f"dbt docs {'generated' if result.regenerated else 'unchanged'}: "
                     f"{result.site}")
    return dg.MaterializeResult(metadata={
        "site": dg.MetadataValue.path(str(result.site)),
        "url": dg.MetadataValue.url(f"file://{result.site}"),
        "regenerated": result.regenerated,
        "seconds": round(result.seconds, 2),
    })
