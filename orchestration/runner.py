"""Run the core graph headless, in-process (DESIGN.md run modes): what `make run` does:
the core job, the S&OP cycle of the as-of month, then the published snapshot.

The in-process executor runs one step at a time, so the single-writer rule of DuckDB
holds without a daemon; each multiprocess step would also cost seconds here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .delivery.summary import Summary, build_summary
from .instance import dagster_home
from .settings import Settings


@dataclass
class RunOutcome:
    success: bool
    summary: Summary
    seconds: float
    generated: dict | None = None


def run_core(settings: Settings, *, simulate: bool = True, tier: str = "demo",
             log_level: str = "INFO") -> RunOutcome:
    import simulator

    started = time.perf_counter()
    generated = None
    if simulate:
        generated = simulator.fill_if_empty(settings.landing_dir, settings.truth_dir,
                                            tier=tier)
    dagster_home(settings)

    import dagster as dg

    from .definitions import defs
    from .defs.dbt import dbt_project
    from .ingestion.loader import connect
    from .ingestion.schema import ensure_schemas

    con = connect(settings.warehouse)
    try:
        ensure_schemas(con)
        since = con.execute("SELECT coalesce(max(load_seq), 0) FROM "
                            "meta.ingest_ledger").fetchall()[0][0]
    finally:
        con.close()
    def execute(job: str, **kwargs):
        return _execute(defs, job, log_level, **kwargs)

    # The core job, its publish step held back until the S&OP cycle of the as-of month
    # is built too, so the snapshot is published once and holds both.
    published = dg.AssetKey(["published", "warehouse"])
    core_keys = defs.resolve_job_def("core").asset_layer.selected_asset_keys
    results = [execute("core", asset_selection=list(core_keys - {published}))]
    if results[0].success:
        cycle = _current_cycle(settings, defs)
        if cycle is not None:
            results.append(execute("sop_cycle", partition_key=cycle))
        results.append(execute("publish"))
    success = all(r.success for r in results)
    summary = build_summary(settings, since, dbt_project().manifest_path)
    if not success:
        summary.failures = [_failure_line(e) for r in results for e in r.all_events
                            if e.is_step_failure]
    return RunOutcome(success, summary, time.perf_counter() - started, generated)


def run_sop_cycle(settings: Settings, cycle: str | None = None,
                  log_level: str = "INFO") -> tuple[bool, str, list[str]]:
    """Re-run one S&OP cycle (partition key 'YYYY-MM-01'; None = the as-of month) on the
    warehouse as it is, then publish the snapshot: (success, cycle, failures).
    ValueError when there is no such cycle."""
    dagster_home(settings)
    from .definitions import defs

    partitions = defs.resolve_job_def("sop_cycle").partitions_def
    cycle = _current_cycle(settings, defs) if cycle is None else cycle
    if cycle is None or not partitions.has_partition_key(cycle):
        raise ValueError(f"no S&OP cycle {cycle}: cycles run from "
                         f"{partitions.get_first_partition_key()} to "
                         f"{partitions.get_last_partition_key()}")
    results = [_execute(defs, "sop_cycle", log_level, partition_key=cycle)]
    results.append(_execute(defs, "publish", log_level))
    failures = [_failure_line(e) for r in results for e in r.all_events
                if e.is_step_failure]
    return all(r.success for r in results), cycle, failures


def _execute(defs, job: str, log_level: str, **kwargs):
    import dagster as dg

    return defs.resolve_job_def(job).execute_in_process(
        instance=dg.DagsterInstance.get(), raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        **kwargs)


def _current_cycle(settings: Settings, defs) -> str | None:
    """The partition key of the S&OP cycle of the as-of date, when the sop_cycle job
    has that month."""
    from .ingestion.loader import connect
    from .planning.cycle import cycle_of

    con = connect(settings.warehouse)
    try:
        as_of = con.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()
    finally:
        con.close()
    if not as_of or as_of[0][0] is None:
        return None
    key = cycle_of(as_of[0][0]).isoformat()
    partitions = defs.resolve_job_def("sop_cycle").partitions_def
    return key if partitions.has_partition_key(key) else None


def _failure_line(event) -> str:
    error = getattr(event.event_specific_data, "error", None)
    if error is None:
        return str(event.step_key)
    return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
