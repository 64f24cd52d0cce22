"""The monthly packs: the finance cost-control pack and the KPI pack, one partition per
closed month. The engines are orchestration.delivery.finance_pack and .kpi_pack;
docs/packs.md says what each pack holds.

Both open the live warehouse in the warehouse pool: the finance pack writes the frozen
figures of the month (schema finance_close), and a reader of the live file must not
run beside a writer anyway. A step that loses the file lock retries: a finance build is
one transaction, so a retry starts from a clean state.
"""

import json
import time
from contextlib import contextmanager

import dagster as dg

from ..delivery.alerts import first_line, is_lock_error
from ..delivery.files import is_disk_full
from ..delivery.finance_pack import FINANCE_MODELS_DIR, contract_keys
from .partitions import CLOSED_MONTHS
from .resources import WAREHOUSE_POOL, WarehouseResource, warehouse_lock_retry

FINANCE_PACK = dg.AssetKey(["exports", "finance_close_pack"])
KPI_PACK = dg.AssetKey(["exports", "kpi_pack"])

# Every finance mart with a dbt contract; the pack takes the marts.fin_* tables.
FIN_MARTS = sorted(t for t in contract_keys(FINANCE_MODELS_DIR) if t.startswith("fin_"))
KPI_MARTS = ("kpi_service_level_monthly", "kpi_supplier_performance_monthly",
             "kpi_inventory_monthly", "forecast_accuracy", "kpi_freight_cost_monthly")
# The S&OP marts are partitioned by cycle; a month's pack reads the latest cycle on or
# before it, which no partition mapping names, so it depends on all of them.
SOP_MARTS = ("sop_demand_plan", "sop_supply_plan")


def _mart(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


def fin_check_status(instance: dg.DagsterInstance) -> str:
    """The latest evaluations of the dbt tests on the marts.fin_* assets, as recorded by
    this Dagster instance."""
    from dagster_dbt.asset_utils import get_asset_check_key_for_test

    from .dbt import TRANSLATOR, dbt_project

    project = dbt_project()
    manifest = json.loads(project.manifest_path.read_text())
    fin = {_mart(t) for t in FIN_MARTS}
    keys = []
    for unique_id in manifest["nodes"]:
        key = get_asset_check_key_for_test(manifest, TRANSLATOR, unique_id, project)
        if key is not None and key.asset_key in fin:
            keys.append(key)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    if not latest:
        return (f"no recorded evaluation of the {len(keys)} dbt tests on the fin_* marts "
                f"in this Dagster instance; the pack is built after the marts' build")
    statuses: dict[str, int] = {}
    for record in latest.values():
        statuses[record.status.value.lower()] = statuses.get(record.status.value.lower(), 0) + 1
    failed = statuses.get("failed", 0)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    return (f"{'FAILED' if failed else 'passed'}: latest dbt tests on the fin_* marts "
            f"{summary} (of {len(keys)})")


@contextmanager
def pack_failure(pack: str, month: str, folder):
    """The retry policy is for a lost warehouse lock: any other error fails the pack at
    once, in one line (a full disk stays full, a bug stays a bug); the folder keeps the
    previous pack."""
    try:
        yield
    except Exception as exc:
        if is_lock_error(exc):
            raise
        if is_disk_full(exc):
            why = f"no space left on device (disk full) in {folder}"
        else:
            why = f"{type(exc).__name__}: {first_line(str(exc))}"
        raise dg.Failure(description=f"{pack} {month} not written: {why}; the folder keeps "
                                     f"the previous pack", allow_retries=False) from exc


@dg.asset(
    key=FINANCE_PACK,
    deps=[_mart(t) for t in FIN_MARTS],
    partitions_def=CLOSED_MONTHS,
    group_name="finance",
    kinds={"python", "duckdb", "excel"},
    tags={"layer": "delivery"},
    pool=WAREHOUSE_POOL,
    retry_policy=warehouse_lock_retry(),
    description="Finance cost-control pack of a closed month: one formatted XLSX (cover, "
                "a sheet per marts.fin_* table for the month, restatements) plus CSV and "
                "Parquet per table, under <exports>/finance/<YYYY-MM>/. The first build "
                "freezes the month's rows in schema finance_close; later builds show the "
                "frozen figures and record differences as restatements. docs/packs.md.",
)
def finance_close_pack(context: dg.AssetExecutionContext,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ..delivery.finance_pack import build_finance_pack

    started = time.perf_counter()
    s = warehouse.settings()
    status = fin_check_status(context.instance)
    with pack_failure("finance pack", context.partition_key, s.exports_dir / "finance"), \
            warehouse.connection() as con:
        result = build_finance_pack(con, s.exports_dir, context.partition_key,
                                    run_id=context.run.run_id, check_status=status,
                                    company_currency=s.company_currency)
    if result.restatements:
        context.log.warning(f"{result.month}: {result.restatements} restatement(s) of the "
                            f"frozen figures ({result.restatements_new} new)")
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(result.folder)),
        "workbook": dg.MetadataValue.path(str(result.workbook)),
        "files": dg.MetadataValue.json([f.name for f in result.files]),
        "sheets": dg.MetadataValue.json(result.sheets),
        "rows_by_table": dg.MetadataValue.json(result.tables),
        "restatements": result.restatements,
        "restatements_new": result.restatements_new,
        "newly_closed_tables": dg.MetadataValue.json(result.newly_closed),
        "closed_at": str(result.closed_at),
        "check_status": status,
        "wall_seconds": round(time.perf_counter() - started, 2),
    })


@dg.asset(
    key=KPI_PACK,
    deps=[_mart(t) for t in KPI_MARTS]
    + [dg.AssetDep(_mart(t), partition_mapping=dg.AllPartitionMapping()) for t in SOP_MARTS],
    partitions_def=CLOSED_MONTHS,
    group_name="plan",
    kinds={"python", "duckdb", "html", "excel"},
    tags={"layer": "delivery"},
    pool=WAREHOUSE_POOL,
    retry_policy=warehouse_lock_retry(),
    description="Monthly KPI pack for the S&OP review: kpi_pack.html (self-contained, "
                "inline SVG charts of the twelve months to the month: OTIF and fill rate, "
                "supplier OTD, inventory value and turns, forecast accuracy and bias, S&OP "
                "demand vs supply vs capacity, freight cost per unit) and kpi_pack.xlsx "
                "with each chart's figures, under <exports>/kpi_pack/<YYYY-MM>/.",
)
def kpi_pack(context: dg.AssetExecutionContext,
             warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ..delivery.kpi_pack import build_kpi_pack

    started = time.perf_counter()
    s = warehouse.settings()
    with pack_failure("KPI pack", context.partition_key, s.exports_dir / "kpi_pack"), \
            warehouse.connection() as con:
        result = build_kpi_pack(con, s.exports_dir, context.partition_key,
                                run_id=context.run.run_id, company_currency=s.company_currency)
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(result.folder)),
        "html": dg.MetadataValue.path(str(result.html)),
        "workbook": dg.MetadataValue.path(str(result.workbook)),
        "charts": dg.MetadataValue.json(result.charts),
        "sheets": dg.MetadataValue.json(result.sheets),
        "sop_cycle": str(result.sop_cycle) if result.sop_cycle else "none",
        "html_bytes": result.html.stat().st_size,
        "wall_seconds": round(time.perf_counter() - started, 2),
    })


pack_assets = [finance_close_pack, kpi_pack]
