"""Demand forecast snapshots (plain Python, no Dagster; the asset in defs/forecast.py
wires it). docs/forecasting.md describes the method; in short:

- history: marts.demand_history (weekly orders per item x site, zeros filled, up to the
  last complete week before the as-of date);
- cutoff: the Monday of that last complete week; a snapshot uses the weeks up to and
  including its cutoff only;
- weekly: forecasting.forecast (26 weeks, W-MON, levels 80/95) per item x site, plus the
  seasonal-naive baseline of the same cutoff (for forecast value added);
- monthly: the family x site forecast for S&OP, 18 months from the month after the
  cutoff's month, its own model reconciled with the weekly one (reconcile.py);
- written to forecast.demand_forecast / demand_forecast_monthly as one append-only
  snapshot per cutoff: the snapshot of a cutoff is deleted and inserted in one
  transaction, every other snapshot is kept; a run on the same history (same digest)
  leaves it untouched;
- fresh install (no snapshot at all): also the 13 weekly cutoffs before, each from its
  own history only, with one CV window instead of two (35 % cheaper, same weekly
  accuracy — docs/forecasting.md), so accuracy at lag is filled from the first run.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import duckdb
import numpy as np
import pandas as pd

from . import reconcile
from .tables import HORIZON_MONTHS, HORIZON_WEEKS, LEVELS, ensure_forecast_tables

PAST_CUTOFFS = 13
WEEKLY_FREQ = "W-MON"
SEASON_WEEKS = 52
CV_WINDOWS = 2          # the current cutoff
CV_WINDOWS_PAST = 1     # the 13 past cutoffs of a fresh install
_SEP = "\x1f"           # joins cutoff, item and site into one series id
_VALUES = list(reconcile.VALUES)


@dataclass
class Snapshot:
    cutoff: date
    cv_windows: int
    history: pd.DataFrame       # the demand_history rows up to the cutoff
    digest: str


@dataclass
class ForecastRun:
    """What a run did; the frames are those of the current cutoff (empty when kept)."""

    cutoff: date | None
    written: list[date] = field(default_factory=list)
    kept: list[date] = field(default_factory=list)
    series: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    weekly: pd.DataFrame = field(default_factory=pd.DataFrame)
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT item_id, site_id, family, week, CAST(demand_qty AS DOUBLE) AS demand "
        "FROM marts.demand_history ORDER BY item_id, site_id, week").df()


def digest(history: pd.DataFrame, cv_windows: int) -> str:
    """Identifies a snapshot's input: the history rows and the settings."""
    h = hashlib.sha256(f"h{HORIZON_WEEKS}|m{HORIZON_MONTHS}|l{LEVELS}|cv{cv_windows}|"
                       .encode())
    h.update(pd.util.hash_pandas_object(
        history[["item_id", "site_id", "family", "week", "demand"]], index=False)
        .to_numpy().tobytes())
    return h.hexdigest()[:16]


def plan(con: duckdb.DuckDBPyConnection, history: pd.DataFrame
         ) -> tuple[date | None, list[Snapshot], list[date]]:
    """(current cutoff, snapshots to write, cutoffs kept as they are)."""
    if history.empty:
        return None, [], []
    cutoff = pd.Timestamp(history["week"].max()).date()
    weekly = dict(con.execute("SELECT cutoff, min(history_digest) FROM "
                              "forecast.demand_forecast GROUP BY cutoff").fetchall())
    monthly = dict(con.execute("SELECT cutoff, min(history_digest) FROM "
                               "forecast.demand_forecast_monthly GROUP BY cutoff").fetchall())
    wanted = [(cutoff, CV_WINDOWS)]
    if not weekly:
        wanted += [(cutoff - timedelta(weeks=k), CV_WINDOWS_PAST)
                   for k in range(1, PAST_CUTOFFS + 1)]
    todo, kept = [], []
    weeks = pd.to_datetime(history["week"])
    for c, cv in wanted:
        part = history[weeks <= pd.Timestamp(c)]
        if part.empty:
            continue
        d = digest(part, cv)
        if weekly.get(c) == d and monthly.get(c) == d:
            kept.append(c)
        else:
            todo.append(Snapshot(c, cv, part, d))
    return cutoff, todo, kept


def seasonal_naive(history: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Last year's week repeated (the last week when there is less than a year)."""
    from forecasting.backtest import seasonal_naive as snaive

    y = history["demand"].to_numpy(dtype=float)
    codes, uniques = pd.factorize(ids, sort=False)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, len(codes)]
    values = np.concatenate([snaive(y[s:e], HORIZON_WEEKS, SEASON_WEEKS)
                             for s, e in zip(starts, ends)])
    return pd.DataFrame({"unique_id": np.repeat(np.asarray(uniques), HORIZON_WEEKS),
                         "step": np.tile(np.arange(1, HORIZON_WEEKS + 1), len(uniques)),
                         "seasonal_naive": values})


def _series_frame(snaps: list[Snapshot], keys: list[str], value: str, ds: str,
                  frames: list[pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for snap, f in zip(snaps, frames):
        uid = snap.cutoff.isoformat()
        for k in keys:
            uid = uid + _SEP + f[k].astype(str)
        parts.append(pd.DataFrame({"unique_id": uid, "ds": pd.to_datetime(f[ds]),
                                   "y": f[value].to_numpy(dtype=float)}))
    return pd.concat(parts, ignore_index=True)


def _split_ids(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    parts = frame["unique_id"].str.split(_SEP, expand=True)
    out = frame.drop(columns="unique_id")
    out.insert(0, "cutoff", pd.to_datetime(parts[0]).dt.date)
    for i, k in enumerate(keys, start=1):
        out.insert(i, k, parts[i])
    return out


def forecast_weekly(snaps: list[Snapshot], n_jobs: int = -1) -> pd.DataFrame:
    """Item x site forecasts of every snapshot (one library call per CV setting)."""
    import forecasting

    out = []
    for cv in sorted({s.cv_windows for s in snaps}, reverse=True):
        group = [s for s in snaps if s.cv_windows == cv]
        panel = _series_frame(group, ["item_id", "site_id"], "demand", "week",
                              [s.history for s in group])
        fc = forecasting.forecast(panel, HORIZON_WEEKS, WEEKLY_FREQ, level=LEVELS,
                                  cv_windows=cv, n_jobs=n_jobs)
        fc = fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
        fc["step"] = fc.groupby("unique_id").cumcount() + 1
        sn = seasonal_naive(panel.rename(columns={"y": "demand"}), panel["unique_id"])
        fc = fc.merge(sn, on=["unique_id", "step"], how="left", validate="1:1")
        out.append(fc)
    fc = _split_ids(pd.concat(out, ignore_index=True), ["item_id", "site_id"])
    fc = fc.rename(columns={"ds": "week", "step": "lag_weeks"})
    fc["week"] = pd.to_datetime(fc["week"]).dt.date
    expected = pd.to_datetime(fc["cutoff"]) + pd.to_timedelta(7 * fc["lag_weeks"], unit="D")
    if not (pd.to_datetime(fc["week"]) == expected).all():
        raise RuntimeError("a forecast does not start the week after its cutoff: "
                           "demand_history must run every series to the cutoff")
    return fc


def forecast_monthly(snaps: list[Snapshot], weekly: pd.DataFrame,
                     n_jobs: int = -1) -> pd.DataFrame:
    """Family x site months m1..m18 of every snapshot: own model + reconciliation."""
    import forecasting

    keys = ["family", "site_id"]
    fam_hist, model_parts = [], []
    for snap in snaps:
        h = snap.history.groupby(keys + ["week"], as_index=False)["demand"].sum()
        h["week"] = pd.to_datetime(h["week"])
        months = reconcile.complete_months(reconcile.weeks_to_months(h, keys, ["demand"]))
        fam_hist.append(months)
    # horizon from the last complete month (the cutoff's month or the one before) to m18
    h_months = HORIZON_MONTHS + 1
    for cv in sorted({s.cv_windows for s in snaps}, reverse=True):
        idx = [i for i, s in enumerate(snaps) if s.cv_windows == cv and not fam_hist[i].empty]
        if not idx:
            continue
        panel = _series_frame([snaps[i] for i in idx], keys, "demand", "month",
                              [fam_hist[i] for i in idx])
        fc = forecasting.forecast(panel, h_months, "MS", level=LEVELS, cv_windows=cv,
                                  n_jobs=n_jobs)
        model_parts.append(_split_ids(fc.rename(columns={"ds": "month"}), keys))
    model = (pd.concat(model_parts, ignore_index=True) if model_parts else
             pd.DataFrame(columns=["cutoff", *keys, "month", *_VALUES, "model"]))
    model["month"] = pd.to_datetime(model["month"])

    wk = weekly.groupby(["cutoff", *keys, "week"], as_index=False)[_VALUES].sum()
    cutoff_week = pd.concat(
        [s.history[pd.to_datetime(s.history["week"]) == pd.Timestamp(s.cutoff)]
         .groupby(keys, as_index=False)["demand"].sum().assign(cutoff=s.cutoff)
         for s in snaps], ignore_index=True)
    return reconcile.reconcile(wk, cutoff_week, model[["cutoff", *keys, "month", *_VALUES,
                                                       "model"]], HORIZON_MONTHS)


def _write(con: duckdb.DuckDBPyConnection, snaps: list[Snapshot], weekly: pd.DataFrame,
           monthly: pd.DataFrame, created_at: datetime) -> None:
    digests = pd.DataFrame({"cutoff": [s.cutoff for s in snaps],
                            "history_digest": [s.digest for s in snaps]})
    weekly = weekly.merge(digests, on="cutoff").assign(created_at=created_at)
    monthly = monthly.merge(digests, on="cutoff").assign(created_at=created_at)
    monthly["month"] = pd.to_datetime(monthly["month"]).dt.date
    cutoffs = [s.cutoff for s in snaps]
    bounds = ", ".join(f"{v}" for v in _VALUES[1:])
    con.register("new_weekly", weekly)
    con.register("new_monthly", monthly)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM forecast.demand_forecast WHERE list_contains(?, cutoff)",
                    [cutoffs])
        con.execute("DELETE FROM forecast.demand_forecast_monthly "
                    "WHERE list_contains(?, cutoff)", [cutoffs])
        con.execute(f"""
            INSERT INTO forecast.demand_forecast BY NAME
            SELECT cutoff, item_id, site_id, week, lag_weeks, forecast, {bounds},
                   seasonal_naive, model, demand_class, family, history_digest, created_at
            FROM new_weekly""")
        con.execute(f"""
            INSERT INTO forecast.demand_forecast_monthly BY NAME
            SELECT cutoff, family, site_id, month, lag_months, forecast, {bounds},
                   weekly_share, model, history_digest, created_at
            FROM new_monthly""")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("new_weekly")
        con.unregister("new_monthly")


def run(con: duckdb.DuckDBPyConnection, *, n_jobs: int = -1,
        now: datetime | None = None) -> ForecastRun:
    """Forecast as of the current cutoff (and the 13 before on a fresh install) and
    write the snapshots; returns what was done."""
    t0 = time.perf_counter()
    ensure_forecast_tables(con)
    history = load_history(con)
    cutoff, snaps, kept = plan(con, history)
    result = ForecastRun(cutoff, kept=kept, history=history)
    result.seconds["read"] = time.perf_counter() - t0
    if not snaps:
        if cutoff is not None:
            result.weekly, result.monthly = load_snapshot(con, cutoff)
            result.series = _series_count(result.weekly)
        return result
    t = time.perf_counter()
    items = history[["item_id", "site_id", "family"]].drop_duplicates()
    weekly = forecast_weekly(snaps, n_jobs).merge(items, on=["item_id", "site_id"],
                                                  how="left", validate="m:1")
    result.seconds["weekly"] = time.perf_counter() - t
    t = time.perf_counter()
    monthly = forecast_monthly(snaps, weekly, n_jobs)
    result.seconds["monthly"] = time.perf_counter() - t
    t = time.perf_counter()
    created_at = (now or datetime.now(timezone.utc)).replace(tzinfo=None, microsecond=0)
    weekly = reconcile.finish_bounds(weekly)
    _write(con, snaps, weekly, monthly, created_at)
    result.seconds["write"] = time.perf_counter() - t
    result.written = sorted(s.cutoff for s in snaps)
    result.weekly = weekly[weekly["cutoff"] == cutoff].reset_index(drop=True)
    result.monthly = monthly[monthly["cutoff"] == cutoff].reset_index(drop=True)
    result.series = _series_count(result.weekly)
    return result


def load_snapshot(con: duckdb.DuckDBPyConnection, cutoff: date
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weekly and monthly rows of one snapshot, as written."""
    weekly = con.execute("SELECT * FROM forecast.demand_forecast WHERE cutoff = ? "
                         "ORDER BY item_id, site_id, week", [cutoff]).df()
    monthly = con.execute("SELECT * FROM forecast.demand_forecast_monthly WHERE cutoff = ? "
                          "ORDER BY family, site_id, month", [cutoff]).df()
    return weekly, monthly


def _series_count(weekly: pd.DataFrame) -> int:
    return int(weekly[["item_id", "site_id"]].drop_duplicates().shape[0]) if len(weekly) else 0
