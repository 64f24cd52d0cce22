"""Run the graph headless, in-process (docs/runbook.md, run modes): what `make run` does: the
core job, the S&OP cycle of the as-of month, the month close of the latest closed
month, then the published snapshot.

The in-process executor runs one step at a time, so the single-writer rule of DuckDB
holds without a daemon; each multiprocess step would also cost seconds here.

One headless run per data dir at a time (a lock file the kernel releases when the
process ends, however it ends): a second `tower run` is refused before it touches
anything. A run whose process was killed leaves its Dagster runs "started" and its slot
in the warehouse pool claimed, which would make every later step wait for ever: the
next run closes them first (docs/runbook.md, faults and recovery).
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .delivery.summary import Summary, build_summary
from .instance import dagster_home_path, instance
from .planning.cycle import MonthSpan, month_span
from .settings import Settings

RUN_LOCK = ".tower-run.lock"
# Tags of every run the headless runner starts: which data dir, which process; and of
# a run whose process was found dead.
RUNNER_TAG, DATA_DIR_TAG, PID_TAG = "ct/runner", "ct/data_dir", "ct/pid"
INTERRUPTED_TAG = "ct/interrupted"


class RunRefused(Exception):
    """The run did not start and changed nothing: another run holds the data dir, or
    the data dir cannot be written. The message is the one line a user reads."""


@dataclass
class RunOutcome:
    success: bool
    summary: Summary
    seconds: float
    generated: dict | None = None
    interrupted: list[str] = field(default_factory=list)  # earlier runs found killed


def run_core(settings: Settings, *, simulate: bool = True, tier: str = "demo",
             log_level: str = "INFO") -> RunOutcome:
    """The core graph, then the monthly assets of the as-of date (the S&OP cycle of the
    as-of month, the packs of the latest closed month), then one publish, each only
    where something is stale or missing. Dagster runs one partition key per run, so
    these are consecutive runs of the one graph, each visible in the UI's run
    history."""
    started = time.perf_counter()
    with exclusive_run(settings):
        return _run_core(settings, simulate, tier, log_level, started)


def _run_core(settings: Settings, simulate: bool, tier: str, log_level: str,
              started: float) -> RunOutcome:
    import simulator

    generated = None
    if simulate:
        generated = simulator.fill_if_empty(settings.landing_dir, settings.truth_dir,
                                            tier=tier)
    dagster_instance = instance(settings)
    interrupted = close_interrupted_runs(dagster_instance, settings)

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
        return _execute(defs, dagster_instance, settings, job, log_level, **kwargs)

    results = _run_out_of_date(defs, dagster_instance, settings, execute)
    success = all(r.success for r in results)
    summary = build_summary(settings, since, dbt_project().manifest_path)
    summary.built = sorted({e.asset_key.to_user_string() for r in results
                            for e in r.get_asset_materialization_events()})
    if not success:
        summary.failures = [_failure_line(e) for r in results for e in r.all_events
                            if e.is_step_failure]
    return RunOutcome(success, summary, time.perf_counter() - started, generated,
                      interrupted)


def check_writable(settings: Settings) -> None:
    """Refuse a run that could not write what it builds, before it writes anything:
    the data dir, the live warehouse, the published snapshot, the exports and the
    Dagster home (a read-only mount, or files owned by another user)."""
    targets = [settings.data_dir, settings.warehouse, settings.published.parent,
               settings.exports_dir, dagster_home_path(settings)]
    for target in targets:
        path = target
        while not path.exists() and path != path.parent:
            path = path.parent
        mode = os.W_OK | (os.X_OK if path.is_dir() else 0)
        if os.access(path, mode):
            continue
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            why = "it is on a read-only file system"
        else:
            why = f"user {os.getuid()} has no write permission there"
        raise RunRefused(f"cannot write {path}: {why}; a run needs write access to the "
                         f"data dir {settings.data_dir} (reading the published snapshot "
                         f"does not)")


@contextmanager
def exclusive_run(settings: Settings):
    """Hold <data_dir>/.tower-run.lock for the whole run; RunRefused when another
    process holds it. The lock file names the holder (pid, start time)."""
    check_writable(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / RUN_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            raise RunRefused(f"another run ({holder or 'pid unknown'}) is building "
                             f"{settings.data_dir}; this one changed nothing: run again "
                             f"when it has finished") from None
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {stamp}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def close_interrupted_runs(dagster_instance, settings: Settings) -> list[str]:
    """Runs this runner started on this data dir that are still in progress although
    this process holds the run lock: their process died (killed, power cut). Each is
    marked failed, its warehouse-pool slot freed (a claimed slot would make every later
    step wait for ever) and alerted once; returns one line per run."""
    from dagster import DagsterRunStatus, RunsFilter

    from .delivery.alerts import alert_for_run

    runs = dagster_instance.get_runs(RunsFilter(
        statuses=[DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
                  DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING],
        tags={RUNNER_TAG: "tower", DATA_DIR_TAG: str(settings.data_dir)}))
    lines = []
    for run in runs:
        pid = run.tags.get(PID_TAG, "?")
        message = (f"the process of this run (pid {pid}) ended before the run finished "
                   f"(killed or stopped); the next run rebuilds what it left unfinished")
        dagster_instance.add_run_tags(run.run_id, {INTERRUPTED_TAG: "true"})
        dagster_instance.report_run_failed(run, message)
        dagster_instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        alert_for_run(dagster_instance, run.run_id, settings)
        lines.append(f"run {run.run_id} ({run.job_name}, pid {pid}) had stopped without "
                     f"finishing: marked failed")
    return lines


def _run_out_of_date(defs, dagster_instance, settings: Settings, execute) -> list:
    """Observe the landing zone, then run only what is stale or missing (orchestration/
    stale.py): the ingest of the extracts whose folders changed; the rest of the core
    graph downstream of whatever then has a new data version; the S&OP cycle of the
    as-of month and the month close of the latest closed month when their inputs
    changed; at the end one publish and the docs site, when anything they hold
    changed. With nothing new in the landing zone no run builds anything."""
    import dagster as dg

    from .definitions import INGEST_KEYS
    from .stale import out_of_date, with_downstream

    results = [execute("observe_landing")]
    if not results[-1].success:
        return results
    everything = defs.resolve_job_def("core").asset_layer.selected_asset_keys
    # the snapshot and what reads it (the docs site) wait for the monthly runs
    last = with_downstream(defs, [dg.AssetKey(["published", "warehouse"])], everything)
    core = everything - last
    ingest = set(INGEST_KEYS.values())
    untested = untested_assets(defs, dagster_instance)

    def stale(keys: set, partition_key: str | None = None) -> set:
        return out_of_date(defs, dagster_instance, keys, partition_key) | (keys & untested)

    stale_ingest = stale(ingest)
    if stale_ingest:
        results.append(execute("core", asset_selection=sorted(stale_ingest)))
        if not results[-1].success:
            return results
    rest = with_downstream(defs, stale(core - ingest), core - ingest)
    if rest:
        results.append(execute("core", asset_selection=sorted(rest)))
        if not results[-1].success:
            return results
    span = register_months(settings, dagster_instance)
    for job, key in _monthly_runs(span):
        keys = defs.resolve_job_def(job).asset_layer.selected_asset_keys - last
        if stale(keys, key):
            results.append(execute(job, partition_key=key, asset_selection=sorted(keys)))
    if all(r.success for r in results):
        tail = with_downstream(defs, stale(last), last)
        if tail:
            results.append(execute("core", asset_selection=sorted(tail)))
    return results


def untested_assets(defs, dagster_instance) -> set:
    """Assets with a check whose latest execution was planned by a run that was killed
    (close_interrupted_runs tagged it): a kill between a dbt model and its tests leaves
    the model built and never tested, and Dagster does not count it stale. They are
    built (and tested) again, as if the kill had come before them. (A check a blocking
    check kept from running stays as it is: that run decided.)"""
    from dagster._core.storage.asset_check_execution_record import (
        AssetCheckExecutionRecordStatus,
    )

    keys = list(defs.resolve_asset_graph().asset_check_keys)
    records = dagster_instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    planned = {key: record for key, record in records.items()
               if record.status == AssetCheckExecutionRecordStatus.PLANNED}
    killed = set()
    for run_id in {record.run_id for record in planned.values()}:
        run = dagster_instance.get_run_by_id(run_id)
        if run is not None and run.is_finished and run.tags.get(INTERRUPTED_TAG):
            killed.add(run_id)
    return {key.asset_key for key, record in planned.items() if record.run_id in killed}


def register_months(settings: Settings, dagster_instance) -> MonthSpan | None:
    """Add the S&OP cycles and closed months the warehouse now spans to the instance's
    month partitions (orchestration/defs/partitions.py)."""
    from .defs.partitions import register_months as register
    from .ingestion.loader import connect

    con = connect(settings.warehouse)
    try:
        span = month_span(con)
    finally:
        con.close()
    register(dagster_instance, span)
    return span


def _monthly_runs(span: MonthSpan | None) -> list[tuple[str, str]]:
    """(job, partition) of the monthly assets `make run` materializes: the S&OP cycle of
    the as-of month and the month close of the latest closed month."""
    if span is None:
        return []
    runs = []
    if span.current_cycle:
        runs.append(("sop_cycle", span.current_cycle))
    if span.latest_closed_month:
        runs.append(("month_close", span.latest_closed_month))
    return runs


def run_sop_cycle(settings: Settings, cycle: str | None = None,
                  log_level: str = "INFO") -> tuple[bool, str, list[str]]:
    """Re-run one S&OP cycle ('YYYY-MM'; None = the as-of month) on the warehouse as it
    is, then publish the snapshot: (success, cycle, failures). FileNotFoundError before
    the first build; ValueError when the warehouse has no such cycle."""
    if not settings.warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse} yet: run "
                                "`make run` (or `tower run`) first")
    with exclusive_run(settings):
        return _run_sop_cycle(settings, cycle, log_level)


def _run_sop_cycle(settings: Settings, cycle: str | None,
                   log_level: str) -> tuple[bool, str, list[str]]:
    dagster_instance = instance(settings)
    close_interrupted_runs(dagster_instance, settings)
    from .definitions import defs

    span = register_months(settings, dagster_instance)
    if span is None:
        raise FileNotFoundError(f"the warehouse at {settings.warehouse} holds no orders "
                                "yet: run `make run` (or `tower run`) first")
    cycle = span.current_cycle if cycle is None else cycle[:7]
    if cycle not in span.cycles:
        raise ValueError(f"no S&OP cycle {cycle}: cycles run from {span.cycles[0]} to "
                         f"{span.cycles[-1]}")
    results = [_execute(defs, dagster_instance, settings, "sop_cycle", log_level,
                        partition_key=cycle)]
    failures = [_failure_line(e) for r in results for e in r.all_events
                if e.is_step_failure]
    return all(r.success for r in results), cycle, failures


def _execute(defs, dagster_instance, settings: Settings, job: str, log_level: str,
             **kwargs):
    """One in-process run; a failed run or failed blocking check writes its alert line
    (no daemon runs the alert sensors headless)."""
    from .delivery.alerts import alert_for_run

    result = defs.resolve_job_def(job).execute_in_process(
        instance=dagster_instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        tags={RUNNER_TAG: "tower", DATA_DIR_TAG: str(settings.data_dir),
              PID_TAG: str(os.getpid())},
        **kwargs)
    alert_for_run(dagster_instance, result.run_id, settings)
    return result


def _failure_line(event) -> str:
    """The step and the first line of the user's error (not Dagster's wrapper)."""
    from .delivery.alerts import error_line

    line = error_line(getattr(event.event_specific_data, "error", None))
    return f"{event.step_key}: {line}" if line else str(event.step_key)
