"""The performance spec as data, and its evaluation against a results dict (pure).

Each target reads one figure from the results (None when that part did not run) and
compares it with its limit (a number, or a number computed from other figures, as for
the dbt steps' own elapsed time). A target that applies to other tiers only is still
listed, with met = None and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

GiB = 2**30


def dig(results: dict, *path, default=None):
    """results[path[0]][path[1]]... or `default` when any step is missing/None."""
    cur: Any = results
    for key in path:
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        elif isinstance(cur, list) and isinstance(key, int) and -len(cur) <= key < len(cur):
            cur = cur[key]
        else:
            return default
        if cur is None:
            return default
    return cur


@dataclass(frozen=True)
class Target:
    name: str
    target: str                                   # the spec's wording
    value: Callable[[dict], float | None]
    limit: Callable[[dict], float | None]
    unit: str = "s"
    tiers: tuple[str, ...] | None = None          # None: every tier
    bool_target: bool = False                     # value is True/False (met = value)


def _ratio(a, b):
    return None if a is None or not b else a / b


def dbt_step_targets(results: dict) -> list[Target]:
    """One overhead target per dbt step of the full build (a multi-asset Dagster splits
    into two steps is two dbt invocations, each with its own target folder)."""
    out = []
    for step in sorted(dig(results, "dbt", "steps", default={})):
        out.append(Target(
            f"orchestration overhead: {step} wall vs dbt's own elapsed",
            "≤ 1.15 × dbt elapsed + 3 s",
            value=lambda r, s=step: dig(r, "dbt", "steps", s, "dagster_step_s"),
            limit=lambda r, s=step: (None if dig(r, "dbt", "steps", s, "dbt_elapsed_s") is None
                                     else 1.15 * dig(r, "dbt", "steps", s, "dbt_elapsed_s") + 3)))
    return out


TARGETS: list[Target] = [
    Target("make run, demo, after set-up (generate + full build)", "≤ 90 s",
           value=lambda r: dig(r, "make_run_s"), limit=lambda r: 90, tiers=("demo",)),
    Target("Dagster definitions load (fresh process, median)", "≤ 5 s",
           value=lambda r: dig(r, "defs_load", "median_s"), limit=lambda r: 5),
    Target("ingest with contract checks vs bare DuckDB", "≤ 1.5 ×",
           value=lambda r: dig(r, "ingest", "ratio_to_bare"), limit=lambda r: 1.5, unit="×"),
    Target("dbt build, models only, vs the same SQL run directly", "≤ 1.3 × (tier m)",
           value=lambda r: dig(r, "dbt", "models_only_ratio"), limit=lambda r: 1.3, unit="×",
           tiers=("m",)),
    Target("incremental daily update vs full build", "≤ 10 % (tier m)",
           value=lambda r: dig(r, "incremental", "share_of_full"), limit=lambda r: 0.10,
           unit="share", tiers=("m",)),
    Target("forecast, 10k weekly series, 2 cores", "≤ 60 s",
           value=lambda r: dig(r, "forecast_panel", "forecast_seconds"), limit=lambda r: 60),
    Target("forecast MASE vs seasonal naive (10k weekly series)", "≤ 0.85 ×",
           value=lambda r: dig(r, "forecast_panel", "overall", "mase_ratio"),
           limit=lambda r: 0.85, unit="×"),
    Target("tier m end to end (full build)", "≤ 360 s",
           value=lambda r: dig(r, "full_build", "wall_s"), limit=lambda r: 360, tiers=("m",)),
    Target("tier m peak RSS (process tree)", "≤ 6 GiB",
           value=lambda r: dig(r, "full_build", "peak_rss_bytes"), limit=lambda r: 6 * GiB,
           unit="bytes", tiers=("m",)),
    Target("tier l end to end (full build)", "≤ 1800 s",
           value=lambda r: dig(r, "full_build", "wall_s"), limit=lambda r: 1800, tiers=("l",)),
    Target("tier l peak RSS (process tree)", "≤ 12 GiB",
           value=lambda r: dig(r, "full_build", "peak_rss_bytes"), limit=lambda r: 12 * GiB,
           unit="bytes", tiers=("l",)),
    Target("publish snapshot vs the build it follows", "≤ 10 %",
           value=lambda r: dig(r, "publish", "share_of_build"), limit=lambda r: 0.10,
           unit="share"),
    Target("time outside ingest, dbt, forecast and packs (full build)", "≤ 15 s on demo",
           value=lambda r: dig(r, "overhead", "outside_s"), limit=lambda r: 15,
           tiers=("demo",)),
    Target("no-change run vs full build", "≤ 10 %",
           value=lambda r: dig(r, "no_change", "share_of_full"), limit=lambda r: 0.10,
           unit="share"),
    Target("no-change run wall", "≤ 20 s on demo",
           value=lambda r: dig(r, "no_change", "wall_s"), limit=lambda r: 20, tiers=("demo",)),
    Target("no-change run: every mart unchanged", "all checksums equal",
           value=lambda r: dig(r, "no_change", "marts_unchanged"), limit=lambda r: None,
           unit="", bool_target=True),
]


def fmt_value(value, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if unit == "bytes":
        return f"{value / GiB:.2f} GiB"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "×":
        return f"{value:.2f} ×"
    return f"{value:.1f} s"


def evaluate(results: dict, tier: str, targets: list[Target] | None = None) -> list[dict]:
    """[{name, target, value, limit, unit, met, note}]: met is True/False, or None when
    the target is for other tiers or its figure was not measured; `note` says by how
    much a missed target is missed."""
    if targets is None:
        targets = TARGETS[:-4] + dbt_step_targets(results) + TARGETS[-4:]
    out = []
    for t in targets:
        value = t.value(results)
        limit = None if t.bool_target else t.limit(results)
        row = {"name": t.name, "target": t.target, "value": value, "limit": limit,
               "unit": t.unit, "met": None, "note": ""}
        if t.tiers is not None and tier not in t.tiers:
            row["note"] = f"applies to tier {'/'.join(t.tiers)}: reported only"
        elif value is None:
            row["note"] = "not measured"
        elif t.bool_target:
            row["met"] = bool(value)
            row["note"] = "" if value else "changed"
        elif limit is None:
            row["note"] = "no limit (its reference was not measured)"
        else:
            row["met"] = bool(value <= limit)
            if not row["met"]:
                over = value / limit - 1 if limit else float("inf")
                row["note"] = (f"missed by {fmt_value(value - limit, t.unit) if t.unit != 'share' else f'{100 * (value - limit):.1f} pts'}"
                               f" ({100 * over:.0f} % over)")
        out.append(row)
    return out
