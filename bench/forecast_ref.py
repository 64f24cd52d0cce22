"""The forecast on the tier's own demand history, next to the same statsforecast models
called directly and to seasonal naive (forecasting.backtest)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import duckdb
import pandas as pd


def tier_history(warehouse: Path) -> pd.DataFrame:
    """marts.demand_history as the pipeline's current cutoff sees it: one weekly series
    per item × site (unique_id, ds, y)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        h = con.execute("SELECT item_id || '|' || site_id AS unique_id, "
                        "CAST(week AS TIMESTAMP) AS ds, CAST(demand_qty AS DOUBLE) AS y "
                        "FROM marts.demand_history ORDER BY 1, 2").df()
    finally:
        con.close()
    return h


def tier_forecast(warehouse: Path, windows: int = 1) -> dict:
    import forecasting
    from statsforecast import StatsForecast
    from statsforecast.models import (ADIDA, IMAPA, TSB, CrostonSBA, SeasonalNaive,
                                      SimpleExponentialSmoothingOptimized, Theta)

    warnings.simplefilter("ignore")
    df = tier_history(warehouse)
    if df.empty:
        return {"series": 0}
    out = {"series": int(df["unique_id"].nunique()), "rows": len(df),
           "weeks": int(df["ds"].nunique())}
    # the library as the pipeline calls it for the current cutoff (2 CV windows)
    t0 = time.perf_counter()
    forecasting.forecast(df, 26, "W-MON", level=(80, 95), cv_windows=2)
    out["library_forecast_s"] = time.perf_counter() - t0
    # every statsforecast model the weekly candidates use, fitted once, no selection
    t0 = time.perf_counter()
    StatsForecast(models=[SeasonalNaive(52), SimpleExponentialSmoothingOptimized(),
                          Theta(season_length=1), CrostonSBA(), ADIDA(), IMAPA(),
                          TSB(alpha_d=0.1, alpha_p=0.1)],
                  freq="W-MON", n_jobs=-1).forecast(df=df, h=26)
    out["direct_statsforecast_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, overall = forecasting.backtest(df, 26, "W-MON", windows=windows)
    out["backtest_s"] = time.perf_counter() - t0
    out["overall"] = {k: v for k, v in overall.items() if k != "by_class"}
    out["by_class"] = {c: {k: v for k, v in d.items() if k in (
        "n_series", "mase", "snaive_mase", "wape", "snaive_wape", "bias", "snaive_bias")}
        for c, d in overall.get("by_class", {}).items()}
    return out
