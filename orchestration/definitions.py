"""The one Definitions entry point (workspace.yaml and [tool.dg] point here)."""

from __future__ import annotations

import dagster as dg

from .defs.dbt import dbt_resource, warehouse_models
from .defs.ingest import ingest_assets
from .defs.publish import published_snapshot_asset
from .defs.resources import WarehouseResource

MART_KEYS = [key for key in warehouse_models.keys if key.path[0] == "marts"]
published_warehouse = published_snapshot_asset(MART_KEYS)

# The core graph is unpartitioned (DESIGN.md run modes): "Materialize all" in the UI and
# `make run` are the same single run from the landing zone to the published snapshot.
core_job = dg.define_asset_job(
    "core",
    selection=dg.AssetSelection.assets(*ingest_assets, warehouse_models, published_warehouse),
    description="Ingest every extract, build the warehouse with dbt, publish the snapshot.",
)

# Every step writes the one DuckDB file, so steps run one at a time anyway (pool
# "warehouse", limit 1); the multiprocess executor would only add ~3 s of process start
# per step on this 2-core machine. In-process for the UI as for `make run`.
defs = dg.Definitions(
    assets=[*ingest_assets, warehouse_models, published_warehouse],
    jobs=[core_job],
    executor=dg.in_process_executor,
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
