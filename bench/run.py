"""`make bench [TIER=demo|m|l]`: measure every stage of a full build of one simulator
tier, next to references measured in the same invocation on the same files, and check
the performance spec (bench/targets.py).

    python -m bench --tier demo [--cache-dir DIR] [--work-dir DIR] [--no-panel]

1. The tier's landing zone and truth are generated once into <cache>/<tier>/ and
   reused (the generate measurement is kept beside them).
2. A full build on a fresh data dir (the landing files hard-linked from the cache) runs
   `python -m orchestration.cli run --no-simulate --json` in a subprocess under a
   psutil sampler (wall, CPU, peak RSS of the process tree); the per-step wall times
   come from the Dagster run storage afterwards.
3. References: bare DuckDB reads of the same files, the ingest engine without Dagster,
   the dbt models' compiled SQL run directly, dbt's own elapsed time, the forecast
   models called directly and seasonal naive, a no-change run (every mart checksum
   must stay), an incremental run after one daily drop, Dagster definitions load.
4. Writes bench/results/<tier>.json and regenerates bench/REPORT.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from orchestration.delivery.files import mart_checksums

from . import refs
from .dagster_runs import read_runs, stage_of, stage_walls
from .report import write_report
from .sampler import load_average, measure, window_stats
from .targets import evaluate

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PY = sys.executable
T0 = time.perf_counter()
# Bytes of disk per landing byte a bench run needs besides the landing zone itself:
# the warehouse, its snapshot and Parquet, two reference copies, the bare-read database.
DISK_FACTOR = 6


def say(msg: str) -> None:
    print(f"[bench +{time.perf_counter() - T0:6.0f} s, load {os.getloadavg()[0]:.1f}] {msg}",
          flush=True)


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine() -> dict:
    import psutil

    return {"cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "git_commit": os.environ.get("BENCH_GIT_COMMIT") or git_commit()}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def estimate_landing_bytes(tier: str) -> int:
    from simulator.generate import ROWS_PER_SALES_LINE
    from simulator.tiers import TIERS
    from simulator.writer import BYTES_PER_ROW

    return int(TIERS[tier].sales_lines * ROWS_PER_SALES_LINE * BYTES_PER_ROW["csv"])


def check_disk(cache: Path, work: Path, tier: str, landing_cached: bool) -> dict:
    landing = dir_bytes(cache / tier / "landing") if landing_cached else estimate_landing_bytes(tier)
    need = landing * DISK_FACTOR + (0 if landing_cached else landing)
    probe = work
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    return {"landing_bytes": landing, "need_bytes": need, "free_bytes": free,
            "ok": free > need}


def pipeline_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CT_") and k != "DAGSTER_HOME"}
    env.update(CT_DATA_DIR=str(data_dir), DAGSTER_HOME=str(data_dir / "dagster_home"),
               PYTHONUNBUFFERED="1")
    return env


# --- stages -----------------------------------------------------------------------------

def generate(cache: Path, tier: str) -> dict:
    """The tier's landing zone and truth in <cache>/<tier>, generated once."""
    folder = cache / tier
    record = folder / "generate.json"
    if (folder / "landing").is_dir() and record.exists():
        g = json.loads(record.read_text())
        g["cached"] = True
        say(f"generate: cached in {folder} (measured {g['measured_at']}: "
            f"{g['wall_s']:.1f} s at load {g['load_start'][0]})")
        return g
    tmp = folder / "tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    say(f"generate: tier {tier} into {folder} ...")
    load_start = load_average()
    m = measure([PY, "-m", "simulator", "generate", "--landing-dir", str(tmp / "landing"),
                 "--truth-dir", str(tmp / "truth"), "--tier", tier], cwd=ROOT)
    if m.returncode != 0:
        raise SystemExit(f"simulator generate failed:\n{m.stderr[-3000:]}\n{m.stdout[-3000:]}")
    for name in ("landing", "truth"):
        shutil.rmtree(folder / name, ignore_errors=True)
        (tmp / name).rename(folder / name)
    shutil.rmtree(tmp, ignore_errors=True)
    landing = folder / "landing"
    files = [p for p in landing.rglob("*") if p.is_file()]
    g = {**m.as_dict(), "load_start": load_start, "load_end": load_average(),
         "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
         "files": len(files), "bytes": sum(p.stat().st_size for p in files),
         "stdout_tail": m.stdout[-1500:]}
    record.write_text(json.dumps(g, indent=1))
    g["cached"] = False
    say(f"generate: {g['wall_s']:.1f} s, {g['files']} files, {g['bytes'] / 2**20:.0f} MiB")
    return g


def fresh_data_dir(cache: Path, tier: str, data_dir: Path) -> None:
    """A new data dir whose landing zone holds the cached files (hard links: the
    simulator and the pipeline never change a delivered file) and a copy of the truth."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    src = cache / tier / "landing"
    try:
        shutil.copytree(src, data_dir / "landing", copy_function=os.link)
    except OSError:
        shutil.rmtree(data_dir / "landing", ignore_errors=True)
        shutil.copytree(src, data_dir / "landing")
    shutil.copytree(cache / tier / "truth", data_dir / "simulator_truth")


def run_pipeline(data_dir: Path, label: str) -> dict:
    """One `tower run --no-simulate --json` under the sampler, then its Dagster runs."""
    say(f"{label}: tower run --no-simulate ...")
    since = time.time()
    load_start = load_average()
    m = measure([PY, "-m", "orchestration.cli", "run", "--no-simulate", "--json"],
                env=pipeline_env(data_dir), cwd=ROOT)
    out = {**m.as_dict(), "load_start": load_start, "load_end": load_average(),
           "success": m.returncode == 0}
    try:
        out["summary"] = json.loads(m.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        out["summary"] = None
    if m.returncode != 0:
        out["stderr_tail"] = m.stderr[-4000:]
        say(f"{label}: FAILED (exit {m.returncode}); stderr tail:\n{m.stderr[-2000:]}")
    runs = read_runs(data_dir / "dagster_home", since=since)
    stages = stage_walls(runs)
    for s in stages.values():
        s.update(window_stats(m.timeline, s["intervals"]))
        s.pop("intervals")
    out["runs"] = [{k: v for k, v in r.items() if k != "steps"} | {
        "steps": {k: {kk: vv for kk, vv in st.items() if kk not in ("start", "end")}
                  for k, st in r["steps"].items()}} for r in runs]
    out["stages"] = stages
    out["steps_wall_s"] = sum(s["wall_s"] for s in stages.values())
    out["dagster_runs_wall_s"] = sum(r["wall_s"] or 0 for r in runs)
    out["events"] = sum(r["events"] for r in runs)
    say(f"{label}: {m.wall_s:.1f} s wall, {m.cpu_s:.1f} s CPU, peak RSS "
        f"{m.peak_rss_bytes / 2**20:.0f} MiB, {len(runs)} Dagster runs, {out['events']} events; "
        + ", ".join(f"{k} {v['wall_s']:.1f} s" for k, v in stages.items()))
    return out


def keep_dbt_targets(data_dir: Path, dst: Path) -> dict:
    """Copy each dbt step's target folder (run_results, manifest) and read dbt's
    figures: {step folder: info}. A step folder is named after the Dagster op
    (warehouse_models, warehouse_models_2 when Dagster splits the multi-asset, ...)."""
    src = data_dir / "dbt_target"
    info = {}
    for folder in sorted(p for p in src.iterdir() if p.is_dir()) if src.is_dir() else []:
        if not (folder / "run_results.json").exists():
            continue
        shutil.rmtree(dst / folder.name, ignore_errors=True)
        (dst / folder.name).mkdir(parents=True)
        for name in ("run_results.json", "manifest.json"):
            if (folder / name).exists():
                shutil.copy2(folder / name, dst / folder.name / name)
        info[folder.name] = refs.dbt_step_info(dst / folder.name)
    return info


def defs_load(data_dir: Path, repeats: int = 3) -> dict:
    """Import orchestration.definitions and resolve its repository in a fresh process."""
    code = ("import time; t = time.perf_counter(); from orchestration.definitions import defs; "
            "t1 = time.perf_counter(); defs.get_repository_def(); t2 = time.perf_counter(); "
            "print(t1 - t, t2 - t)")
    env = pipeline_env(data_dir)
    samples = []
    for i in range(repeats):
        t0 = time.perf_counter()
        p = subprocess.run([PY, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            return {"error": p.stderr[-2000:]}
        imp, total = (float(x) for x in p.stdout.split()[-2:])
        samples.append({"import_s": imp, "import_and_resolve_s": total, "process_wall_s": wall})
    return {"samples": samples, "load": load_average(),
            "median_s": statistics.median(s["import_and_resolve_s"] for s in samples),
            "median_process_wall_s": statistics.median(s["process_wall_s"] for s in samples)}


def forecast_panel(series: int, work: Path) -> dict:
    """bench/forecast_accuracy.py on the synthetic weekly panel, in a measured process."""
    out_json = work / "forecast_panel.json"
    say(f"forecast panel: {series:,} synthetic weekly series (forecast, direct "
        f"statsforecast, backtest) ...")
    load_start = load_average()
    m = measure([PY, str(BENCH / "forecast_accuracy.py"), "--only", "synthetic",
                 "--series", str(series), "--json", str(out_json)], cwd=ROOT)
    if m.returncode != 0:
        say(f"forecast panel FAILED:\n{m.stderr[-2000:]}")
        return {"error": m.stderr[-2000:], **m.as_dict()}
    r = json.loads(out_json.read_text())["synthetic"][0]
    r["process"] = m.as_dict() | {"load_start": load_start, "load_end": load_average()}
    say(f"forecast panel: forecast {r['forecast_seconds']:.1f} s, MASE ratio "
        f"{r['overall']['mase_ratio']:.3f}")
    return r


# --- the whole bench ------------------------------------------------------------------------

def dbt_section(results: dict, full: dict, full_dbt: dict, wh_copy: Path, rows: dict,
                settings, refdir: Path) -> dict:
    """dbt vs the compiled SQL of its models run directly (on a copy of the warehouse
    named like the live file, since the compiled SQL names its catalog), and vs the
    Dagster step: fills results["dbt"], returns the per-step figures."""
    say("dbt reference: the compiled SQL of every model, run directly ...")
    copy = refs.copy_file(wh_copy, refdir / "direct" / settings.warehouse.name)
    direct = refs.direct_dbt_sql(full_dbt, copy,
                                 settings.duckdb_threads, settings.duckdb_memory_limit)
    steps = {}
    step_walls = {k: s for r in full["runs"] for k, s in r["steps"].items()}
    for step, info in full_dbt.items():
        if info is None:
            continue
        wall = step_walls.get(step, {}).get("wall_s")
        d = direct.get(step, {})
        model_rows = sum(refs.relation_rows(rows, m["relation_name"]) for m in info["models"])
        steps[step] = {
            "stage": stage_of(step),
            "dagster_step_s": wall, "dbt_elapsed_s": info["elapsed_s"],
            "model_exec_s": info["model_exec_s"], "test_exec_s": info["test_exec_s"],
            "models": len(info["models"]), "tests": info["tests"], "statuses": info["statuses"],
            "direct_sql_s": d.get("seconds"), "direct_errors": d.get("errors"),
            "direct_slowest": d.get("slowest"),
            # no ratio against an incomplete reference (a model's SQL failed directly) or
            # for a step without models (seeds only)
            "models_only_ratio": None if d.get("errors") or not info["models"]
            else ratio(info["model_exec_s"], d.get("seconds")),
            "elapsed_ratio_to_direct": None if d.get("errors") or not info["models"]
            else ratio(info["elapsed_s"], d.get("seconds")),
            "step_over_elapsed_s": None if wall is None else wall - (info["elapsed_s"] or 0),
            "rows_out": model_rows}
    tot_exec = sum(v["model_exec_s"] for v in steps.values())
    tot_direct = sum(v["direct_sql_s"] or 0 for v in steps.values())
    tot_elapsed = sum(v["dbt_elapsed_s"] or 0 for v in steps.values())
    complete = not any(v["direct_errors"] for v in steps.values())
    dbt = {"steps": steps, "model_exec_s": tot_exec, "direct_sql_s": tot_direct,
           "dbt_elapsed_s": tot_elapsed, "direct_complete": complete,
           "dagster_steps_s": sum(v["dagster_step_s"] or 0 for v in steps.values()),
           "models_only_ratio": ratio(tot_exec, tot_direct) if complete else None,
           "elapsed_ratio_to_direct": ratio(tot_elapsed, tot_direct) if complete else None}
    results["dbt"] = dbt
    say(f"dbt: models {tot_exec:.1f} s in dbt vs {tot_direct:.1f} s direct -> "
        f"{dbt['models_only_ratio'] or 0:.2f} x; dbt elapsed {tot_elapsed:.1f} s, Dagster "
        f"steps {dbt['dagster_steps_s']:.1f} s")

    shutil.rmtree(refdir / "direct", ignore_errors=True)
    return steps


def _stage_rows(steps: dict, stage: str) -> int | None:
    rows = [v["rows_out"] for v in steps.values() if v["stage"] == stage]
    return sum(rows) if rows else None


def ratio(a, b):
    return None if a is None or not b else a / b


def bench(tier: str, cache: Path, work: Path, panel_series: int | None,
          results: dict) -> dict:
    """Fills `results` as it goes (so a failure keeps what was measured)."""
    from orchestration.settings import load_settings

    results |= {"tier": tier, "started_at": datetime.now(timezone.utc).isoformat(
        timespec="seconds"), "machine": machine(), "load_start": load_average()}
    landing_cached = (cache / tier / "landing").is_dir()
    disk = check_disk(cache, work, tier, landing_cached)
    results["disk"] = disk
    say(f"tier {tier}; {results['machine']['cores']} cores, "
        f"{results['machine']['memory_gib']} GiB; disk: need ~{disk['need_bytes'] / 2**30:.1f} "
        f"GiB, free {disk['free_bytes'] / 2**30:.1f} GiB")
    if not disk["ok"]:
        raise SystemExit(f"not enough free disk: about {disk['need_bytes'] / 2**30:.1f} GiB "
                         f"needed under {work}, {disk['free_bytes'] / 2**30:.1f} GiB free")
    results["generate"] = generate(cache, tier)

    data = work / "data"
    refdir = work / "refs"
    shutil.rmtree(refdir, ignore_errors=True)
    refdir.mkdir(parents=True)
    fresh_data_dir(cache, tier, data)
    settings = load_settings(pipeline_env(data))

    say("Dagster definitions load in a fresh process (3 times) ...")
    results["defs_load"] = defs_load(data)
    say(f"definitions load: median {results['defs_load'].get('median_s', float('nan')):.1f} s")

    # 1. the full build
    full = run_pipeline(data, "full build")
    results["full_build"] = full
    if not full["success"]:
        return results
    full_dbt = keep_dbt_targets(data, refdir / "dbt_target_full")
    wh_copy = refs.copy_file(settings.warehouse, refdir / "warehouse_full.duckdb")
    rows = refs.table_rows(wh_copy)
    published_rows = refs.table_rows(settings.published)
    checks_full = mart_checksums(settings.warehouse)
    results["sizes"] = {"landing_bytes": dir_bytes(data / "landing"),
                        "warehouse_bytes": settings.warehouse.stat().st_size,
                        "published_bytes": settings.published.stat().st_size,
                        "exports_bytes": dir_bytes(settings.exports_dir)}

    # 2. ingest vs bare DuckDB and vs the engine alone
    say("ingest references: bare DuckDB reads, then the ingest engine without Dagster ...")
    bare = refs.bare_ingest(data / "landing", refdir / "bare.duckdb",
                            settings.duckdb_threads, settings.duckdb_memory_limit)
    engine = refs.engine_ingest(data / "landing", refdir / "engine.duckdb",
                                settings.duckdb_threads, settings.duckdb_memory_limit)
    excluded = set(bare["excluded_extracts"])
    ingest_runs = [r for r in full["runs"]]
    ing_steps = {k: s for r in ingest_runs for k, s in r["steps"].items()
                 if k.startswith("raw__") and "wall_s" in s}
    ing_wall = sum(s["wall_s"] for k, s in ing_steps.items()
                   if k.split("__", 1)[1] not in excluded)
    engine_s = sum(v["seconds"] for k, v in engine["per_extract"].items() if k not in excluded)
    ing_md = [s.get("metadata", {}) for s in ing_steps.values()]
    rows_read = sum(m.get("rows_read", 0) or 0 for m in ing_md)
    rows_loaded = sum(m.get("rows_loaded", 0) or 0 for m in ing_md)
    results["ingest"] = {
        "dagster_steps_s": ing_wall, "steps": len(ing_steps), "bare_duckdb_s": bare["seconds"],
        "engine_only_s": engine_s, "ratio_to_bare": ratio(ing_wall, bare["seconds"]),
        "engine_ratio_to_bare": ratio(engine_s, bare["seconds"]),
        "dagster_over_engine_s": ing_wall - engine_s,
        "rows_read": rows_read, "rows_loaded": rows_loaded, "bare_rows": bare["rows"],
        "bare": bare, "engine": engine}
    say(f"ingest: Dagster steps {ing_wall:.1f} s, engine alone {engine_s:.1f} s, bare DuckDB "
        f"{bare['seconds']:.1f} s -> {results['ingest']['ratio_to_bare'] or 0:.2f} x")

    # 3. dbt vs its compiled SQL run directly, and vs the Dagster step
    steps = dbt_section(results, full, full_dbt, wh_copy, rows, settings, refdir)

    # 4. stage table and orchestration overhead
    st = full["stages"]

    def w(name):
        return st.get(name, {}).get("wall_s", 0.0)

    raw_rows = sum(v for k, v in rows.items() if k.startswith("raw."))
    fc_rows = sum(v for k, v in rows.items() if k.startswith("forecast."))
    stage_rows = {
        "ingest": (rows_read, rows_loaded),
        "dbt_warehouse": (raw_rows, _stage_rows(steps, "dbt_warehouse")),
        "forecast": (rows.get("marts.demand_history"), fc_rows),
        "dbt_planning": (None, _stage_rows(steps, "dbt_planning")),
        "dbt_sop": (None, _stage_rows(steps, "dbt_sop")),
        "publish": (None, sum(published_rows.values())),
    }
    table = []
    g = results["generate"]
    table.append({"stage": "generate" + (" (cached)" if g.get("cached") else ""),
                  "wall_s": g["wall_s"], "cpu_s": g["cpu_s"],
                  "peak_rss_bytes": g["peak_rss_bytes"], "rows_in": None, "rows_out": None})
    for name in ("ingest", "dbt_warehouse", "forecast", "dbt_planning", "dbt_sop", "dbt_docs",
                 "publish", "exports", "checks", "other"):
        if name not in st:
            continue
        r_in, r_out = stage_rows.get(name, (None, None))
        table.append({"stage": name, "wall_s": st[name]["wall_s"], "cpu_s": st[name]["cpu_s"],
                      "peak_rss_bytes": st[name]["peak_rss_bytes"], "steps": st[name]["steps"],
                      "rows_in": r_in, "rows_out": r_out,
                      "rows_per_s": ratio(r_out, st[name]["wall_s"])})
    outside = full["wall_s"] - sum(w(n) for n in ("ingest", "dbt_warehouse", "dbt_planning",
                                                  "dbt_sop", "dbt_docs", "forecast",
                                                  "exports"))
    table.append({"stage": "outside the steps (process start, imports, runner, Dagster)",
                  "wall_s": full["wall_s"] - full["steps_wall_s"], "cpu_s": None,
                  "peak_rss_bytes": None, "rows_in": None, "rows_out": None})
    table.append({"stage": "full build (process tree)", "wall_s": full["wall_s"],
                  "cpu_s": full["cpu_s"], "peak_rss_bytes": full["peak_rss_bytes"],
                  "rows_in": rows_read, "rows_out": sum(published_rows.values())})
    results["stages"] = table
    results["overhead"] = {
        "outside_s": outside, "outside_without_publish_s": outside - w("publish"),
        "outside_steps_s": full["wall_s"] - full["steps_wall_s"],
        "between_runs_s": full["wall_s"] - full["dagster_runs_wall_s"],
        "definition": "full build wall − (ingest + dbt (incl. dbt docs) + forecast + packs step "
                      "walls); publish, asset-check steps and other steps count as outside"}
    build_wo_publish = full["wall_s"] - w("publish")
    results["publish"] = {"wall_s": w("publish"), "build_s": build_wo_publish,
                          "share_of_build": ratio(w("publish"), build_wo_publish),
                          "tables": len(published_rows), "rows": sum(published_rows.values())}
    results["make_run_s"] = (g["wall_s"] + full["wall_s"]) if tier == "demo" else None

    # 5. the forecast on the tier's history
    say("forecast reference on the tier's demand history (library, statsforecast direct, "
        "backtest) ...")
    try:
        from .forecast_ref import tier_forecast
        tf = tier_forecast(wh_copy)
    except Exception as exc:  # noqa: BLE001 - a reference failing is reported, not fatal
        tf = {"error": f"{type(exc).__name__}: {exc}"}
    fstep = next((s for r in full["runs"] for k, s in r["steps"].items()
                  if k.startswith("demand_forecast")), {})
    tf["pipeline_step_s"] = fstep.get("wall_s")
    tf["pipeline_seconds"] = fstep.get("metadata", {}).get("wall_seconds")
    tf["pipeline_cutoffs_written"] = fstep.get("metadata", {}).get("cutoffs_written")
    tf["step_ratio_to_direct"] = ratio(tf.get("pipeline_step_s"), tf.get("direct_statsforecast_s"))
    results["forecast_tier"] = tf
    say("forecast (tier): " + ", ".join(f"{k} {v:.1f}" for k, v in tf.items()
                                        if isinstance(v, float)))

    # 6. no-change run
    nc = run_pipeline(data, "no-change run")
    checks_nc = mart_checksums(settings.warehouse)
    changed = sorted(t for t in set(checks_full) | set(checks_nc)
                     if checks_full.get(t) != checks_nc.get(t))
    nc_dbt = keep_dbt_targets(data, refdir / "dbt_target_no_change")
    results["no_change"] = {**{k: nc[k] for k in ("wall_s", "cpu_s", "peak_rss_bytes",
                                                  "load_start", "load_end", "success",
                                                  "events", "steps_wall_s")},
                            "share_of_full": ratio(nc["wall_s"], full["wall_s"]),
                            "marts": len(checks_nc), "marts_unchanged": not changed and nc["success"],
                            "changed_marts": changed,
                            "stages": {k: {"wall_s": v["wall_s"], "steps": v["steps"]}
                                       for k, v in nc["stages"].items()},
                            "dbt_elapsed_s": {k: (v or {}).get("elapsed_s") for k, v in nc_dbt.items()},
                            "runs": [{k: r[k] for k in ("job", "partition", "wall_s", "events",
                                                         "events_by_type")} for r in nc["runs"]]}

    # 7. incremental run after one daily drop
    say("simulator append --days 1 ...")
    ap = measure([PY, "-m", "simulator", "append", "--landing-dir", str(data / "landing"),
                  "--truth-dir", str(data / "simulator_truth"), "--days", "1"], cwd=ROOT)
    inc = run_pipeline(data, "incremental run") if ap.returncode == 0 else None
    inc_dbt = keep_dbt_targets(data, refdir / "dbt_target_incremental") if inc else {}
    results["incremental"] = None if inc is None else {
        **{k: inc[k] for k in ("wall_s", "cpu_s", "peak_rss_bytes", "load_start", "load_end",
                               "success", "events", "steps_wall_s")},
        "append_s": ap.wall_s, "share_of_full": ratio(inc["wall_s"], full["wall_s"]),
        "stages": {k: {"wall_s": v["wall_s"], "steps": v["steps"]}
                   for k, v in inc["stages"].items()},
        "dbt_elapsed_s": {k: (v or {}).get("elapsed_s") for k, v in inc_dbt.items()},
        "rows_loaded": sum((s.get("metadata", {}).get("rows_loaded") or 0)
                           for r in inc["runs"] for k, s in r["steps"].items()
                           if k.startswith("raw__"))}
    if ap.returncode != 0:
        results["incremental_error"] = ap.stderr[-2000:]

    # 8. forecast on the synthetic 10k panel
    if panel_series:
        results["forecast_panel"] = forecast_panel(panel_series, refdir)

    results["load_end"] = load_average()
    results["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results["bench_wall_s"] = time.perf_counter() - T0
    return results


def strip_for_json(results: dict) -> dict:
    """Drop the bulky per-step detail of the full build's runs (kept: per-run totals
    and steps' wall times)."""
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--tier", default="demo", choices=["tiny", "demo", "m", "l"])
    ap.add_argument("--cache-dir", default=str(BENCH / ".cache"),
                    help="where each tier's generated landing zone is kept between runs")
    ap.add_argument("--work-dir", default=None,
                    help="scratch data dirs of the runs (default <cache>/<tier>/work)")
    ap.add_argument("--panel-series", type=int, default=10_000,
                    help="synthetic weekly series of the forecast target (0 = skip)")
    ap.add_argument("--results-dir", default=str(BENCH / "results"))
    args = ap.parse_args(argv)
    cache = Path(args.cache_dir).resolve()
    work = Path(args.work_dir).resolve() if args.work_dir else cache / args.tier / "work"
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    try:
        bench(args.tier, cache, work, args.panel_series or None, results)
    except Exception as exc:  # noqa: BLE001 - keep and report what was measured
        import traceback
        results["error"] = f"{type(exc).__name__}: {exc}"
        results["traceback"] = traceback.format_exc()[-4000:]
        say(f"bench FAILED: {results['error']}\n{results['traceback']}")
        results.setdefault("load_end", load_average())
    results["targets"] = evaluate(results, args.tier)
    out_dir = Path(args.results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{args.tier}.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str))
    os.replace(tmp, out)
    default = out_dir.resolve() == (BENCH / "results").resolve()
    report = write_report(out_dir, BENCH / "REPORT.md" if default else out_dir / "REPORT.md",
                          findings=BENCH / "findings.md")
    say(f"wrote {out} and {report}")
    for t in results["targets"]:
        mark = {True: "met ", False: "MISS", None: "  - "}[t["met"]]
        from .targets import fmt_value
        print(f"  {mark} {t['name']}: {fmt_value(t['value'], t['unit'])} (target "
              f"{t['target']}) {t['note']}")
    return 0 if (results.get("full_build") or {}).get("success") and "error" not in results else 1
