"""The one Definitions entry point (workspace.yaml and [tool.dg] point here)."""

from __future__ import annotations

import dagster as dg

from .defs.dbt import dbt_resource, planning_models, sop_cycle_models, warehouse_models
from .defs.forecast import demand_forecast
from .defs.ingest import ingest_assets
from .defs.publish import published_snapshot_asset
from .defs.resources import WarehouseResource
from .defs.sop import sop_cycle_schedule

PUBLISHED_KEYS = [key for assets in (warehouse_models, planning_models, demand_forecast)
                  for key in assets.keys if key.path[0] in ("marts", "forecast")]
published_warehouse = published_snapshot_asset(PUBLISHED_KEYS)

# The core graph is unpartitioned (DESIGN.md run modes): `make run` and the `core` job
# in the UI are the same single run from the landing zone to the published snapshot.
core_job = dg.define_asset_job(
    "core",
    selection=dg.AssetSelection.assets(*ingest_assets, warehouse_models, demand_forecast,
                                       planning_models, published_warehouse),
    description="Ingest every extract, build the warehouse with dbt, forecast demand, "
                "build the planning marts, publish the snapshot.",
)
publish_job = dg.define_asset_job(
    "publish", selection=dg.AssetSelection.assets(published_warehouse),
    description="Publish the snapshot again (after an S&OP cycle run).")
# The S&OP cycle: one month-partitioned run per cycle (re-run a past cycle by its
# partition).
sop_cycle_job = dg.define_asset_job(
    "sop_cycle", selection=dg.AssetSelection.assets(sop_cycle_models),
    description="The S&OP cycle marts of one month (partition = cycle).")

# Every step writes the one DuckDB file, so steps run one at a time anyway (pool
# "warehouse", limit 1); the multiprocess executor would only add ~3 s of process start
# per step on this 2-core machine. In-process for the UI as for `make run`.
defs = dg.Definitions(
    assets=[*ingest_assets, warehouse_models, demand_forecast, planning_models,
            sop_cycle_models, published_warehouse],
    jobs=[core_job, publish_job, sop_cycle_job],
    schedules=[sop_cycle_schedule(sop_cycle_job)],
    executor=dg.in_process_executor,
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
