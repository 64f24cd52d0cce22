"""The PO chase loop's assets: the day's drafts and the chase log they fill. The engine is
orchestration.delivery.chase (docs/chase.md)."""

import dagster as dg

from ..delivery.chase import (CHASE_DIR, LOG_TABLE, chase_log_summary,
                              write_chase_drafts)
from .resources import WAREHOUSE_POOL, WarehouseResource


@dg.asset(
    key=dg.AssetKey(["exports", "po_chase_drafts"]),
    deps=[dg.AssetKey(["marts", "po_chase_list"])],
    group_name="source",
    kinds={"python", "email"},
    tags={"layer": "delivery"},
    description=f"One chase e-mail draft per supplier (.eml with a CSV of the lines) for "
                f"the as-of date's po_chase_list, under <exports>/{CHASE_DIR}/<as-of>/; "
                f"suppliers without an e-mail go to the buyers' buyer_list.csv. Logs what "
                f"it chased to {LOG_TABLE}, which the next day's list reads to escalate "
                f"(docs/chase.md). From address: CT_CHASE_FROM.",
    pool=WAREHOUSE_POOL,
)
def po_chase_drafts(context: dg.AssetExecutionContext,
                    warehouse: WarehouseResource) -> dg.MaterializeResult:
    s = warehouse.settings()
    with warehouse.connection() as con:
        result = write_chase_drafts(con, s.exports_dir, sender=s.chase_from)
    context.log.info(f"{result.drafts} drafts, {result.lines_chased} lines chased "
                     f"for {result.as_of} in {result.folder}")
    if result.suppliers_without_email:
        context.log.warning(f"{len(result.suppliers_without_email)} suppliers without a "
                            f"usable e-mail, {result.lines_to_buyers} lines on the buyers' "
                            f"list: {', '.join(result.suppliers_without_email)}")
    return dg.MaterializeResult(metadata={
        "as_of_date": result.as_of.isoformat(),
        "drafts_written": result.drafts,
        "lines_chased": result.lines_chased,
        "lines_to_buyers": result.lines_to_buyers,
        "suppliers_without_email": len(result.suppliers_without_email),
        "folder": dg.MetadataValue.path(str(result.folder)),
    })


@dg.asset(
    key=dg.AssetKey(["meta", "po_chase_log"]),
    group_name="source",
    kinds={"duckdb"},
    tags={"layer": "delivery"},
    description=f"The chase log {LOG_TABLE} the dbt source meta.po_chase_log reads: "
                f"created here (empty on a new warehouse) before dbt runs; the rows are "
                f"written by exports/po_chase_drafts, one per line per chase day. A key of "
                f"its own: were it the drafts asset's, po_chase_list -> drafts -> "
                f"po_chase_list would be a cycle.",
    pool=WAREHOUSE_POOL,
)
def po_chase_log(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connection() as con:
        summary = chase_log_summary(con)
    return dg.MaterializeResult(metadata={
        "rows": summary["rows"],
        "chase_days": summary["chase_days"],
        "last_chase_day": summary["last_chase_day"] or "never",
    })


chase_assets = [po_chase_log, po_chase_drafts]
