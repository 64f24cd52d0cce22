"""Demand classes: what kind of series this is decides which models may forecast it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._panel import calendar, prepare

DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "new", "dead")


@dataclass(frozen=True)
class Rules:
    """Thresholds of the classification.

    - ADI (average demand interval: periods per non-zero demand, counted from the first
      demand) and CV² (squared coefficient of variation of the non-zero demand sizes):
      Syntetos, Boylan & Croston (2005) cut-offs 1.32 and 0.49.
    - `min_history`: fewer periods than this since the first demand → `new` (too short to
      cross-validate; a window average is the honest forecast).
    - `dead_after`: at least this many trailing zero periods, and at least 3 × ADI of them
      (a part that sells twice a year is not dead after 6 silent months) → `dead`.
    """

    adi_threshold: float = 1.32
    cv2_threshold: float = 0.49
    min_history: int = 8
    dead_after: int = 26

    @classmethod
    def for_freq(cls, freq, season_length: int | None = None, **overrides) -> "Rules":
        m, per_year = calendar(freq)
        m = season_length or m
        defaults = dict(min_history=max(8, m // 2), dead_after=max(2, math.ceil(per_year / 2)))
        defaults.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**defaults)


def classify_values(y: np.ndarray, rules: Rules) -> tuple[str, int, dict]:
    """Class of one regular series, the index of its first demand, and the statistics."""
    nz = np.flatnonzero(y)
    if len(nz) == 0:
        return "dead", len(y), dict(n_obs=0, n_demands=0, adi=np.nan, cv2=np.nan,
                                   trailing_zeros=len(y))
    start = int(nz[0])
    n = len(y) - start
    sizes = y[nz]
    adi = n / len(nz)
    cv2 = float(np.var(sizes, ddof=1) / np.mean(sizes) ** 2) if len(nz) > 1 else 0.0
    trailing = len(y) - 1 - int(nz[-1])
    stats = dict(n_obs=n, n_demands=len(nz), adi=adi, cv2=cv2, trailing_zeros=trailing)
    if trailing >= rules.dead_after and trailing >= 3 * adi:
        return "dead", start, stats
    if n < rules.min_history:
        return "new", start, stats
    intermittent = adi >= rules.adi_threshold
    variable = cv2 >= rules.cv2_threshold
    cls = ("lumpy" if variable else "intermittent") if intermittent else (
        "erratic" if variable else "smooth")
    return cls, start, stats


def classify(history: pd.DataFrame, freq, *, season_length: int | None = None,
             adi_threshold: float = 1.32, cv2_threshold: float = 0.49,
             min_history: int | None = None, dead_after: int | None = None) -> pd.DataFrame:
    """One row per series: `unique_id, n_obs, n_demands, adi, cv2, trailing_zeros,
    demand_class` — the same classification `forecast()` uses to pick candidate models.

    Defaults follow the frequency: `new` below max(8, season/2) periods of history (26
    weeks), `dead` after half a year of zeros (26 weeks, 6 months, 2 quarters).
    """
    rules = Rules.for_freq(freq, season_length, adi_threshold=adi_threshold,
                           cv2_threshold=cv2_threshold, min_history=min_history,
                           dead_after=dead_after)
    panel = prepare(history, freq)
    rows = []
    for i in range(len(panel)):
        cls, _, stats = classify_values(panel.series(i), rules)
        rows.append({**stats, "demand_class": cls})
    out = pd.DataFrame(rows, columns=["n_obs", "n_demands", "adi", "cv2", "trailing_zeros",
                                      "demand_class"])
    out.insert(0, "unique_id", panel.ids)
    return out
