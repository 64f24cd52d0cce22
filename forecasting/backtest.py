"""backtest(): how good the forecast was on history we held back, next to seasonal naive
(forecast value added — what the models buy over copying last year)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ._panel import Panel, prepare
from .core import _fmt, forecast, forecast_panel, make_settings


def seasonal_naive(y: np.ndarray, h: int, m: int) -> np.ndarray:
    """Last season repeated (the last value when the history is shorter than a season)."""
    if m > 1 and len(y) >= m:
        return np.resize(y[-m:], h)
    return np.full(h, y[-1])


def mase_scale(y: np.ndarray, m: int) -> float:
    """In-sample MAE of the seasonal naive (naive when shorter than a season + 1)."""
    lag = m if len(y) > m else 1
    if len(y) <= lag:
        return np.nan
    return float(np.mean(np.abs(y[lag:] - y[:-lag])))


def _snaive_interval(y, point, m, levels):
    """Seasonal naive's own normal interval: σ of the seasonal differences, growing with
    the number of seasons ahead (like statsforecast's SeasonalNaive)."""
    lag = m if len(y) > m else 1
    d = y[lag:] - y[:-lag]
    sd = float(np.sqrt(np.mean(d * d))) if len(d) else 0.0
    k = np.floor(np.arange(len(point)) / lag) + 1
    z = norm.ppf(0.5 + np.asarray(levels) / 200.0)[:, None]
    width = z * sd * np.sqrt(k)[None, :]
    return np.maximum(point - width, 0), point + width


def _truncate(panel: Panel, holdout: int) -> tuple[Panel, np.ndarray]:
    """The panel without its last `holdout` periods (series too short are left out)."""
    lengths = np.diff(panel.indptr)
    keep = np.flatnonzero(lengths > holdout)
    parts = [panel.series(i)[:-holdout] for i in keep]
    indptr = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
    last = pd.DatetimeIndex([panel.last[i] - holdout * panel.offset for i in keep])
    return Panel(panel.ids[keep], np.concatenate(parts) if parts else np.empty(0), indptr,
                 panel.first[keep], last, panel.offset), keep


def _frame(panel: Panel) -> pd.DataFrame:
    """A panel back as a long frame (for the engines, which take frames)."""
    lengths = np.diff(panel.indptr)
    ds = [pd.date_range(f, periods=n, freq=panel.offset) for f, n in zip(panel.first, lengths)]
    return pd.DataFrame({"unique_id": np.repeat(panel.ids, lengths),
                         "ds": np.concatenate(ds), "y": panel.values})


def backtest(history: pd.DataFrame, horizon: int, freq, windows: int = 1, *,
             step: int | None = None, level=(80, 95), engine=None, n_jobs: int = -1,
             **forecast_kwargs) -> tuple[pd.DataFrame, dict]:
    """Rolling-origin backtest: for each of `windows` cutoffs (`step` periods apart,
    default `horizon`; the last one leaves exactly `horizon` periods), forecast from the
    history up to the cutoff and compare with what happened.

    Returns (per_series, overall). Metrics, each also for seasonal naive (`snaive_*`):
    WAPE Σ|F−A|/ΣA; MASE = MAE / in-sample MAE of the seasonal naive (mean over series
    and windows); bias Σ(F−A)/ΣA (positive = over-forecast); coverage of each interval
    level. `overall` adds the ratios to seasonal naive and the figures by demand class.
    """
    step = int(step or horizon)
    levels = tuple(float(l) for l in level)
    s = make_settings(horizon, freq, level=levels, **forecast_kwargs)
    m, h = s.season_length, s.h
    panel = prepare(history, freq)
    rows = []
    for w in range(windows):
        holdout = h + step * (windows - 1 - w)
        train, keep = _truncate(panel, holdout)
        if len(train) == 0:
            continue
        if engine is not None:
            fc = forecast(_frame(train), h, freq, level=levels, engine=engine,
                          **forecast_kwargs)
        else:
            fc = forecast_panel(train, s, n_jobs)
        point = fc["forecast"].to_numpy().reshape(len(train), h)
        lo = np.stack([fc[f"forecast_lo_{_fmt(l)}"].to_numpy().reshape(len(train), h)
                       for l in levels], axis=1)
        hi = np.stack([fc[f"forecast_hi_{_fmt(l)}"].to_numpy().reshape(len(train), h)
                       for l in levels], axis=1)
        models = fc["model"].to_numpy()[::h]
        classes = fc["demand_class"].to_numpy()[::h]
        for j, i in enumerate(keep):
            y = panel.series(i)
            cut = len(y) - holdout
            y_train, actual = y[:cut], y[cut:cut + h]
            sn = seasonal_naive(y_train, h, m)
            sn_lo, sn_hi = _snaive_interval(y_train, sn, m, levels)
            rows.append(_row(panel.ids[i], w, classes[j], models[j], actual, point[j], lo[j],
                             hi[j], sn, sn_lo, sn_hi, mase_scale(y_train, m), levels))
    per_window = pd.DataFrame(rows)
    return _per_series(per_window, levels), _overall(per_window, levels)


def _row(uid, window, cls, model, actual, f, lo, hi, sn, sn_lo, sn_hi, scale, levels):
    row = dict(unique_id=uid, window=window, demand_class=cls, model=model,
               actual=actual.sum(), scale=scale, n=len(actual),
               abs_err=np.abs(f - actual).sum(), err=(f - actual).sum(),
               sn_abs_err=np.abs(sn - actual).sum(), sn_err=(sn - actual).sum())
    for i, lev in enumerate(levels):
        row[f"hits_{_fmt(lev)}"] = ((actual >= lo[i]) & (actual <= hi[i])).sum()
        row[f"sn_hits_{_fmt(lev)}"] = ((actual >= sn_lo[i]) & (actual <= sn_hi[i])).sum()
    return row


def _metrics(g: pd.DataFrame, levels, prefix: str, sn: bool) -> dict:
    a = g["actual"].sum()
    e, ae = (g["sn_err"], g["sn_abs_err"]) if sn else (g["err"], g["abs_err"])
    mase = (ae / g["n"] / g["scale"]).replace([np.inf, -np.inf], np.nan)
    out = {f"{prefix}wape": ae.sum() / a if a > 0 else np.nan,
           f"{prefix}mase": mase.mean(),
           f"{prefix}bias": e.sum() / a if a > 0 else np.nan}
    for lev in levels:
        col = f"{'sn_' if sn else ''}hits_{_fmt(lev)}"
        out[f"{prefix}coverage_{_fmt(lev)}"] = g[col].sum() / g["n"].sum()
    return out


def _per_series(pw: pd.DataFrame, levels) -> pd.DataFrame:
    if pw.empty:
        return pw
    pw = pw.assign(mase=pw["abs_err"] / pw["n"] / pw["scale"],
                   sn_mase=pw["sn_abs_err"] / pw["n"] / pw["scale"])
    pw[["mase", "sn_mase"]] = pw[["mase", "sn_mase"]].replace([np.inf, -np.inf], np.nan)
    hits = [f"{p}hits_{_fmt(l)}" for l in levels for p in ("", "sn_")]
    g = pw.groupby("unique_id", sort=True)
    t = g[["actual", "abs_err", "err", "sn_abs_err", "sn_err", "n", *hits]].sum()
    actual = t["actual"].where(t["actual"] > 0)
    out = pd.DataFrame({"demand_class": g["demand_class"].last(), "model": g["model"].last(),
                        "windows": g.size(), "actual": t["actual"],
                        "wape": t["abs_err"] / actual, "mase": g["mase"].mean(),
                        "bias": t["err"] / actual})
    for lev in levels:
        out[f"coverage_{_fmt(lev)}"] = t[f"hits_{_fmt(lev)}"] / t["n"]
    out["snaive_wape"] = t["sn_abs_err"] / actual
    out["snaive_mase"] = g["sn_mase"].mean()
    out["snaive_bias"] = t["sn_err"] / actual
    for lev in levels:
        out[f"snaive_coverage_{_fmt(lev)}"] = t[f"sn_hits_{_fmt(lev)}"] / t["n"]
    return out.reset_index()


def _overall(pw: pd.DataFrame, levels) -> dict:
    if pw.empty:
        return {"n_series": 0}
    res = {"n_series": int(pw["unique_id"].nunique()), "windows": int(pw["window"].nunique()),
           **_metrics(pw, levels, "", False), **_metrics(pw, levels, "snaive_", True)}
    res["mase_ratio"] = res["mase"] / res["snaive_mase"]
    res["wape_ratio"] = res["wape"] / res["snaive_wape"]
    res["fva_wape_pts"] = 100 * (res["snaive_wape"] - res["wape"])
    res["by_class"] = {
        cls: {"n_series": int(g["unique_id"].nunique()), **_metrics(g, levels, "", False),
              **_metrics(g, levels, "snaive_", True),
              "models": g["model"].value_counts().to_dict()}
        for cls, g in pw.groupby("demand_class", sort=True)}
    return res
