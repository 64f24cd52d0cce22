"""The demand forecast assets. The engine is orchestration.planning.demand_forecast.

Their checks are dbt tests on the dbt source `forecast` (the same tables), run by the
planning step's `dbt build` before the models that read the forecast (defs/dbt.py,
PLANNING_TRANSLATOR); docs/forecasting.md#checks."""

import time

import dagster as dg

from .resources import WAREHOUSE_POOL, WarehouseResource

DEMAND_HISTORY = dg.AssetKey(["marts", "demand_history"])
# The dbt sources forecast.demand_forecast(_monthly) are keyed <source>/<table> by the
# translator, so the planning models that read them hang under these assets.
DEMAND_FORECAST = dg.AssetKey(["forecast", "demand_forecast"])
DEMAND_FORECAST_MONTHLY = dg.AssetKey(["forecast", "demand_forecast_monthly"])
_COMMON = dict(group_name="plan", kinds={"python", "statsforecast", "duckdb"},
               tags={"layer": "forecast"})


@dg.multi_asset(
    name="demand_forecast",
    specs=[
        dg.AssetSpec(
            DEMAND_FORECAST, deps=[DEMAND_HISTORY], **_COMMON,
            description="Weekly item x site demand forecast, 26 weeks, 80/95 % intervals, "
                        "with the seasonal-naive baseline: one append-only snapshot per "
                        "cutoff (the last complete week before the as-of date), every "
                        "snapshot kept; a fresh install also forecasts as of the 13 "
                        "weekly cutoffs before. docs/forecasting.md."),
        dg.AssetSpec(
            DEMAND_FORECAST_MONTHLY, deps=[DEMAND_FORECAST], **_COMMON,
            description="Monthly family x site forecast for S&OP, 18 months from the "
                        "month after the cutoff's month: its own monthly model, "
                        "reconciled with the weekly forecast (equal to it on the months "
                        "the weekly horizon covers, scaled to its level after)."),
    ],
    pool=WAREHOUSE_POOL,
)
def demand_forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from ..planning import demand_forecast as engine
    from ..planning.plots import family_plots

    started = time.perf_counter()
    with warehouse.connection() as con:
        run = engine.run(con)
        snapshots = con.execute("SELECT count(DISTINCT cutoff) FROM "
                                "forecast.demand_forecast").fetchall()[0][0]
    if run.cutoff is None:
        context.log.warning("marts.demand_history is empty: nothing to forecast")
    else:
        context.log.info(f"cutoff {run.cutoff}: wrote {len(run.written)} snapshot(s) "
                         f"{[str(c) for c in run.written]}, kept {[str(c) for c in run.kept]}")
    plots = family_plots(run.history, run.weekly, run.monthly)
    seconds = {k: round(v, 2) for k, v in run.seconds.items()}
    seconds["total"] = round(time.perf_counter() - started, 2)
    common = {
        "cutoff": str(run.cutoff),
        "cutoffs_written": dg.MetadataValue.json([str(c) for c in run.written]),
        "cutoffs_kept": dg.MetadataValue.json([str(c) for c in run.kept]),
        "snapshots_total": snapshots,
        "wall_seconds": dg.MetadataValue.json(seconds),
    }
    yield dg.MaterializeResult(asset_key=DEMAND_FORECAST, metadata={
        **common,
        "series": run.series,
        "models_by_demand_class": dg.MetadataValue.md(_models_table(
            run.weekly, ["demand_class", "model"], "series",
            ["item_id", "site_id"])),
        "forecast_plots": dg.MetadataValue.md(plots),
    })
    yield dg.MaterializeResult(asset_key=DEMAND_FORECAST_MONTHLY, metadata={
        **common,
        "family_sites": int(len(run.monthly[["family", "site_id"]].drop_duplicates()))
        if len(run.monthly) else 0,
        "models": dg.MetadataValue.md(_models_table(
            run.monthly, ["model"], "family_sites", ["family", "site_id"])),
    })


def _models_table(frame, by: list[str], count_name: str, series: list[str]) -> str:
    if frame.empty:
        return "no forecast yet"
    counts = (frame[by + series].drop_duplicates().groupby(by).size()
              .rename(count_name).reset_index())
    lines = ["| " + " | ".join(by + [count_name]) + " |", "|" + "---|" * (len(by) + 1)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |"
              for row in counts.itertuples(index=False)]
    return "\n".join(lines)
