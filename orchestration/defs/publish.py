"""The published snapshot: the last step of the core graph."""


import dagster as dg

from ..delivery.publish import publish
from .resources import WAREHOUSE_POOL, WarehouseResource


def published_snapshot_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["published", "warehouse"]),
        deps=upstream,
        group_name="plan",
        kinds={"duckdb"},
        tags={"layer": "delivery"},
        description="Read-only snapshot of schemas marts and forecast for planners and "
                    "tools, published atomically after a successful build; every mart "
                    "also as Parquet under <exports>/parquet/.",
        pool=WAREHOUSE_POOL,
    )
    def published_warehouse(context: dg.AssetExecutionContext,
                            warehouse: WarehouseResource) -> dg.MaterializeResult:
        s = warehouse.settings()
        with warehouse.connection() as con:
            result = publish(con, s.published, s.exports_dir)
        context.log.info(f"published {len(result.tables)} tables to {result.path}")
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(result.tables),
        })

    return published_warehouse
