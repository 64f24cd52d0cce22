"""forecast(): classify each series, pick its model by cross-validation, forecast with
intervals — one series at a time, so the same function runs on a laptop, in a process
pool or on a Dask cluster and gives the same numbers."""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from . import models as M
from ._panel import Panel, calendar, future_dates, prepare
from .classify import Rules, classify_values


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs, picklable."""

    h: int
    season_length: int
    levels: tuple[float, ...]
    rules: Rules
    cv_windows: int = 2
    cv_step: int | None = None
    metric: str = "mase"
    bias_limit: float = 0.5
    baseline_margin: float = 0.2
    ensemble_margin: float = 0.2
    intervals: str = "auto"
    nonnegative: bool = True
    candidates: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def candidates_for(self, demand_class: str) -> tuple[str, ...]:
        override = dict(self.candidates).get(demand_class)
        return tuple(override) if override else M.candidates_for(demand_class,
                                                                 self.season_length)


@dataclass
class Result:
    """Forecasts of a block of series: point (k, h), lo and hi (k, levels, h)."""

    point: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    model: np.ndarray
    demand_class: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence["Result"]) -> "Result":
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                     ("point", "lo", "hi", "model", "demand_class")))


# --- one series ---------------------------------------------------------------------------

def _fit(name: str, y: np.ndarray, h: int, s: Settings, level=None,
         members: Sequence[str] | None = None) -> dict | None:
    """Forecast with one named candidate; None when it fails or returns non-finite values.
    An ensemble is the mean of its members (of `members`, when given)."""
    cand = M.CANDIDATES[name]
    try:
        if cand.members:
            parts = [_fit(mem, y, h, s) for mem in (members or cand.members)]
            parts = [p["mean"] for p in parts if p is not None]
            if len(parts) < 2:
                return None
            return {"mean": np.mean(parts, axis=0)}
        model = cand.build(s.season_length)
        if level:
            out = model.forecast(y=y, h=h, level=[int(l) if float(l).is_integer() else l
                                                  for l in level])
        else:
            out = model.forecast(y=y, h=h)
    except Exception:  # a model that cannot fit this series is simply not a candidate
        return None
    return out if np.all(np.isfinite(out["mean"])) else None


def _cv_plan(n: int, s: Settings) -> tuple[int, list[int]]:
    """Horizon and training-window ends of the cross-validation for a series of length n.

    The CV horizon is the forecast horizon, shortened to a third of the history for short
    series; windows are half a horizon apart and dropped (down to one) while the first
    would train on less than half the history.
    """
    cv_h = min(s.h, max(1, n // 3))
    step = s.cv_step or max(1, (cv_h + 1) // 2)
    w = max(1, s.cv_windows)
    while w > 1 and n - cv_h - step * (w - 1) < n // 2:
        w -= 1
    return cv_h, [n - cv_h - step * (w - 1 - i) for i in range(w)]


def _cross_validate(y: np.ndarray, names: Sequence[str], s: Settings):
    """CV forecasts {name: (windows, cv_h)} of every candidate and ensemble member that
    could be fitted, the actuals, and the CV horizon."""
    cv_h, ends = _cv_plan(len(y), s)
    actual = np.stack([y[e:e + cv_h] for e in ends])
    base = []
    for name in names:
        for part in M.CANDIDATES[name].members or (name,):
            if part not in base:
                base.append(part)
    fc = {}
    for name in base:
        if ends[0] < M.CANDIDATES[name].min_obs(s.season_length):
            continue
        rows = [_fit(name, y[:e], cv_h, s) for e in ends]
        if all(r is not None for r in rows):
            fc[name] = np.stack([r["mean"] for r in rows])
    for name in names:
        members = M.CANDIDATES[name].members
        if members:
            got = [fc[p] for p in members if p in fc]
            if len(got) >= 2:
                fc[name] = np.mean(got, axis=0)
    if s.nonnegative:
        fc = {k: np.maximum(v, 0.0) for k, v in fc.items()}
    return fc, actual, cv_h


def _select(fc: dict, actual: np.ndarray, s: Settings) -> str | None:
    """The candidate with the lowest CV error — MAE, i.e. this series' MASE (or RMSE for
    `metric="rmsse"`) — among those whose CV bias Σ(F−A)/ΣA stays within ±bias_limit
    (a model forecasting zero for an intermittent item has bias −100 % and is out).

    Two priors, both measured (docs/forecasting.md): the class ensemble is kept unless a
    single model beats it by `ensemble_margin` (two CV windows are a noisy judge, and
    combinations are the robust choice when it cannot tell); seasonal naive, the
    baseline, wins only if it beats the chosen model by `baseline_margin`.
    """
    baseline = "SeasonalNaive" if s.season_length > 1 else "Naive"
    total = actual.sum()
    scored = {}
    for name, f in fc.items():
        e = f - actual
        score = np.sqrt(np.mean(e * e)) if s.metric == "rmsse" else np.mean(np.abs(e))
        biased = total > 0 and abs(e.sum() / total) > s.bias_limit
        scored[name] = (biased, score)
    if not scored:
        return None
    pool = {k: v[1] for k, v in scored.items() if not v[0]} or {
        k: v[1] for k, v in scored.items()}
    models = {k: v for k, v in pool.items() if k != baseline}
    if not models:
        return baseline if baseline in pool else None
    best = min(models, key=models.get)
    ensemble = next((k for k in models if M.CANDIDATES[k].members), None)
    if ensemble and models[best] > (1.0 - s.ensemble_margin) * models[ensemble]:
        best = ensemble
    if baseline in pool and pool[baseline] < (1.0 - s.baseline_margin) * models[best]:
        return baseline
    return best


def _conformal(point, actual, cv_fc, levels, cv_h):
    """Split-conformal interval from the CV errors of the chosen model, per series.

    The score is the absolute relative error |A − F| / max(F, ½ · mean F of its window):
    relative, so a level that moved since the CV windows (trend, launch) rescales the
    interval and the zeros of intermittent demand put the lower bound at zero; absolute
    (symmetric), so 2 windows × 13–26 steps give a usable 95 % rank. Ranks are corrected
    for the finite sample; beyond the CV horizon the interval widens by √(step / cv_h).
    Measured against signed scores it is the better calibrated (docs/forecasting.md).
    """
    h = len(point)
    lo = np.repeat(point[None, :], len(levels), axis=0)
    hi = lo.copy()
    level_cv = np.maximum(cv_fc.mean(axis=1, keepdims=True), 0.0)
    denom = np.maximum(cv_fc, 0.5 * level_cv)
    ok = denom > 0
    if not ok.any():
        return lo, hi
    r = np.sort(np.abs(actual - cv_fc)[ok] / denom[ok])
    n = len(r)
    scale = np.maximum(point, 0.5 * max(float(np.mean(point)), 0.0))
    if not np.any(scale > 0):  # a zero forecast: size the interval on the CV level
        scale = np.full(h, float(np.mean(denom[ok])))
    grow = np.maximum(1.0, np.sqrt(np.arange(1, h + 1) / max(cv_h, 1)))
    for i, lev in enumerate(levels):
        q = r[min(n, math.ceil((n + 1) * lev / 100.0)) - 1]
        lo[i] = point - q * scale * grow
        hi[i] = point + q * scale * grow
    return lo, hi


def _spread(point, y, levels):
    """Normal interval from the spread of the recent history (new items, last resorts)."""
    k = len(y)
    sd = float(np.std(y, ddof=1)) if k > 1 else 0.0
    if not np.isfinite(sd) or sd == 0.0:
        sd = abs(float(point[0])) if len(point) else 0.0
    z = norm.ppf(0.5 + np.asarray(levels) / 200.0)[:, None]
    width = z * sd * math.sqrt(1.0 + 1.0 / max(k, 1))
    return point[None, :] - width, point[None, :] + width


def forecast_series(y: np.ndarray, s: Settings):
    """(point, lo, hi, model, demand_class) for one regular series."""
    h, levels = s.h, s.levels
    cls, start, _ = classify_values(y, s.rules)
    if cls == "dead":
        zero = np.zeros(h)
        return zero, np.zeros((len(levels), h)), np.zeros((len(levels), h)), "Zero", cls
    y = y[start:]
    if cls == "new":
        window = min(len(y), max(4, s.season_length // 4))
        point = M.WindowMean(window).forecast(y=y, h=h)["mean"]
        lo, hi = _spread(point, y[-window:], levels)
        return point, lo, hi, "WindowAverage", cls

    names = s.candidates_for(cls)
    fc, actual, cv_h = _cross_validate(y, names, s)
    chosen = _select({k: fc[k] for k in names if k in fc}, actual, s)
    order = [chosen] if chosen else []
    order += [n for n in ("SeasonalNaive", "Naive") if n not in order]
    for name in order:
        if name == "SeasonalNaive" and len(y) < s.season_length:
            continue
        native = M.CANDIDATES[name].native and s.intervals == "auto" and len(levels) > 0
        members = [p for p in M.CANDIDATES[name].members if p in fc]
        out = _fit(name, y, h, s, level=levels if native else None, members=members)
        if out is None:
            continue
        point = out["mean"].astype(np.float64)
        if native and all(f"lo-{_fmt(l)}" in out for l in levels):
            lo = np.stack([out[f"lo-{_fmt(l)}"] for l in levels]).astype(np.float64)
            hi = np.stack([out[f"hi-{_fmt(l)}"] for l in levels]).astype(np.float64)
        elif name in fc:
            lo, hi = _conformal(point, actual, fc[name], levels, cv_h)
        else:
            lo, hi = _spread(point, y[-max(1, s.season_length):], levels)
        return point, lo, hi, name, cls
    point = np.full(h, float(np.mean(y[-max(1, s.season_length):])))
    lo, hi = _spread(point, y[-max(1, s.season_length):], levels)
    return point, lo, hi, "WindowAverage", cls


def _fmt(level: float) -> str:
    return str(int(level)) if float(level).is_integer() else str(level)


def _finish(point, lo, hi, s: Settings):
    """Never NaN; non-negative for demand; lo ≤ point ≤ hi; wider levels nest outside."""
    point = np.where(np.isfinite(point), point, 0.0)
    lo = np.where(np.isfinite(lo), lo, point[None, :])
    hi = np.where(np.isfinite(hi), hi, point[None, :])
    if s.nonnegative:
        point, lo, hi = np.maximum(point, 0), np.maximum(lo, 0), np.maximum(hi, 0)
    lo, hi = np.minimum(lo, point[None, :]), np.maximum(hi, point[None, :])
    order = np.argsort(s.levels)
    lo[order] = np.minimum.accumulate(lo[order], axis=0)
    hi[order] = np.maximum.accumulate(hi[order], axis=0)
    return point, lo, hi


def run_block(values: np.ndarray, indptr: np.ndarray, s: Settings) -> Result:
    """Forecast a block of series given end to end (the unit of work of every engine)."""
    k, L = len(indptr) - 1, len(s.levels)
    res = Result(np.empty((k, s.h)), np.empty((k, L, s.h)), np.empty((k, L, s.h)),
                 np.empty(k, dtype=object), np.empty(k, dtype=object))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for i in range(k):
            y = values[indptr[i]:indptr[i + 1]]
            point, lo, hi, model, cls = forecast_series(y, s)
            res.point[i], res.lo[i], res.hi[i] = _finish(point, lo, hi, s)
            res.model[i], res.demand_class[i] = model, cls
    return res


# --- engines --------------------------------------------------------------------------------

def _run_block_args(args):
    return run_block(*args)


def run_local(panel: Panel, s: Settings, n_jobs: int) -> Result:
    """In this process for small panels; otherwise a fork pool over contiguous blocks
    (several per worker, so a block of expensive series does not leave a core idle)."""
    k = len(panel)
    if n_jobs == 1 or k < 200:
        return run_block(panel.values, panel.indptr, s)
    blocks = np.array_split(np.arange(k), min(k, n_jobs * 8))
    args = []
    for idx in blocks:
        lo, hi = panel.indptr[idx[0]], panel.indptr[idx[-1] + 1]
        args.append((panel.values[lo:hi], panel.indptr[idx[0]:idx[-1] + 2] - lo, s))
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(n_jobs, mp_context=ctx) as pool:
        return Result.concat(list(pool.map(_run_block_args, args)))


def _columns(levels) -> list[str]:
    cols = ["unique_id", "ds", "forecast"]
    for lev in levels:
        cols += [f"forecast_lo_{_fmt(lev)}", f"forecast_hi_{_fmt(lev)}"]
    return cols + ["model", "demand_class"]


def assemble(panel: Panel, res: Result, s: Settings) -> pd.DataFrame:
    h = s.h
    data = {"unique_id": np.repeat(panel.ids, h),
            "ds": future_dates(panel.last, h, panel.offset),
            "forecast": res.point.ravel()}
    for i, lev in enumerate(s.levels):
        data[f"forecast_lo_{_fmt(lev)}"] = res.lo[:, i, :].ravel()
        data[f"forecast_hi_{_fmt(lev)}"] = res.hi[:, i, :].ravel()
    data["model"] = np.repeat(res.model, h)
    data["demand_class"] = np.repeat(res.demand_class, h)
    return pd.DataFrame(data, columns=_columns(s.levels))


def _engine_transform(df: pd.DataFrame, freq: str, settings: Settings) -> pd.DataFrame:
    """The Fugue transformer: one partition of series in, their forecasts out."""
    panel = prepare(df.drop(columns=["_part"]), freq)
    out = assemble(panel, run_block(panel.values, panel.indptr, settings), settings)
    out["unique_id"] = out["unique_id"].astype(str)
    return out


def _engine_partitions(engine) -> int:
    nthreads = getattr(engine, "nthreads", None)
    if callable(nthreads):
        try:
            return max(2, 4 * sum(nthreads().values()))
        except Exception:
            pass
    return 8


def run_engine(history, freq, s: Settings, engine) -> pd.DataFrame | object:
    """Scale-out through Fugue (statsforecast's distributed backend): each partition of
    series runs `run_block`, so results equal the local ones. A pandas `history` comes back
    as pandas; a Dask frame comes back as the engine's frame."""
    from fugue import transform

    parts = _engine_partitions(engine)
    local = isinstance(history, pd.DataFrame)

    def bucket(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[["unique_id", "ds", "y"]].copy()
        frame["unique_id"] = frame["unique_id"].astype(str)
        frame["ds"] = pd.to_datetime(frame["ds"])
        frame["_part"] = (pd.util.hash_pandas_object(frame["unique_id"], index=False)
                          .to_numpy() % parts).astype(np.int64)
        return frame

    df = bucket(history) if local else history.map_partitions(bucket)
    schema = ("unique_id:str,ds:datetime,forecast:double,"
              + ",".join(f"{c}:double" for c in _columns(s.levels)[3:-2])
              + ",model:str,demand_class:str")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # dask's groupby-apply notice
        out = transform(df, _engine_transform, schema=schema,
                        params={"freq": freq, "settings": s},
                        partition={"by": ["_part"]}, engine=engine, as_local=local)
    if not local:
        return out
    # back to the dtypes of a local run (Fugue hands back nullable / Arrow-backed ones)
    original = {str(v): v for v in pd.unique(history["unique_id"])}
    out["unique_id"] = out["unique_id"].astype(object).map(original)
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    floats = _columns(s.levels)[2:-2]
    out[floats] = out[floats].astype(np.float64)
    out[["model", "demand_class"]] = out[["model", "demand_class"]].astype(object)
    out = out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    return out[_columns(s.levels)]


# --- the API -------------------------------------------------------------------------------

def forecast(history: pd.DataFrame, horizon: int, freq, *,
             level: Sequence[float] = (80, 95),
             season_length: int | None = None,
             engine=None,
             n_jobs: int = -1,
             cv_windows: int = 2,
             cv_step: int | None = None,
             metric: str = "mase",
             bias_limit: float = 0.5,
             baseline_margin: float = 0.2,
             ensemble_margin: float = 0.2,
             intervals: str = "auto",
             nonnegative: bool = True,
             candidates: Mapping[str, Sequence[str]] | None = None,
             adi_threshold: float = 1.32,
             cv2_threshold: float = 0.49,
             min_history: int | None = None,
             dead_after: int | None = None) -> pd.DataFrame:
    """Forecast every series of a `unique_id, ds, y` panel `horizon` periods ahead.

    Returns one row per (unique_id, ds): `forecast`, `forecast_lo_<l>` / `forecast_hi_<l>`
    for each level, the `model` chosen for the series and its `demand_class`.

    Each series is classified (smooth, erratic, intermittent, lumpy, new, dead); dead
    items get zero, new items a window average, the others the candidate of their class
    with the lowest error over `cv_windows` rolling-origin windows (bias-checked; the
    class ensemble stays unless beaten by `ensemble_margin`, seasonal naive must win by
    `baseline_margin` — two CV windows are a noisy judge).
    Intervals are the model's own where statsforecast has them (`intervals="auto"`), else
    conformal from the CV errors (`intervals="conformal"` uses conformal for every model).

    `freq` is a pandas frequency the dates sit on ('W-MON', 'MS', 'QS', 'D', ...); the
    season length follows from it (52, 12, 4, 7) unless given. Missing periods count as
    zero demand. `engine` takes a Dask `distributed.Client` (or any Fugue engine) to
    spread the series over a cluster; `n_jobs` is the local process count (-1: all cores).
    `candidates` overrides the model list of a class, e.g. {"smooth": ["SES", "Theta"]}.
    """
    s = make_settings(horizon, freq, level=level, season_length=season_length,
                      cv_windows=cv_windows, cv_step=cv_step, metric=metric,
                      bias_limit=bias_limit, baseline_margin=baseline_margin,
                      ensemble_margin=ensemble_margin, intervals=intervals,
                      nonnegative=nonnegative, candidates=candidates,
                      adi_threshold=adi_threshold, cv2_threshold=cv2_threshold,
                      min_history=min_history, dead_after=dead_after)
    if engine is not None:
        return run_engine(history, freq, s, engine)
    return forecast_panel(prepare(history, freq), s, n_jobs)


def forecast_panel(panel: Panel, s: Settings, n_jobs: int = -1) -> pd.DataFrame:
    jobs = (os.cpu_count() or 1) if n_jobs in (-1, None) else max(1, int(n_jobs))
    return assemble(panel, run_local(panel, s, jobs), s)


def make_settings(horizon, freq, *, level=(80, 95), season_length=None, cv_windows=2,
                  cv_step=None, metric="mase", bias_limit=0.5, baseline_margin=0.2,
                  ensemble_margin=0.2, intervals="auto",
                  nonnegative=True, candidates=None, adi_threshold=1.32,
                  cv2_threshold=0.49, min_history=None, dead_after=None) -> Settings:
    if int(horizon) < 1:
        raise ValueError("horizon must be a positive number of periods")
    if metric not in ("mase", "rmsse"):
        raise ValueError("metric must be 'mase' or 'rmsse'")
    if intervals not in ("auto", "conformal"):
        raise ValueError("intervals must be 'auto' or 'conformal'")
    levels = tuple(float(l) for l in level)
    if any(not 0 < l < 100 for l in levels):
        raise ValueError("levels are percentages between 0 and 100")
    if candidates:
        unknown = {n for names in candidates.values() for n in names} - set(M.CANDIDATES)
        if unknown:
            raise ValueError(f"unknown candidate models {sorted(unknown)}; "
                             f"choose from {sorted(M.CANDIDATES)}")
    m = int(season_length or calendar(freq)[0])
    return Settings(h=int(horizon), season_length=m, levels=levels,
                    rules=Rules.for_freq(freq, m, adi_threshold=adi_threshold,
                                         cv2_threshold=cv2_threshold,
                                         min_history=min_history, dead_after=dead_after),
                    cv_windows=cv_windows, cv_step=cv_step, metric=metric,
                    bias_limit=bias_limit, baseline_margin=baseline_margin,
                    ensemble_margin=ensemble_margin, intervals=intervals,
                    nonnegative=nonnegative,
                    candidates=tuple((k, tuple(v)) for k, v in (candidates or {}).items()))
