"""A long `unique_id, ds, y` frame as one regular array per series (gaps filled with 0)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

# Season length and periods per year by the base of a pandas frequency alias.
_CALENDAR = {
    "D": (7, 365), "B": (5, 260), "C": (5, 260),
    "W": (52, 52),
    "M": (12, 12), "ME": (12, 12), "MS": (12, 12), "BM": (12, 12), "BME": (12, 12),
    "BMS": (12, 12), "SM": (24, 24), "SME": (24, 24), "SMS": (24, 24),
    "Q": (4, 4), "QE": (4, 4), "QS": (4, 4), "BQ": (4, 4), "BQE": (4, 4), "BQS": (4, 4),
    "Y": (1, 1), "YE": (1, 1), "YS": (1, 1), "A": (1, 1), "AS": (1, 1), "BA": (1, 1),
    "BY": (1, 1), "BYE": (1, 1), "BYS": (1, 1),
    "h": (24, 8760), "H": (24, 8760), "bh": (8, 2080), "BH": (8, 2080),
}


def offset_of(freq) -> pd.DateOffset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # 'M'/'Q' are deprecated aliases
        return to_offset(freq)


def calendar(freq) -> tuple[int, int]:
    """(season length, periods per year) for a pandas frequency: W → (52, 52),
    M/MS → (12, 12), Q/QS → (4, 4), D → (7, 365). Unknown → (1, 1)."""
    off = offset_of(freq)
    base = off.rule_code.split("-")[0]
    season, per_year = _CALENDAR.get(base, (1, 1))
    n = max(int(getattr(off, "n", 1)), 1)
    season = season // n if season % n == 0 else 1
    return max(season, 1), max(per_year // n, 1)


@dataclass
class Panel:
    ids: np.ndarray          # one per series, sorted
    values: np.ndarray       # float64, all series end to end, regular, gaps = 0
    indptr: np.ndarray       # series i is values[indptr[i]:indptr[i + 1]]
    first: pd.DatetimeIndex  # first period of each series
    last: pd.DatetimeIndex   # last period of each series
    offset: pd.DateOffset

    def __len__(self) -> int:
        return len(self.ids)

    def series(self, i: int) -> np.ndarray:
        return self.values[self.indptr[i]:self.indptr[i + 1]]


def prepare(history: pd.DataFrame, freq) -> Panel:
    """Validate the panel and regularise it: every series runs from its first to its last
    period without holes; a missing period or a missing y is no demand (0)."""
    missing = {"unique_id", "ds", "y"} - set(history.columns)
    if missing:
        raise ValueError(f"history needs columns unique_id, ds, y; missing {sorted(missing)}")
    offset = offset_of(freq)
    if len(history) == 0:
        return Panel(np.array([], dtype=object), np.empty(0), np.zeros(1, dtype=np.int64),
                     pd.DatetimeIndex([]), pd.DatetimeIndex([]), offset)
    ds = pd.DatetimeIndex(pd.to_datetime(history["ds"].to_numpy()))
    if ds.hasnans:
        raise ValueError("ds has missing dates")
    y = pd.to_numeric(history["y"], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    codes, ids = pd.factorize(history["unique_id"], sort=True)
    if (codes < 0).any():
        raise ValueError("unique_id has missing values")

    grid = pd.date_range(ds.min(), ds.max(), freq=offset)
    pos = grid.searchsorted(ds)
    bad = (pos >= len(grid)) | (grid[np.minimum(pos, len(grid) - 1)] != ds)
    if bad.any():
        example = ", ".join(str(d.date()) for d in ds[bad][:3])
        raise ValueError(
            f"ds values are not on the {offset.freqstr!r} calendar (e.g. {example}); pass the "
            "frequency the dates follow, e.g. 'W-MON' for weeks dated on Mondays, 'MS' for "
            "months dated on the 1st, 'QS' for quarters dated on their first day")

    order = np.lexsort((pos, codes))
    codes, pos, y = codes[order], pos[order], y[order]
    if len(pos) > 1 and ((np.diff(codes) == 0) & (np.diff(pos) == 0)).any():
        dup = ids[codes[1:][(np.diff(codes) == 0) & (np.diff(pos) == 0)][0]]
        raise ValueError(f"duplicate (unique_id, ds) rows, e.g. for {dup!r}; aggregate first")
    y = np.nan_to_num(y, nan=0.0)

    n_series = len(ids)
    counts = np.bincount(codes, minlength=n_series)
    starts = np.concatenate([[0], np.cumsum(counts)])
    first_pos = pos[starts[:-1]]
    last_pos = pos[starts[1:] - 1]
    lengths = last_pos - first_pos + 1
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if np.array_equal(lengths, counts):
        values = y
    else:
        values = np.zeros(indptr[-1])
        values[indptr[codes] + pos - first_pos[codes]] = y
    return Panel(np.asarray(ids), values, indptr, grid[first_pos], grid[last_pos], offset)


def future_dates(last: pd.DatetimeIndex, h: int, offset) -> np.ndarray:
    """The h periods after each series' last period, series after series."""
    out = np.empty((len(last), h), dtype="datetime64[ns]")
    uniq, inverse = np.unique(last.values, return_inverse=True)
    for j, d in enumerate(uniq):
        out[inverse == j] = pd.date_range(pd.Timestamp(d), periods=h + 1, freq=offset)[1:].values
    return out.ravel()
