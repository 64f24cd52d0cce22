"""Step wall times, event counts and materialization metadata of the runs in a Dagster
instance's run storage (read after the measured process ended)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path


def _metadata_value(v):
    value = getattr(v, "value", v)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (dict, list)):
        return value
    return str(value)[:200]


# Metadata kept per step (the rest, e.g. markdown tables and plots, is left out).
KEEP_METADATA = {"rows_read", "rows_loaded", "rows_quarantined", "files_loaded",
                 "raw_rows_total", "wall_seconds", "series", "cutoffs_written",
                 "snapshots_total", "family_sites", "tables", "rows"}


def read_runs(dagster_home: Path, since: float | None = None) -> list[dict]:
    """Every run (oldest first) created at or after `since` (epoch seconds): job,
    partition, status, start/end, wall, per-step wall and status, the number of events
    of each type, and the kept materialization metadata per step."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        instance = dg.DagsterInstance.from_config(str(dagster_home))
        runs = []
        try:
            for record in reversed(instance.get_run_records()):
                run = record.dagster_run
                if since is not None and record.create_timestamp.timestamp() < since - 1:
                    continue
                runs.append(_one_run(instance, run, DagsterEventType))
        finally:
            instance.dispose()
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved
    return runs


def _one_run(instance, run, DagsterEventType) -> dict:
    logs = instance.all_logs(run.run_id)
    counts: Counter = Counter()
    steps: dict[str, dict] = {}
    start = end = None
    for entry in logs:
        ev = entry.dagster_event
        kind = ev.event_type_value if ev is not None else "LOG_MESSAGE"
        counts[kind] += 1
        ts = entry.timestamp
        if ev is None:
            if entry.step_key:
                steps.setdefault(entry.step_key, {"events": 0})["events"] += 1
            continue
        if kind in ("RUN_START", "PIPELINE_START"):
            start = ts
        if kind in ("RUN_SUCCESS", "RUN_FAILURE", "PIPELINE_SUCCESS", "PIPELINE_FAILURE"):
            end = ts
        key = ev.step_key
        if key is None:
            continue
        step = steps.setdefault(key, {"events": 0})
        step["events"] += 1
        if kind == "STEP_START":
            step.setdefault("start", ts)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            step["end"] = ts
            step["status"] = kind
        elif kind == "ASSET_MATERIALIZATION":
            md = ev.event_specific_data.materialization.metadata or {}
            kept = step.setdefault("metadata", {})
            for name, value in md.items():
                if name in KEEP_METADATA:
                    v = _metadata_value(value)
                    if isinstance(v, (int, float)) and isinstance(kept.get(name), (int, float)):
                        kept[name] += v        # summed over the step's assets
                    else:
                        kept.setdefault(name, v)
            step["materializations"] = step.get("materializations", 0) + 1
        elif kind == "ASSET_CHECK_EVALUATION":
            step["checks"] = step.get("checks", 0) + 1
    for step in steps.values():
        if "start" in step and "end" in step:
            step["wall_s"] = step["end"] - step["start"]
    return {
        "run_id": run.run_id, "job": run.job_name,
        "partition": run.tags.get("dagster/partition"),
        "status": run.status.value, "start": start, "end": end,
        "wall_s": (end - start) if start and end else None,
        "events": sum(counts.values()), "events_by_type": dict(counts.most_common()),
        "steps": steps,
    }


DBT_STAGES = {"warehouse_models": "dbt_warehouse", "planning_models": "dbt_planning",
              "sop_cycle_models": "dbt_sop"}


def stage_of(step_key: str) -> str:
    """The bench stage a Dagster step belongs to. Dagster names a second step of the
    same multi-asset `<name>_2` (an asset of another step sits between its keys)."""
    if step_key.startswith("raw__"):
        return "ingest"
    for prefix, stage in DBT_STAGES.items():
        if step_key == prefix or step_key.startswith(prefix + "_"):
            return stage
    if step_key.startswith("docs__dbt"):
        return "dbt_docs"          # dbt docs generate (the docs site)
    if step_key.startswith("demand_forecast"):
        return "forecast"
    if "publish" in step_key:
        return "publish"
    if "check" in step_key or step_key.startswith("mart_row_count"):
        return "checks"            # asset checks run as their own steps
    if "pack" in step_key or step_key.startswith("exports"):
        return "exports"           # the monthly packs
    return "other"                 # e.g. the PO chase assets


def stage_walls(runs: list[dict]) -> dict[str, dict]:
    """{stage: {wall_s, steps, intervals}} summed over the runs' steps."""
    out: dict[str, dict] = {}
    for run in runs:
        for key, step in run["steps"].items():
            if "wall_s" not in step:
                continue
            s = out.setdefault(stage_of(key), {"wall_s": 0.0, "steps": 0, "intervals": [],
                                               "step_keys": []})
            s["wall_s"] += step["wall_s"]
            s["steps"] += 1
            s["intervals"].append((step["start"], step["end"]))
            s["step_keys"].append(key)
    return out
