"""One ingest asset per extract contract, and the landing folders they read as observable
source assets. The engine is orchestration.ingestion."""

import warnings

import dagster as dg

from ..ingestion.contracts import Contract, load_contracts
from ..delivery.freshness import LAST_UPDATED_METADATA_KEY, last_delivery_timestamp
from ..ingestion.landing import landing_state, ledger_version
from ..ingestion.loader import ingest_extract
from ..settings import load_settings
from .resources import WAREHOUSE_POOL, WarehouseResource, warehouse_lock_retry


def raw_asset_key(extract: str) -> dg.AssetKey:
    """The key of raw.<extract>; the dbt translator maps the dbt source to the same key."""
    return dg.AssetKey(["raw", extract])


def landing_asset_key(extract: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", extract])


CONTRACTS = load_contracts()


def _observable(**kwargs):
    """dg.multi_observable_source_asset, whose beta notice would print in every run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.multi_observable_source_asset(**kwargs)


@_observable(
    name="landing_zone",
    specs=[dg.AssetSpec(landing_asset_key(c.extract), group_name=c.stage,
                        kinds={"file"}, tags={"layer": "landing"},
                        description=f"The delivery files of {c.extract} in "
                                    f"<landing>/{c.extract}/, as the source system drops "
                                    "them. Its data version changes when a file arrives, "
                                    "grows or is replaced.")
           for c in CONTRACTS.values()],
    can_subset=True,
)
def landing_zone(context: dg.AssetExecutionContext):
    """Observes the landing folders: raw/<extract> is stale when its folder has a new
    data version since it was last ingested."""
    landing = load_settings().landing_dir
    for key in context.selected_asset_keys:
        version, files, size = landing_state(landing, key.path[-1])
        yield dg.ObserveResult(asset_key=key, data_version=dg.DataVersion(version),
                               metadata={"files": files, "bytes": size})


def _ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(contract.extract),
        deps=[landing_asset_key(contract.extract)],
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
            version = ledger_version(con, contract.extract)
        for f in result.files:
            line = (f"{f.path}: {f.status}, {f.rows_loaded} loaded, "
                    f"{f.rows_quarantined} quarantined")
            if f.error:
                line += f" ({f.error})"
            (context.log.warning if f.status == "rejected" else context.log.info)(line)
        return dg.MaterializeResult(data_version=dg.DataVersion(version), metadata={
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


ingest_assets = [_ingest_asset(c) for c in CONTRACTS.values()]
