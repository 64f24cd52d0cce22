"""bench/REPORT.md from bench/results/<tier>.json (pure rendering, plus the history
file bench/results/history.jsonl that keeps every run's headline figures)."""

from __future__ import annotations

import json
from pathlib import Path

from .targets import fmt_value

TIER_ORDER = ("tiny", "demo", "m", "l")
FINDINGS = "findings.md"      # hand-written analysis kept beside the report, if any


def _s(v, digits=1, unit=" s"):
    return "n/a" if v is None else f"{v:.{digits}f}{unit}"


def _x(v):
    return "n/a" if v is None else f"{v:.2f} ×"


def _pct(v):
    return "n/a" if v is None else f"{100 * v:.1f} %"


def _mib(v):
    return "n/a" if v is None else f"{v / 2**20:,.0f} MiB"


def _n(v):
    return "" if v is None else f"{v:,}"


def headline(r: dict) -> dict:
    """The figures the History section keeps for one run."""
    g = lambda *p: _dig(r, *p)  # noqa: E731
    targets = r.get("targets") or []
    return {"tier": r.get("tier"), "started_at": r.get("started_at"),
            "commit": g("machine", "git_commit"), "load_start": r.get("load_start"),
            "load_end": r.get("load_end"),
            "full_build_s": g("full_build", "wall_s"),
            "peak_rss_mib": None if g("full_build", "peak_rss_bytes") is None
            else round(g("full_build", "peak_rss_bytes") / 2**20),
            "no_change_s": g("no_change", "wall_s"), "incremental_s": g("incremental", "wall_s"),
            "ingest_ratio": g("ingest", "ratio_to_bare"),
            "dbt_models_ratio": g("dbt", "models_only_ratio"),
            "defs_load_s": g("defs_load", "median_s"),
            "targets_met": sum(1 for t in targets if t["met"] is True),
            "targets_missed": sum(1 for t in targets if t["met"] is False)}


def _dig(d, *path):
    for p in path:
        if not isinstance(d, dict) or d.get(p) is None:
            return None
        d = d[p]
    return d


def render_tier(r: dict) -> str:
    m = r.get("machine", {})
    lines = [f"## Tier {r['tier']}", "",
             f"Run {r.get('started_at')} → {r.get('finished_at')} · commit "
             f"`{m.get('git_commit')}` · {m.get('cores')} cores, {m.get('memory_gib')} GiB · "
             f"load average (1/5/15 min) at start {r.get('load_start')}, at end "
             f"{r.get('load_end')} · bench wall {_s(r.get('bench_wall_s'), 0)}", "",
             "Other work shared the machine; compare the ratios (measured in the same "
             "invocation), not the absolute seconds, across runs.", "",
             "### Targets", "",
             "| target | spec | value | met |", "|---|---|---|---|"]
    for t in r.get("targets", []):
        met = {True: "✅ met", False: "❌ missed", None: "–"}[t["met"]]
        note = f" — {t['note']}" if t["note"] else ""
        lines.append(f"| {t['name']} | {t['target']} | {fmt_value(t['value'], t['unit'])} | "
                     f"{met}{note} |")
    ing, dbt, fc = r.get("ingest") or {}, r.get("dbt") or {}, r.get("forecast_tier") or {}
    nc, inc, pub = r.get("no_change") or {}, r.get("incremental") or {}, r.get("publish") or {}
    full = r.get("full_build") or {}
    lines += ["", "### Ratios against the references", "",
              "| what | measured | reference | ratio |", "|---|---|---|---|",
              f"| ingest (Dagster steps) vs bare DuckDB CTAS | {_s(ing.get('dagster_steps_s'))} | "
              f"{_s(ing.get('bare_duckdb_s'))} | {_x(ing.get('ratio_to_bare'))} |",
              f"| ingest engine alone (no Dagster) vs bare DuckDB | {_s(ing.get('engine_only_s'))} | "
              f"{_s(ing.get('bare_duckdb_s'))} | {_x(ing.get('engine_ratio_to_bare'))} |"]
    for step, d in (dbt.get("steps") or {}).items():
        if d.get("direct_errors"):
            lines.append(f"| dbt {step}: compiled SQL direct | {len(d['direct_errors'])} of "
                         f"{d.get('models')} models failed directly: no ratio | | n/a |")
        lines += [
            f"| dbt {step}: models (dbt per-node time) vs compiled SQL direct | "
            f"{_s(d.get('model_exec_s'))} | {_s(d.get('direct_sql_s'))} | "
            f"{_x(d.get('models_only_ratio'))} |",
            f"| dbt {step}: dbt elapsed ({d.get('models')} models + {d.get('tests')} tests) vs "
            f"SQL direct | {_s(d.get('dbt_elapsed_s'))} | {_s(d.get('direct_sql_s'))} | "
            f"{_x(d.get('elapsed_ratio_to_direct'))} |",
            f"| dbt {step}: Dagster step wall vs dbt elapsed | {_s(d.get('dagster_step_s'))} | "
            f"{_s(d.get('dbt_elapsed_s'))} | "
            f"{_x(None if not d.get('dbt_elapsed_s') or d.get('dagster_step_s') is None else d['dagster_step_s'] / d['dbt_elapsed_s'])} |"]
    if dbt.get("steps"):
        lines.append(f"| dbt, all steps: models vs compiled SQL direct | "
                     f"{_s(dbt.get('model_exec_s'))} | {_s(dbt.get('direct_sql_s'))} | "
                     f"{_x(dbt.get('models_only_ratio'))} |")
    lines += [
        f"| forecast step (all cutoffs written: {len(fc.get('pipeline_cutoffs_written') or [])}) "
        f"vs statsforecast direct (1 cutoff) | {_s(fc.get('pipeline_step_s'))} | "
        f"{_s(fc.get('direct_statsforecast_s'))} | {_x(fc.get('step_ratio_to_direct'))} |",
        f"| forecasting.forecast, current cutoff only, vs statsforecast direct | "
        f"{_s(fc.get('library_forecast_s'))} | {_s(fc.get('direct_statsforecast_s'))} | "
        f"{_x(None if not fc.get('direct_statsforecast_s') or fc.get('library_forecast_s') is None else fc['library_forecast_s'] / fc['direct_statsforecast_s'])} |",
        f"| publish vs the build it follows | {_s(pub.get('wall_s'))} | {_s(pub.get('build_s'))} | "
        f"{_pct(pub.get('share_of_build'))} |",
        f"| no-change run vs full build | {_s(nc.get('wall_s'))} | {_s(full.get('wall_s'))} | "
        f"{_pct(nc.get('share_of_full'))} |",
        f"| incremental run (1 daily drop) vs full build | {_s(inc.get('wall_s'))} | "
        f"{_s(full.get('wall_s'))} | {_pct(inc.get('share_of_full'))} |"]
    ov = r.get("overhead") or {}
    lines += ["", f"Time outside ingest, dbt, forecast and packs: **{_s(ov.get('outside_s'))}** "
              f"(of which publish {_s(pub.get('wall_s'))}; outside every Dagster step: "
              f"{_s(ov.get('outside_steps_s'))}; outside the Dagster runs: "
              f"{_s(ov.get('between_runs_s'))}).",
              f"No-change run: {nc.get('marts', 'n/a')} marts, "
              f"{'all unchanged' if nc.get('marts_unchanged') else 'CHANGED: ' + ', '.join(nc.get('changed_marts') or ['run failed'])}.",
              ""]
    lines += ["### Stages of the full build", "",
              "| stage | wall | CPU | peak RSS | rows in | rows out | rows/s |",
              "|---|---|---|---|---|---|---|"]
    for s in r.get("stages", []):
        rps = s.get("rows_per_s")
        lines.append(f"| {s['stage']} | {_s(s.get('wall_s'))} | {_s(s.get('cpu_s'))} | "
                     f"{_mib(s.get('peak_rss_bytes'))} | {_n(s.get('rows_in'))} | "
                     f"{_n(s.get('rows_out'))} | {'' if rps is None else f'{rps:,.0f}'} |")
    dl = r.get("defs_load") or {}
    lines += ["", f"Dagster definitions load (import + resolve, fresh process, median of "
              f"{len(dl.get('samples', []))}): {_s(dl.get('median_s'))}; whole process "
              f"{_s(dl.get('median_process_wall_s'))}.", ""]
    fp = r.get("forecast_panel") or {}
    if fp.get("overall"):
        o = fp["overall"]
        lines += [f"Forecast, {fp['series']:,} synthetic weekly series × {fp['weeks']} weeks, "
                  f"{fp['cores']} cores: forecast() {_s(fp['forecast_seconds'])} (same "
                  f"statsforecast models direct: {_s(fp['direct_statsforecast_seconds'])}); "
                  f"backtest MASE {o['mase']:.3f} vs seasonal naive {o['snaive_mase']:.3f} "
                  f"(ratio {o['mase_ratio']:.3f}), WAPE {o['wape']:.3f} vs {o['snaive_wape']:.3f}, "
                  f"bias {o['bias']:+.3f} vs {o['snaive_bias']:+.3f}.", ""]
    if fc.get("overall"):
        o = fc["overall"]
        lines += [f"Forecast on the tier's own history ({fc['series']:,} item × site series, "
                  f"{fc['weeks']} weeks): backtest MASE {o['mase']:.3f} vs seasonal naive "
                  f"{o['snaive_mase']:.3f} (ratio {o['mase_ratio']:.3f}), WAPE {o['wape']:.3f} "
                  f"vs {o['snaive_wape']:.3f}, bias {o['bias']:+.3f} vs {o['snaive_bias']:+.3f}.",
                  ""]
    lines += _time_goes(r)
    return "\n".join(lines)


def _time_goes(r: dict) -> list[str]:
    full = r.get("full_build") or {}
    runs = full.get("runs") or []
    if not runs:
        return []
    lines = ["### Dagster runs of the full build", "",
             "| run | partition | wall | steps | events | top event types |",
             "|---|---|---|---|---|---|"]
    for run in runs:
        top = ", ".join(f"{k} {v}" for k, v in list(run["events_by_type"].items())[:4])
        lines.append(f"| {run['job']} | {run.get('partition') or ''} | {_s(run.get('wall_s'))} | "
                     f"{len(run['steps'])} | {run['events']:,} | {top} |")
    steps = sorted(((k, s) for run in runs for k, s in run["steps"].items() if "wall_s" in s),
                   key=lambda kv: -kv[1]["wall_s"])[:8]
    lines += ["", "Slowest steps: " + ", ".join(f"{k} {s['wall_s']:.1f} s ({s['events']} events)"
                                                for k, s in steps) + ".", ""]
    return lines


def append_history(results_dir: Path, results: list[dict]) -> list[dict]:
    path = results_dir / "history.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] \
        if path.exists() else []
    seen = {(h["tier"], h["started_at"]) for h in rows}
    for r in results:
        h = headline(r)
        if (h["tier"], h["started_at"]) not in seen:
            rows.append(h)
            seen.add((h["tier"], h["started_at"]))
    path.write_text("".join(json.dumps(h) + "\n" for h in rows))
    return rows


def _rss(mib):
    return "n/a" if mib is None else f"{mib:,} MiB"


def render_history(rows: list[dict]) -> str:
    lines = ["## History", "",
             "| run | tier | commit | load start/end | full build | peak RSS | no-change | "
             "incremental | ingest × bare | dbt × SQL | defs load | targets met/missed |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for h in sorted(rows, key=lambda h: h["started_at"] or "", reverse=True):
        ls, le = h.get("load_start") or [None], h.get("load_end") or [None]
        lines.append(
            f"| {h['started_at']} | {h['tier']} | `{h.get('commit')}` | {ls[0]} / {le[0]} | "
            f"{_s(h.get('full_build_s'))} | {_rss(h.get('peak_rss_mib'))} | "
            f"{_s(h.get('no_change_s'))} | {_s(h.get('incremental_s'))} | "
            f"{_x(h.get('ingest_ratio'))} | {_x(h.get('dbt_models_ratio'))} | "
            f"{_s(h.get('defs_load_s'))} | {h.get('targets_met')}/{h.get('targets_missed')} |")
    return "\n".join(lines)


def render(results: list[dict], history: list[dict], findings: str | None) -> str:
    parts = ["# Benchmark report", "",
             "Written by `make bench [TIER=demo|m|l]` (bench/run.py) from "
             "bench/results/<tier>.json: do not edit by hand (the analysis lives in "
             f"bench/{FINDINGS} and is copied in below). Targets: the performance spec "
             "(bench/targets.py).", ""]
    order = {t: i for i, t in enumerate(TIER_ORDER)}
    for r in sorted(results, key=lambda r: order.get(r.get("tier"), 99)):
        parts += [render_tier(r), ""]
    if findings:
        parts += ["## Where the time goes", "", findings.strip(), ""]
    parts += [render_history(history), ""]
    return "\n".join(parts)


def write_report(results_dir: Path, report: Path, findings: Path | None = None) -> Path:
    results = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))]
    results = [r for r in results if isinstance(r, dict) and "tier" in r]
    history = append_history(results_dir, results)
    findings_path = findings or report.parent / FINDINGS
    text = findings_path.read_text() if findings_path.exists() else None
    report.write_text(render(results, history, text))
    return report
