"""The published snapshot: the last step of the graph."""


import dagster as dg

from ..delivery.publish import PublishError, publish
from ..delivery.row_counts import publish_refusals
from ..planning.cycle import month_span
from .partitions import register_months
from .resources import WAREHOUSE_POOL, WarehouseResource, warehouse_lock_retry


def published_snapshot_asset(upstream: list[dg.AssetKey],
                             monthly: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """`upstream`: the unpartitioned tables it copies; `monthly`: the month-partitioned
    ones (S&OP cycle, month close), of which it publishes the latest month."""
    @dg.asset(
        key=dg.AssetKey(["published", "warehouse"]),
        deps=[*upstream, *(dg.AssetDep(key, partition_mapping=dg.LastPartitionMapping())
                           for key in monthly)],
        group_name="plan",
        kinds={"duckdb"},
        tags={"layer": "delivery"},
        description="Read-only snapshot of schemas marts and forecast (and the ingest "
                    "ledger) for planners and tools, published atomically after a "
                    "successful build in a storage format DuckDB 1.x and 2.x clients "
                    "both open; every mart also as Parquet under <exports>/parquet/. "
                    "Registers the S&OP cycles and closed months the data now spans.",
        pool=WAREHOUSE_POOL,
        retry_policy=warehouse_lock_retry(),
    )
    def published_warehouse(context: dg.AssetExecutionContext,
                            warehouse: WarehouseResource) -> dg.MaterializeResult:
        s = warehouse.settings()
        with warehouse.connection() as con:
            refusals = publish_refusals(con, s.published, s.row_drop_pct)
            if refusals:
                raise dg.Failure(
                    description="not published: marts lost more than CT_ROW_DROP_PCT "
                                f"({s.row_drop_pct:g} %) of their rows; the snapshot keeps "
                                "the previous build. " + "; ".join(refusals[:5]),
                    metadata={"refused": dg.MetadataValue.json(refusals)},
                    allow_retries=False)  # bad data, not a lost lock: retrying cannot help
            try:
                result = publish(con, s.published, s.exports_dir)
            except PublishError as exc:    # a full disk: retrying cannot help
                raise dg.Failure(description=str(exc), allow_retries=False) from exc
            span = month_span(con)
        register_months(context.instance, span)
        context.log.info(f"published {len(result.tables)} tables to {result.path}")
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(result.tables),
            "current_sop_cycle": span.current_cycle if span else "none",
            "latest_closed_month": span.latest_closed_month if span else "none",
        })

    return published_warehouse
