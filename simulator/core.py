"""Shared machinery: the simulation clock, seeded random streams, vectorised helpers and
the versioned tables every extract is written from.

Dates are int day numbers (days since 1970-01-01) in numpy arrays; NEVER marks an event
that does not happen. Timestamps are int seconds since the epoch (UTC).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import EXTRACTS
from .tiers import Tier

NEVER = 2**31 - 2           # int day: the event never happens
EPOCH = date(1970, 1, 1)
DAY_S = 86_400


def day_of(d: date) -> int:
    return (d - EPOCH).days


def date_of(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday … 6 = Sunday (1970-01-01 was a Thursday)."""
    return (np.asarray(days) + 3) % 7


def month_start(days: np.ndarray) -> np.ndarray:
    """Day number of the first day of each day's month."""
    d = np.asarray(days).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


class Ctx:
    """The clock and the random streams of one generation run (of one block).

    `start` is the first day of history, `cutoff` the extraction day of the history
    delivery, `end` the as-of date (the last simulated day). Everything that shapes the
    company (master data, demand rates, calibration) depends on `start` and the tier's
    nominal history only, never on `end`: a run to a later end reproduces every day of a
    shorter run exactly (what `append` relies on)."""

    def __init__(self, tier: Tier, seed: int, start: int, cutoff: int, end: int, block: int = 0):
        self.tier, self.seed = tier, int(seed)
        self.start, self.cutoff, self.end = int(start), int(cutoff), int(end)
        self.nominal_end = self.start + tier.history_days - 1
        self.T = self.end - self.start + 1               # simulated days
        self.block = int(block)

    @classmethod
    def for_end(cls, tier: Tier, seed: int, end_date: date, delta_days: int) -> "Ctx":
        end = day_of(end_date)
        return cls(tier, seed, end - tier.history_days + 1, end - delta_days, end)

    def for_block(self, block: int) -> "Ctx":
        return Ctx(self.tier, self.seed, self.start, self.cutoff, self.end, block)

    @property
    def multi_block(self) -> bool:
        return self.tier.blocks > 1

    def rng(self, name: str) -> np.random.Generator:
        """An independent stream per component (and block), so adding one never shifts
        another. A stream is either consumed day by day inside the daily loop or used
        for ONE vectorised draw over records in chronological order (prefix-stable)."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode()), self.block])

    def u(self, name: str, *keys) -> np.ndarray:
        """Counter-based uniforms in [0, 1): a hash of (seed, block, name, keys). The same
        record always gets the same number, whatever else is drawn (prefix-stable)."""
        return hash_uniform(self.seed * 1_000_003 + self.block, name, *keys)

    def ids(self, prefix: str, nums: np.ndarray, width: int) -> pa.Array:
        """Document ids; with several blocks the block number follows the prefix, so ids
        of different blocks never collide (PO-030000012 = block 3, PO 12)."""
        if self.multi_block:
            prefix = f"{prefix}{self.block:02d}"
        return ids(prefix, nums, width)


# --- counter-based random numbers ---------------------------------------------------------

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash_uniform(seed: int, name: str, *keys) -> np.ndarray:
    n = max((np.size(k) for k in keys), default=1)
    h = np.full(n, (int(seed) * 0x100000001B3 + zlib.crc32(name.encode())) & 0xFFFFFFFFFFFFFFFF,
                np.uint64)
    h = _mix(h)
    for k in keys:
        k = np.broadcast_to(np.asarray(k, np.int64), (n,)).astype(np.uint64)
        h = _mix(h ^ k)
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


# --- vectorised helpers -----------------------------------------------------------------

def group_ids(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Group rows by the keys (first key most significant). Returns the group number of
    each row (groups numbered in key order), its rank inside the group (in row order)
    and the number of groups."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    order = np.lexsort(keys[::-1])
    change = np.zeros(n, bool)
    change[0] = True
    for k in keys:
        ks = k[order]
        change[1:] |= ks[1:] != ks[:-1]
    gid_sorted = np.cumsum(change) - 1
    starts = np.nonzero(change)[0]
    rank_sorted = np.arange(n) - starts[gid_sorted]
    gid = np.empty(n, np.int64)
    rank = np.empty(n, np.int64)
    gid[order] = gid_sorted
    rank[order] = rank_sorted
    return gid, rank, int(gid_sorted[-1]) + 1


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per parent: (parent index, position within parent) of every child."""
    counts = np.asarray(counts, np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    offsets = np.cumsum(counts) - counts
    pos = np.arange(len(parent)) - offsets[parent]
    return parent, pos


def geometric_days(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Whole days >= 1 with the given mean (geometric)."""
    mean = np.maximum(np.asarray(mean, float), 1.0)
    return rng.geometric(1.0 / mean)


def money(qty: np.ndarray, price: np.ndarray) -> np.ndarray:
    """qty × price rounded to cents half away from zero, exactly as DECIMAL arithmetic
    does it (both factors have at most 4 decimals)."""
    q = np.round(np.asarray(qty, float) * 10_000).astype(np.int64)
    p = np.round(np.asarray(price, float) * 10_000).astype(np.int64)
    if len(q) and (np.abs(q.astype(float) * p.astype(float)) >= 2.0**62).any():
        raise OverflowError("amount too large for exact cents")
    prod = q * p                                   # units of 1e-8
    cents = (np.abs(prod) + 500_000) // 1_000_000 * np.sign(prod)
    return cents / 100.0


def round_up(qty: np.ndarray, lot: np.ndarray) -> np.ndarray:
    return np.ceil(np.round(qty / lot, 9)) * lot


def periodic(req: np.ndarray, period: np.ndarray, phase: np.ndarray,
             lot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Periodic review replenishment of daily requirements req[series, day]: every
    `period` days from `phase` an order covers the requirement of the next period, sized
    so that the cumulative quantity ordered is the cumulative requirement rounded up to
    the lot (no drift). Returns (series, first day covered, qty) of the non-zero orders."""
    S, T = req.shape
    if S == 0:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    cum = np.concatenate([np.zeros((S, 1)), np.cumsum(req, axis=1)], axis=1)
    n_per = np.maximum((T - phase + period - 1) // period, 0)
    s, j = expand(n_per)
    t0 = phase[s] + j * period[s]
    t1 = np.minimum(t0 + period[s], T)
    covered = round_up(cum[s, t1], lot[s])
    first = j == 0
    before = np.where(first, 0.0, np.roll(covered, 1))
    before[first] = round_up(cum[s[first], t0[first]], lot[s[first]])
    qty = np.round(covered - before, 4)
    keep = qty > 0
    return s[keep], t0[keep], qty[keep]


def daily(series: np.ndarray, t: np.ndarray, qty: np.ndarray, S: int, T: int) -> np.ndarray:
    """Sum qty into a [series, day] matrix; days outside [0, T) are dropped."""
    ok = (t >= 0) & (t < T)
    flat = np.bincount(series[ok] * T + t[ok], weights=qty[ok], minlength=S * T)
    return flat.reshape(S, T)


def pick(rng: np.random.Generator, group: np.ndarray, weights: np.ndarray,
         member_group: np.ndarray) -> np.ndarray:
    """For each row of `group`, draw one member whose member_group equals it, with
    probability proportional to weights. Members must be sorted by member_group and every
    requested group must have members."""
    n_groups = int(member_group.max()) + 1
    tot = np.bincount(member_group, weights=weights, minlength=n_groups)
    cum = np.cumsum(weights) - np.repeat(np.cumsum(tot) - tot, np.bincount(
        member_group, minlength=n_groups))
    norm = member_group + np.minimum(cum / tot[member_group], 1.0)
    u = rng.random(len(group))
    idx = np.searchsorted(norm, group + u * (1 - 1e-12), side="left")
    return np.minimum(idx, len(weights) - 1)


def allocate(series: np.ndarray, want: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """Fill requests from stock, first come first served within each series: rows are
    in priority order; returns the quantity each row gets (0 … want)."""
    n = len(series)
    if n == 0:
        return np.zeros(0)
    o = np.argsort(series, kind="stable")
    s, w = series[o], want[o]
    cum = np.cumsum(w)
    first = np.ones(n, bool)
    first[1:] = s[1:] != s[:-1]
    base = np.maximum.accumulate(np.where(first, cum - w, 0.0))
    before = cum - w - base
    got = np.clip(np.round(stock[s] - before, 4), 0.0, w)
    out = np.empty(n)
    out[o] = got
    return out


def nice(x: np.ndarray) -> np.ndarray:
    """Round down to 1, 2 or 5 times a power of ten (at least 1)."""
    x = np.maximum(np.asarray(x, float), 1.0)
    p = 10.0 ** np.floor(np.log10(x))
    m = x / p
    return np.where(m >= 5, 5, np.where(m >= 2, 2, 1)) * p


def u_int(u: np.ndarray, lo, hi) -> np.ndarray:
    """Integers in [lo, hi) from uniforms."""
    lo = np.asarray(lo)
    return (lo + np.floor(u * (np.asarray(hi) - lo))).astype(np.int64)


class Log:
    """A growable table of numpy columns: rows are appended day by day; columns are
    read (and updated in place) through attribute views of the filled part."""

    def __init__(self, **dtypes):
        self.__dict__["_cols"] = {k: np.zeros(64, dt) for k, dt in dtypes.items()}
        self.__dict__["n"] = 0

    def add(self, **values) -> np.ndarray:
        sizes = [len(v) for v in values.values() if isinstance(v, np.ndarray) and v.ndim]
        k = max(sizes) if sizes else 1
        cols = self._cols
        if self.n + k > len(next(iter(cols.values()))):
            cap = max(2 * (self.n + k), 64)
            for name, col in cols.items():
                grown = np.zeros(cap, col.dtype)
                grown[:self.n] = col[:self.n]
                cols[name] = grown
        for name, col in cols.items():
            if name in values:
                col[self.n:self.n + k] = values[name]
            elif col.dtype.kind in "iu":
                col[self.n:self.n + k] = NEVER if col.dtype.itemsize == 8 else 0
            else:
                col[self.n:self.n + k] = 0
        rows = np.arange(self.n, self.n + k)
        self.__dict__["n"] = self.n + k
        return rows

    def __getattr__(self, name):
        try:
            return self._cols[name][:self.n]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self._cols[name][:self.n] = value

    def __len__(self) -> int:
        return self.n


class Cal:
    """A calendar of future events: day -> row numbers, in the order they were added."""

    def __init__(self):
        self.days: dict[int, list[np.ndarray]] = {}

    def add(self, days: np.ndarray, rows: np.ndarray) -> None:
        days = np.asarray(days, np.int64)
        rows = np.asarray(rows, np.int64)
        if not len(rows):
            return
        keep = days < NEVER
        days, rows = days[keep], rows[keep]
        o = np.argsort(days, kind="stable")
        days, rows = days[o], rows[o]
        cuts = np.flatnonzero(np.diff(days)) + 1
        for d, part in zip(days[np.r_[0, cuts]] if len(days) else [], np.split(rows, cuts)):
            self.days.setdefault(int(d), []).append(part)

    def pop(self, day: int) -> np.ndarray:
        parts = self.days.pop(int(day), None)
        if not parts:
            return np.zeros(0, np.int64)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


# --- Arrow columns ----------------------------------------------------------------------

def ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    """prefix + zero-padded number; a negative number gives null."""
    nums = np.asarray(nums, np.int64)
    txt = pc.utf8_lpad(pc.cast(pa.array(nums), pa.string()), width=width, padding="0")
    out = pc.binary_join_element_wise(prefix, txt, "")
    if (nums < 0).any():
        out = pc.if_else(pa.array(nums < 0), pa.scalar(None, pa.string()), out)
    return out


def nums_text(nums: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(nums, np.int64)), pa.string())


def labels(values, codes: np.ndarray) -> pa.Array:
    """Text from a label list and int codes (-1 = null)."""
    codes = np.asarray(codes, np.int64)
    dictionary = pa.array(list(values), pa.string())
    if (codes < 0).any():
        return dictionary.take(pa.array(codes, mask=codes < 0))
    return dictionary.take(pa.array(codes))


def text(values) -> pa.Array:
    return pa.array(values, pa.string())


def dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, np.int64)
    return pa.array(days.astype(np.int32), pa.date32(), mask=days >= NEVER)


def stamps(secs: np.ndarray) -> pa.Array:
    secs = np.asarray(secs, np.int64)
    return pa.array(secs, pa.timestamp("s", tz="UTC"), mask=secs >= NEVER * DAY_S)


def decimals(x: np.ndarray, places: int = 4) -> pa.Array:
    x = np.round(np.asarray(x, float), places) + 0.0     # + 0.0 turns -0.0 into 0.0
    return pa.array(x, pa.float64(), mask=np.isnan(x))


def integers(x: np.ndarray) -> pa.Array:
    x = np.asarray(x, float)
    return pa.array(np.nan_to_num(x).astype(np.int64), pa.int64(), mask=np.isnan(x))


def booleans(x: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(x, bool), pa.bool_())


def const(value, n: int, typ=pa.string()) -> pa.Array:
    return pa.array([value] * n, typ) if n < 64 else pa.repeat(pa.scalar(value, typ), n)


# --- versioned tables -------------------------------------------------------------------

@dataclass
class Stage:
    """A change of a record on `day` (per row; NEVER = this row has no such change).
    `before` gives the values the columns held before that day."""
    day: np.ndarray
    before: dict


@dataclass
class DeltaTable:
    """A transaction extract: the final values of every record (events after the as-of
    date included: they are censored when written), the day each record appears and its
    later changes."""
    extract: str
    cols: dict[str, pa.Array]
    created: np.ndarray
    stages: list[Stage] = field(default_factory=list)

    def __post_init__(self):
        names = [c for c, _ in EXTRACTS[self.extract].columns]
        missing = [c for c in names if c not in self.cols]
        if missing:
            raise ValueError(f"{self.extract}: missing columns {missing}")
        deleted = self.cols.get("is_deleted")
        self.cols = {c: self.cols[c] for c in names}
        self.cols["is_deleted"] = deleted if deleted is not None else \
            const(False, len(self.created), pa.bool_())
        self.created = np.asarray(self.created, np.int64)
        n = len(self.created)
        for c, a in self.cols.items():
            if len(a) != n:
                raise ValueError(f"{self.extract}.{c}: {len(a)} values for {n} rows")

    def __len__(self) -> int:
        return len(self.created)

    def _state(self, rows: np.ndarray, d: int) -> dict[str, pa.Array]:
        idx = pa.array(rows)
        out = {c: a.take(idx) for c, a in self.cols.items()}
        for stage in reversed(self.stages):
            sd = stage.day[rows]
            m = (sd > d) & (sd < NEVER)
            if not m.any():
                continue
            mask = pa.array(m)
            for c, v in stage.before.items():
                col = out[c]
                if isinstance(v, pa.Array):
                    v = v.take(idx)
                    out[c] = pc.if_else(mask, v, col)
                else:
                    out[c] = pc.if_else(mask, pa.scalar(v, col.type), col)
        return out

    def as_of(self, d: int, drop_deleted: bool = True) -> pa.Table:
        """Every record as it stood at the end of day d (a full extract of that day)."""
        rows = np.nonzero(self.created <= d)[0]
        state = self._state(rows, d)
        table = pa.table(state)
        if drop_deleted:
            table = table.filter(pc.invert(table["is_deleted"]))
        return table

    def as_of_chunks(self, d: int, size: int = 500_000):
        """as_of(d) in slices of at most `size` rows (bounded memory for big tables)."""
        rows = np.nonzero(self.created <= d)[0]
        for i in range(0, max(len(rows), 1), size):
            table = pa.table(self._state(rows[i:i + size], d))
            yield table.filter(pc.invert(table["is_deleted"]))

    def changed_on(self, d: int) -> pa.Table:
        """The records created or changed on day d, with their values of that day."""
        m = self.created == d
        for stage in self.stages:
            m |= stage.day == d
        rows = np.nonzero(m & (self.created <= d))[0]
        return pa.table(self._state(rows, d))


@dataclass
class SnapshotTable:
    """A master-data extract: the full table at the history cut-off and at the as-of."""
    extract: str
    at_cutoff: pa.Table
    at_end: pa.Table
