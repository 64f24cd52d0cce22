"""Run the graph headless, in-process (docs/runbook.md, run modes): what `make run` does: the
core job, the S&OP cycle of the as-of month, the month close of the latest closed
month, then the published snapshot.

The in-process executor runs one step at a time, so the single-writer rule of DuckDB
holds without a daemon; each multiprocess step would also cost seconds here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .delivery.summary import Summary, build_summary
from .instance import instance
from .planning.cycle import MonthSpan, month_span
from .settings import Settings



@dataclass
class RunOutcome:
    success: bool
    summary: Summary
    seconds: float
    generated: dict | None = None


def run_core(settings: Settings, *, simulate: bool = True, tier: str = "demo",
             log_level: str = "INFO") -> RunOutcome:
    """The core graph, then the monthly assets of the as-of date (the S&OP cycle of the
    as-of month, the packs of the latest closed month), then one publish, each only
    where something is stale or missing. Dagster runs one partition key per run, so
    these are consecutive runs of the one graph, each visible in the UI's run
    history."""
    import simulator

    started = time.perf_counter()
    generated = None
    if simulate:
        generated = simulator.fill_if_empty(settings.landing_dir, settings.truth_dir,
                                            tier=tier)
    dagster_instance = instance(settings)

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
    return RunOutcome(success, summary, time.perf_counter() - started, generated)


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
    stale_ingest = out_of_date(defs, dagster_instance, ingest)
    if stale_ingest:
        results.append(execute("core", asset_selection=sorted(stale_ingest)))
        if not results[-1].success:
            return results
    rest = with_downstream(defs, out_of_date(defs, dagster_instance, core - ingest),
                           core - ingest)
    if rest:
        results.append(execute("core", asset_selection=sorted(rest)))
        if not results[-1].success:
            return results
    span = register_months(settings, dagster_instance)
    for job, key in _monthly_runs(span):
        keys = defs.resolve_job_def(job).asset_layer.selected_asset_keys - last
        if out_of_date(defs, dagster_instance, keys, key):
            results.append(execute(job, partition_key=key, asset_selection=sorted(keys)))
    if all(r.success for r in results):
        tail = with_downstream(defs, out_of_date(defs, dagster_instance, last), last)
        if tail:
            results.append(execute("core", asset_selection=sorted(tail)))
    return results


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
    dagster_instance = instance(settings)
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
        **kwargs)
    alert_for_run(dagster_instance, result.run_id, settings)
    return result


def _failure_line(event) -> str:
    error = getattr(event.event_specific_data, "error", None)
    if error is None:
        return str(event.step_key)
    return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
