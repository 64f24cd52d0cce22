"""`tower`: the command line of the platform (make run, make ui and the tests use it).

    tower run       fill an empty landing zone with the demo company, materialize the
                    core graph headless (in-process), print the summary
    tower prepare   prepare the dbt manifest (dbt parse) the definitions load
    tower ui        the Dagster UI on 127.0.0.1 with the same definitions

Exit codes: 0 success, 1 failure, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from .settings import DBT_PROJECT_DIR, PROJECT_ROOT, load_settings


def prepare(_args) -> int:
    settings = load_settings()
    env = {**os.environ, **settings.dbt_env()}
    cmd = [sys.executable, "-m", "dbt.cli.main", "parse", "--quiet",
           "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR)]
    return subprocess.run(cmd, env=env, cwd=DBT_PROJECT_DIR).returncode


def run(args) -> int:
    import simulator

    from .delivery.summary import build_summary, render
    from .instance import dagster_home

    settings = load_settings()
    started = time.perf_counter()
    if not args.no_simulate:
        manifest = simulator.fill_if_empty(settings.landing_dir, settings.truth_dir,
                                           tier=args.tier)
        if manifest:
            print(f"Landing zone was empty: wrote the {args.tier} demo company "
                  f"(as of {manifest['as_of']}) in {time.perf_counter() - started:.1f} s",
                  flush=True)
    dagster_home(settings)

    import dagster as dg

    from .definitions import defs
    from .defs.dbt import dbt_project
    from .ingestion.loader import connect
    from .ingestion.schema import ensure_schemas

    with connect(settings.warehouse) as con:
        ensure_schemas(con)
        since = con.execute("SELECT coalesce(max(load_seq), 0) FROM "
                            "meta.ingest_ledger").fetchall()[0][0]
    job = defs.resolve_job_def("core")
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": args.log_level}}}},
    )
    summary = build_summary(settings, since, dbt_project().manifest_path)
    if not result.success:
        summary.failures = [
            f"{e.step_key}: {e.event_specific_data.error.message.strip().splitlines()[0]}"
            if e.event_specific_data and getattr(e.event_specific_data, "error", None)
            else str(e.step_key)
            for e in result.all_events if e.is_step_failure]
    if args.json:
        print(json.dumps(summary.as_dict(), default=str))
    else:
        print(render(summary, settings, time.perf_counter() - started))
    return 0 if result.success else 1


def ui(args) -> int:
    from .instance import dagster_home

    settings = load_settings()
    dagster_home(settings)
    if prepare(args) != 0:
        return 1
    cmd = ["dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
           "-h", args.host, "-p", str(args.port)]
    os.execvpe(os.path.join(os.path.dirname(sys.executable), cmd[0]), cmd, os.environ)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tower", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="materialize the core graph headless")
    p.add_argument("--tier", default="demo", help="simulator tier for an empty landing zone")
    p.add_argument("--no-simulate", action="store_true",
                   help="never fill an empty landing zone with the demo company")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--log-level", default="INFO")
    p.set_defaults(func=run)
    p = sub.add_parser("prepare", help="prepare the dbt manifest")
    p.set_defaults(func=prepare)
    p = sub.add_parser("ui", help="the Dagster UI on 127.0.0.1")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(func=ui)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
