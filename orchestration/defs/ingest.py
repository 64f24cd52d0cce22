"""One ingest asset per extract contract. The engine is orchestration.ingestion."""


import dagster as dg

from ..ingestion.contracts import Contract, load_contracts
from ..delivery.freshness import LAST_UPDATED_METADATA_KEY, last_delivery_timestamp
from ..ingestion.loader import ingest_extract
from .resources import WAREHOUSE_POOL, WarehouseResource, warehouse_lock_retry


def raw_asset_key(extract: str) -> dg.AssetKey:
    """The key of raw.<extract>; the dbt translator maps the dbt source to the same key."""
    return dg.AssetKey(["raw", extract])


def _ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(contract.extract),
        group_name=contract.stage,
        kinds={"duckdb", "python"},
        tags={"layer": "ingest", "extract_kind": contract.kind},
        description=f"{contract.description} Loads new deliveries from "
                    f"<landing>/{contract.extract}/ ({contract.kind} extract; key "
                    f"{', '.join(contract.key)}). Bad rows go to "
                    f"quarantine.{contract.extract} with a reason.",
        pool=WAREHOUSE_POOL,
        retry_policy=warehouse_lock_retry(),
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with warehouse.connection() as con:
            result = ingest_extract(con, contract.extract, warehouse.landing_dir)
            raw_rows = con.execute(f'SELECT count(*) FROM raw."{contract.extract}"').fetchall()[0][0]
            delivered = last_delivery_timestamp(con, contract.extract)
        for f in result.files:
            line = (f"{f.path}: {f.status}, {f.rows_loaded} loaded, "
                    f"{f.rows_quarantined} quarantined")
            if f.error:
                line += f" ({f.error})"
            (context.log.warning if f.status == "rejected" else context.log.info)(line)
        return dg.MaterializeResult(metadata={
            **result.summary(),
            "raw_rows_total": raw_rows,
            # freshness is about deliveries, not runs: the time the newest file came in
            **({LAST_UPDATED_METADATA_KEY: dg.MetadataValue.timestamp(delivered)}
               if delivered is not None else {}),
            "files": dg.MetadataValue.md(_files_table(result)) if result.files
            else "no new files",
        })

    return _ingest


def _files_table(result) -> str:
    lines = ["| file | status | read | loaded | quarantined | error |",
             "|---|---|---|---|---|---|"]
    for f in result.files:
        lines.append(f"| {f.path} | {f.status} | {f.rows_read} | {f.rows_loaded} | "
                     f"{f.rows_quarantined} | {f.error or ''} |")
    return "\n".join(lines)


ingest_assets = [_ingest_asset(c) for c in load_contracts().values()]
