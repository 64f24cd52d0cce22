"""Run the core graph headless, in-process (DESIGN.md run modes): what `make run` does.

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
    result = defs.resolve_job_def("core").execute_in_process(
        instance=dg.DagsterInstance.get(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    summary = build_summary(settings, since, dbt_project().manifest_path)
    if not result.success:
        summary.failures = [_failure_line(e) for e in result.all_events if e.is_step_failure]
    return RunOutcome(result.success, summary, time.perf_counter() - started, generated)


def _failure_line(event) -> str:
    error = getattr(event.event_specific_data, "error", None)
    if error is None:
        return str(event.step_key)
    return f"{event.step_key}: {error.message.strip().splitlines()[0]}"
