"""Operations definitions (docs/operations.md): alert sensors, freshness checks and their
sensor, the row-count-drop check on the public marts, the warehouse-lock retry policy.

Thin wrappers: the engines are orchestration.delivery.alerts and .row_counts.
"""

from datetime import timedelta

import warnings

import dagster as dg

from ..delivery.alerts import alert_for_run
from ..delivery.row_counts import row_counts
from ..ingestion.contracts import load_contracts
from ..settings import load_settings
from .dbt import planning_models, warehouse_models
from .ingest import raw_asset_key
from .resources import WAREHOUSE_POOL, WarehouseResource

# --- alerts -----------------------------------------------------------------------------


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes one line per failed run to <data_dir>/alerts.log and posts it to "
                "CT_ALERT_WEBHOOK when set.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    alert_for_run(context.instance, context.dagster_run.run_id, load_settings(),
                  log=context.log)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="alert_on_failed_checks",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A run can succeed while a blocking check failed (its step was the last "
                "one, nothing downstream to skip): alert on those too.",
)
def alert_on_failed_checks(context: dg.RunStatusSensorContext):
    alert_for_run(context.instance, context.dagster_run.run_id, load_settings(),
                  log=context.log)


alert_sensors = [alert_on_run_failure, alert_on_failed_checks]

# --- freshness --------------------------------------------------------------------------

# A late delivery warns once one expected delivery is missing (+2 h slack): daily deltas
# after 26 h, weekly master-data snapshots after 7 days 2 h.
DAILY = timedelta(hours=26)
WEEKLY = timedelta(days=7, hours=2)
FRESHNESS_MARTS = ("fct_sales_order_lines", "fct_purchase_order_lines",
                   "kpi_service_level_monthly", "po_chase_list", "item_availability")
PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])


def _raw_keys(kind: str) -> list[dg.AssetKey]:
    return [raw_asset_key(c.extract) for c in load_contracts().values() if c.kind == kind]


daily_freshness_keys = [*_raw_keys("delta"),
                        *(dg.AssetKey(["marts", m]) for m in FRESHNESS_MARTS), PUBLISHED_KEY]
weekly_freshness_keys = _raw_keys("snapshot")

# Checks, not only policies: a check result is evaluated without the daemon too (in every
# core run, right after its asset) and stays visible on the asset's Checks tab. Dagster
# 1.13 marks the factories superseded by FreshnessPolicy, which only the daemon
# evaluates; with_freshness_policies() adds those (warn and fail levels) for the UI.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning)
    freshness_checks = [
        *dg.build_last_update_freshness_checks(assets=daily_freshness_keys,
                                               lower_bound_delta=DAILY,
                                               severity=dg.AssetCheckSeverity.WARN),
        *dg.build_last_update_freshness_checks(assets=weekly_freshness_keys,
                                               lower_bound_delta=WEEKLY,
                                               severity=dg.AssetCheckSeverity.WARN),
    ]
    freshness_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=freshness_checks, default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=300)

# Two missed deliveries (+2 h) fail: 50 h for daily assets, 14 days 2 h for weekly ones.
FRESHNESS_POLICIES = {
    **{key: dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=50), warn_window=DAILY)
       for key in daily_freshness_keys},
    **{key: dg.FreshnessPolicy.time_window(fail_window=timedelta(days=14, hours=2),
                                           warn_window=WEEKLY)
       for key in weekly_freshness_keys},
}


def with_freshness_policies(defs: dg.Definitions) -> dg.Definitions:
    """`defs` with the warn/fail freshness policies on the raw extracts, the main marts
    and the published snapshot (evaluated by the daemon of `dagster dev`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_resolved_asset_specs(
            func=lambda spec: dg.apply_freshness_policy(spec, FRESHNESS_POLICIES[spec.key]),
            selection=list(FRESHNESS_POLICIES))

# --- row-count drop ---------------------------------------------------------------------

ROW_COUNT_CHECK = "row_count_drop"
public_mart_keys = sorted(
    (key for assets in (warehouse_models, planning_models) for key in assets.keys
     if key.path[0] == "marts"), key=lambda k: k.to_user_string())


@dg.multi_asset_check(
    # Not blocking as a Dagster check: a blocking check on a mart inside a dbt step would
    # split that step in two (its downstream marts are in the same dbt invocation), each
    # paying dbt's start-up. The publish step applies the same rule and refuses to
    # publish a snapshot that lost the rows (orchestration/defs/publish.py).
    specs=[dg.AssetCheckSpec(ROW_COUNT_CHECK, asset=key, blocking=False,
                             description="Fails when a mart that had >= 100 rows in the "
                                         "published snapshot lost more than CT_ROW_DROP_PCT "
                                         "(default 50 %) of them; the publish then refuses "
                                         "to replace the snapshot.")
           for key in public_mart_keys],
    name="mart_row_count_drop",
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def mart_row_count_drop(context: dg.AssetCheckExecutionContext,
                        warehouse: WarehouseResource):
    """One step for all marts: two counting queries instead of one connection per mart."""
    selected = sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.path[-1])
    max_drop = warehouse.settings().row_drop_pct
    with warehouse.connection() as con:
        counts = row_counts(con, warehouse.settings().published, "marts",
                            [k.asset_key.path[-1] for k in selected])
    for key in selected:
        count = counts[key.asset_key.path[-1]]
        metadata = {"previous": count.previous if count.previous is not None else "first build",
                    "current": count.current if count.current is not None else "missing",
                    "drop_pct": dg.MetadataValue.float(count.drop_pct),
                    "max_drop_pct": dg.MetadataValue.float(max_drop)}
        yield dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=ROW_COUNT_CHECK,
            passed=count.passed(max_drop), severity=dg.AssetCheckSeverity.ERROR,
            description=count.description(max_drop), metadata=metadata)


row_count_checks = [mart_row_count_drop]
