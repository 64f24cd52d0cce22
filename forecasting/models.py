"""Candidate models, per demand class, chosen for what they buy for their cost.

Each candidate is a statsforecast model or a cheap composition of one. Measured per fit
on this machine (docs/forecasting.md): seasonal naive, SES, Croston SBA, ADIDA, IMAPA,
TSB 0.03–0.1 ms; Fourier deseasonalising ~0.2 ms on top; Theta 2–9 ms; CES 4–11 ms;
AutoETS 6 ms non-seasonal, 13 ms with m = 52, 36–240 ms with the full seasonal search on
quarterly/monthly series; AutoARIMA 0.1–0.7 s. Weekly series therefore get their yearly
season from a Fourier fit, not from AutoETS or Theta with m = 52.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoCES,
    AutoETS,
    CrostonSBA,
    Naive,
    SeasonalNaive,
    SimpleExponentialSmoothingOptimized,
    Theta,
)

# Seasons up to this length are cheap enough for statsforecast's own seasonal models.
SHORT_SEASON = 12


def _fourier_fit(y: np.ndarray, h: int, m: int, harmonics: int):
    """Least-squares fit of level + slope + `harmonics` sine/cosine pairs of period m.
    Returns the design over the history and the horizon, and the coefficients."""
    n = len(y)
    t = np.arange(n + h, dtype=np.float64)
    cols = [np.ones(n + h), t / m]
    for k in range(1, harmonics + 1):
        w = 2.0 * np.pi * k * t / m
        cols += [np.sin(w), np.cos(w)]
    X = np.column_stack(cols)
    beta, *_ = np.linalg.lstsq(X[:n], y, rcond=None)
    return X, beta


class FourierSeasonal:
    """Remove a smooth yearly profile (a few Fourier harmonics fitted jointly with a linear
    trend), forecast what is left with `base`, add the profile back.

    Why: 2–3 years of weekly demand hold 2–3 observations per week of the year — too few
    for 52 free seasonal indices (seasonal naive copies the noise, Theta's classical
    decomposition rarely passes its own test) and AutoETS with m = 52 costs ~13 ms a
    series. Two harmonics are 4 parameters, fitted by least squares in microseconds.
    """

    def __init__(self, base, season_length: int, harmonics: int = 2):
        self.base = base
        self.season_length = season_length
        self.harmonics = harmonics

    def _harmonics(self, n: int) -> int:
        """No profile from less than 1.5 seasons of history: the model is then its base
        (SES, Theta) or a straight line, which still serves a recent launch."""
        return self.harmonics if n >= 1.5 * self.season_length else 0

    def forecast(self, y: np.ndarray, h: int, **_) -> dict:
        n = len(y)
        X, beta = _fourier_fit(y, h, self.season_length, self._harmonics(n))
        s = X[:, 2:] @ beta[2:]
        return {"mean": self.base.forecast(y=y - s[:n], h=h)["mean"] + s[n:]}


class SeasonalLinear(FourierSeasonal):
    """The regression itself — level + slope + yearly profile — extrapolated. The only
    cheap candidate that continues a trend in full (SES and Theta extrapolate none or
    half of it); cross-validation keeps it for the series where that holds up."""

    def __init__(self, season_length: int, harmonics: int = 2):
        super().__init__(None, season_length, harmonics)

    def forecast(self, y: np.ndarray, h: int, **_) -> dict:
        X, beta = _fourier_fit(y, h, self.season_length, self._harmonics(len(y)))
        return {"mean": X[len(y):] @ beta}


class WindowMean:
    """Mean of the last `window` points: the robust method for new items."""

    def __init__(self, window: int):
        self.window = window

    def forecast(self, y: np.ndarray, h: int, **_) -> dict:
        return {"mean": np.full(h, float(np.mean(y[-self.window:])))}


@dataclass(frozen=True)
class Candidate:
    """A model the selection may pick. `min_obs(m)` is the shortest training history it
    is tried on; `native` says whether statsforecast gives it prediction intervals."""

    name: str
    build: Callable[[int], object]
    native: bool = False
    min_obs: Callable[[int], int] = lambda m: 3
    members: tuple[str, ...] = field(default=())  # set for an ensemble (mean of members)


CANDIDATES: dict[str, Candidate] = {c.name: c for c in [
    Candidate("SeasonalNaive", lambda m: SeasonalNaive(season_length=m), native=True,
              min_obs=lambda m: m),
    Candidate("Naive", lambda m: Naive(), native=True, min_obs=lambda m: 1),
    Candidate("SES", lambda m: SimpleExponentialSmoothingOptimized()),
    Candidate("Theta", lambda m: Theta(season_length=m), native=True, min_obs=lambda m: 8),
    # CES's own intervals cost ~20x its fit; its intervals are conformal instead
    Candidate("CES", lambda m: AutoCES(season_length=m), min_obs=lambda m: 8),
    Candidate("AutoETS", lambda m: AutoETS(season_length=m), native=True,
              min_obs=lambda m: 8),
    Candidate("SeasonalSES", lambda m: FourierSeasonal(
        SimpleExponentialSmoothingOptimized(), m), min_obs=lambda m: 8),
    Candidate("SeasonalTheta", lambda m: FourierSeasonal(Theta(season_length=1), m),
              min_obs=lambda m: 8),
    Candidate("SeasonalLinear", lambda m: SeasonalLinear(m), min_obs=lambda m: 8),
    Candidate("CrostonSBA", lambda m: CrostonSBA()),
    Candidate("ADIDA", lambda m: ADIDA()),
    Candidate("IMAPA", lambda m: IMAPA()),
    Candidate("TSB", lambda m: TSB(alpha_d=0.1, alpha_p=0.1)),  # the usual fixed smoothing
    Candidate("Ensemble", lambda m: None, members=("Theta", "CES")),
    Candidate("SeasonalEnsemble", lambda m: None,
              members=("SES", "SeasonalSES", "SeasonalTheta")),
    Candidate("IntermittentEnsemble", lambda m: None,
              members=("CrostonSBA", "ADIDA", "IMAPA", "TSB")),
]}


def candidates_for(demand_class: str, season_length: int) -> tuple[str, ...]:
    """The candidate names tried for a class (measured choices, docs/forecasting.md).

    - intermittent / lumpy: the Croston family and their mean. Seasonal naive is the
      baseline of the backtest and the fallback, not a candidate: offered, even with the
      margin, it lowered accuracy (copying last year's zeros and spikes).
    - smooth / erratic, weekly-like seasons (m > 12): seasonal naive (baseline), SES, SES
      and Theta on Fourier-deseasonalised demand, the Fourier regression line, and the
      mean of the first three — all under 4 ms a fit.
    - smooth / erratic, m ≤ 12 (monthly, quarterly, daily): seasonal naive, Theta, CES
      and their mean. AutoETS bought < 1 % on M1/Tourism for ~20x the cost; ask for it
      with `candidates=`.
    """
    m = season_length
    if demand_class in ("intermittent", "lumpy"):
        return ("CrostonSBA", "ADIDA", "IMAPA", "TSB", "IntermittentEnsemble")
    if m == 1:
        return ("Naive", "SES", "Theta", "CES", "Ensemble")
    if m <= SHORT_SEASON:
        return ("SeasonalNaive", "Theta", "CES", "Ensemble")
    return ("SeasonalNaive", "SES", "SeasonalSES", "SeasonalTheta", "SeasonalLinear",
            "SeasonalEnsemble")


def build(name: str, season_length: int):
    return CANDIDATES[name].build(season_length)
