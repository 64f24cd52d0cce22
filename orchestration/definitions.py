"""The one Definitions entry point (workspace.yaml and [tool.dg] point here)."""

from __future__ import annotations

import dagster as dg

from .defs.automation import (alert_sensors, freshness_checks, freshness_sensor,
                              row_count_checks, with_freshness_policies)
from .defs.chase import chase_assets
from .defs.dbt import dbt_docs, planning_models, sop_cycle_models, warehouse_models
from .defs.expectations import expectation_checks
from .defs.forecast import demand_forecast
from .defs.ingest import ingest_assets, landing_zone
from .defs.packs import pack_assets
from .defs.partitions import CLOSED_MONTHS, SOP_CYCLES
from .defs.publish import published_snapshot_asset
from .defs.resources import WarehouseResource, with_owners
from .defs.schedules import daily_pipeline, landing_sensor, month_start, weekly_forecast

PUBLISHED_KEYS = [key for assets in (warehouse_models, planning_models, demand_forecast)
                  for key in assets.keys if key.path[0] in ("marts", "forecast")]
MONTHLY_KEYS = [*(key for key in sop_cycle_models.keys if key.path[0] == "marts"),
                *(key for a in pack_assets for key in a.keys)]
published_warehouse = published_snapshot_asset(PUBLISHED_KEYS, MONTHLY_KEYS)

# The core graph is unpartitioned (docs/runbook.md, run modes): the `core` job, the landing
# sensor's runs and the daily schedule are one plain run from the landing zone to the
# published snapshot. `make run` runs it, then the monthly partitions of the as-of date.
CORE_ASSETS = [*ingest_assets, *chase_assets, warehouse_models, demand_forecast,
               planning_models, published_warehouse, dbt_docs]
core_job = dg.define_asset_job(
    "core", selection=dg.AssetSelection.assets(*CORE_ASSETS),
    description="Ingest every extract, build the warehouse with dbt, forecast demand, "
                "build the planning marts, publish the snapshot.",
)
forecast_job = dg.define_asset_job(
    "weekly_forecast",
    selection=dg.AssetSelection.assets(demand_forecast, planning_models, published_warehouse),
    description="The forecast snapshot of the latest cutoff, the planning marts, publish.")
observe_landing_job = dg.define_asset_job(
    "observe_landing", selection=dg.AssetSelection.assets(landing_zone),
    description="Observe the landing folders (a new data version per new or changed "
                "file): what makes an ingest asset stale.")
publish_job = dg.define_asset_job(
    "publish", selection=dg.AssetSelection.assets(published_warehouse),
    description="Publish the snapshot again.")
# Monthly: one month-partitioned run per month (re-run a past month by its partition);
# each publishes the snapshot at its end.
sop_cycle_job = dg.define_asset_job(
    "sop_cycle", selection=dg.AssetSelection.assets(sop_cycle_models, published_warehouse),
    description="The S&OP cycle marts of one month (partition = cycle), then publish.")
month_close_job = dg.define_asset_job(
    "month_close", selection=dg.AssetSelection.assets(*pack_assets, published_warehouse),
    description="The month close of one closed month (partition): the finance "
                "cost-control pack (frozen figures, restatements) and the KPI pack, then "
                "publish.")

INGEST_KEYS = {key.path[1]: key for a in ingest_assets for key in a.keys}
DOWNSTREAM_OF_INGEST = [key for a in CORE_ASSETS if a not in ingest_assets for key in a.keys]

# Every step writes the one DuckDB file, so steps run one at a time anyway (pool
# "warehouse", limit 1); the multiprocess executor would only add ~3 s of process start
# per step on this 2-core machine. In-process for the UI as for `make run`.
defs = with_owners(with_freshness_policies(dg.Definitions(
    assets=[landing_zone, *CORE_ASSETS, sop_cycle_models, *pack_assets],
    asset_checks=[*expectation_checks, *row_count_checks, *freshness_checks],
    jobs=[core_job, observe_landing_job, forecast_job, publish_job, sop_cycle_job,
          month_close_job],
    schedules=[daily_pipeline(core_job), weekly_forecast(forecast_job),
               month_start(sop_cycle_job, SOP_CYCLES, 0, "the S&OP cycle of the month"),
               month_start(month_close_job, CLOSED_MONTHS, 1,
                           "the month close (finance and KPI packs) of the month before")],
    sensors=[landing_sensor(core_job, INGEST_KEYS, DOWNSTREAM_OF_INGEST), *alert_sensors,
             freshness_sensor],
    executor=dg.in_process_executor,
    resources={"warehouse": WarehouseResource()},
)))
