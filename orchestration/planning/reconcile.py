"""Weeks to months, and the monthly family x site forecast reconciled with the weekly one.

Plain pandas, no warehouse and no Dagster, so the method is unit-tested on hand rows.

A week is spread evenly over its 7 days and each day belongs to its calendar month
(demand inside a week has no known day). For a family x site and a cutoff:

- the months m1..m18 start with the month after the cutoff's month;
- a month whose every day lies in the weekly horizon (cutoff + 7 .. cutoff + 188) — or,
  for m1 when the cutoff week runs into it, in that week of history — takes exactly the
  weekly forecast summed over the family's items and split by days: on those months the
  two forecasts agree by construction;
- later months take the family x site's own monthly model, scaled by k = (weekly total
  over the fully covered months) / (model total over the same months): the level of the
  weekly forecast, the shape (season, trend) of the monthly model;
- the month the weekly horizon ends in takes the weekly days plus the scaled model for
  its remaining share of days;
- intervals are the monthly model's, scaled with its point (the relative width kept);
  a sum of the items' quantiles would not be a quantile of the sum. Where there is no
  model (no complete month of history yet) or it forecasts zero, the items' weekly
  bounds are summed the same way — wider than the family's own interval, so on the
  safe side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VALUES = ("forecast", "forecast_lo_80", "forecast_hi_80", "forecast_lo_95",
          "forecast_hi_95")
BOUNDS = VALUES[1:]


def month_start(days: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]").astype(
        "datetime64[ns]")


def days_in_month(months) -> np.ndarray:
    m = np.asarray(months, dtype="datetime64[M]")
    return ((m + 1).astype("datetime64[D]") - m.astype("datetime64[D]")).astype(int)


def split_weeks_by_day(frame: pd.DataFrame, keys: list[str], values: list[str],
                       week: str = "week") -> pd.DataFrame:
    """Each row's week as 7 days of value / 7 (column `day`), keys and values kept."""
    rep = frame.iloc[np.repeat(np.arange(len(frame)), 7)][keys + [week] + values] \
        .reset_index(drop=True)
    offsets = np.tile(np.arange(7), len(frame)).astype("timedelta64[D]")
    rep["day"] = rep[week].to_numpy(dtype="datetime64[ns]") + offsets
    rep[values] = rep[values] / 7.0
    return rep.drop(columns=[week])


def weeks_to_months(frame: pd.DataFrame, keys: list[str], values: list[str],
                    week: str = "week") -> pd.DataFrame:
    """Weekly rows summed into calendar months by days: keys, month, values, days (how
    many days of the month the weeks covered)."""
    days = split_weeks_by_day(frame, keys, values, week)
    days["month"] = month_start(days["day"])
    out = days.groupby(keys + ["month"], sort=True).agg(
        **{v: (v, "sum") for v in values}, days=("day", "size")).reset_index()
    return out


def complete_months(monthly: pd.DataFrame) -> pd.DataFrame:
    """Only the months every day of which the weeks covered."""
    return monthly[monthly["days"] == days_in_month(monthly["month"])]


def first_forecast_month(cutoff) -> pd.Timestamp:
    """m1: the month after the cutoff's month."""
    return pd.Timestamp(cutoff).to_period("M").to_timestamp() + pd.DateOffset(months=1)


def reconcile(weekly: pd.DataFrame, cutoff_week: pd.DataFrame, model: pd.DataFrame,
              months: int) -> pd.DataFrame:
    """The monthly forecast of every (cutoff, family, site_id) of `weekly`.

    weekly: cutoff, family, site_id, week and VALUES — the weekly forecast summed over
      the family's items (weeks cutoff + 7 .. cutoff + 7 x horizon).
    cutoff_week: cutoff, family, site_id, demand — the orders of the cutoff week itself
      (counted in m1 when that week runs into it).
    model: cutoff, family, site_id, month, VALUES, model — the family x site's own
      monthly model (may lack a group or months).
    Returns cutoff, family, site_id, month, lag_months, VALUES, weekly_share, model.
    """
    keys = ["cutoff", "family", "site_id"]
    hist = cutoff_week.assign(week=cutoff_week["cutoff"],
                              **{v: cutoff_week["demand"] for v in VALUES})
    parts = pd.concat([weekly[keys + ["week", *VALUES]], hist[keys + ["week", *VALUES]]],
                      ignore_index=True)
    parts["week"] = pd.to_datetime(parts["week"])
    days = split_weeks_by_day(parts, keys, list(VALUES))
    m1 = pd.to_datetime(days["cutoff"]).dt.to_period("M").dt.to_timestamp() \
        + pd.DateOffset(months=1)
    days = days[days["day"] >= m1]
    days["month"] = month_start(days["day"])
    covered = days.groupby(keys + ["month"]).agg(
        **{f"w_{v}": (v, "sum") for v in VALUES}, covered_days=("day", "size")).reset_index()

    groups = weekly[keys].drop_duplicates()
    grid = groups.loc[groups.index.repeat(months)].reset_index(drop=True)
    grid["lag_months"] = np.tile(np.arange(1, months + 1), len(groups))
    first = pd.to_datetime(grid["cutoff"]).dt.to_period("M") + grid["lag_months"]
    grid["month"] = first.dt.to_timestamp()
    out = grid.merge(covered, on=keys + ["month"], how="left")
    out = out.merge(model.rename(columns={v: f"m_{v}" for v in VALUES}),
                    on=keys + ["month"], how="left")
    out["covered_days"] = out["covered_days"].fillna(0)
    for v in VALUES:
        out[f"w_{v}"] = out[f"w_{v}"].fillna(0.0)
    out["month_days"] = days_in_month(out["month"])
    out["weekly_share"] = out["covered_days"] / out["month_days"]
    full = out["weekly_share"] >= 1.0

    g = out.groupby(keys, sort=False)

    def full_sum(col: str) -> pd.Series:
        return out[col].where(full, 0.0).groupby([out[k] for k in keys], sort=False) \
            .transform("sum")

    full_days = full_sum("month_days")
    rest = 1.0 - out["weekly_share"]
    has_model = out["m_forecast"].notna() & g["m_forecast"].transform(
        lambda s: s.notna().all())
    model_full = full_sum("m_forecast").where(has_model)
    weekly_full = full_sum("w_forecast")
    k = (weekly_full / model_full).where(model_full > 0)

    # the point: weekly days + the rest of the month from the scaled model, or flat at
    # the weekly daily rate of the fully covered months when there is no usable model
    flat = {v: full_sum(f"w_{v}") / full_days * out["month_days"] for v in VALUES}
    scaled = out["m_forecast"] * k
    out["forecast"] = out["w_forecast"] + rest * scaled.where(k.notna(), flat["forecast"])

    # bounds: the model's relative width around the reconciled point, else the items'
    # weekly bounds reconciled like the point
    ratio = (out["forecast"] / out["m_forecast"]).where(k.notna() & (out["m_forecast"] > 0))
    for b in BOUNDS:
        fallback = out[f"w_{b}"] + rest * flat[b]
        out[b] = (out[f"m_{b}"] * ratio).where(ratio.notna(), fallback)
    out["model"] = out["model"].where(has_model, "WeeklyOnly")
    return finish_bounds(out)[keys + ["month", "lag_months", *VALUES, "weekly_share",
                                      "model"]]


def finish_bounds(frame: pd.DataFrame) -> pd.DataFrame:
    """Non-negative, finite, lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95."""
    out = frame.copy()
    for v in VALUES:
        out[v] = np.clip(np.nan_to_num(out[v].to_numpy(dtype=float), nan=0.0, posinf=0.0),
                         0.0, None)
    out["forecast_lo_80"] = np.minimum(out["forecast_lo_80"], out["forecast"])
    out["forecast_hi_80"] = np.maximum(out["forecast_hi_80"], out["forecast"])
    out["forecast_lo_95"] = np.minimum(out["forecast_lo_95"], out["forecast_lo_80"])
    out["forecast_hi_95"] = np.maximum(out["forecast_hi_95"], out["forecast_hi_80"])
    return out
