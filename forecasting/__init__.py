"""Demand forecasting for Control Tower: one call for a whole panel of item × site series.

    import forecasting
    fc = forecasting.forecast(history, horizon=26, freq="W-MON")       # unique_id, ds, y in
    per_series, overall = forecasting.backtest(history, 26, "W-MON", windows=2)

Plain Python on statsforecast: no Dagster, usable from a notebook, a test or an asset.
See docs/forecasting.md for the method and the measured accuracy and speed.
"""

from .backtest import backtest
from .classify import DEMAND_CLASSES, classify
from .core import forecast
from .models import CANDIDATES, candidates_for
from ._panel import calendar

__all__ = ["forecast", "backtest", "classify", "calendar", "candidates_for", "CANDIDATES",
           "DEMAND_CLASSES"]
