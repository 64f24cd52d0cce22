"""`tower`: the command line of the platform (make run, make ui and the tests use it).

    tower run       fill an empty landing zone with the demo company, materialize the
                    core graph headless (in-process), print the summary
    tower sop-cycle re-run one S&OP cycle (default: the as-of month) and publish
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

from .settings import DBT_PROJECT_DIR, PROJECT_ROOT, load_settings


def prepare(_args) -> int:
    settings = load_settings()
    env = {**os.environ, **settings.dbt_env()}
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")
    cmd = [dbt, "parse", "--quiet",
           "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR)]
    return subprocess.run(cmd, env=env, cwd=DBT_PROJECT_DIR).returncode


def run(args) -> int:
    from .delivery.summary import render
    from .runner import run_core

    settings = load_settings()
    outcome = run_core(settings, simulate=not args.no_simulate, tier=args.tier,
                       log_level=args.log_level)
    if args.json:
        print(json.dumps(outcome.summary.as_dict(), default=str))
    else:
        if outcome.generated:
            print(f"The landing zone was empty: wrote the {args.tier} demo company "
                  f"(as of {outcome.generated['as_of']}).")
        print(render(outcome.summary, settings, outcome.seconds))
    return 0 if outcome.success else 1


def sop_cycle(args) -> int:
    from .runner import run_sop_cycle

    cycle = args.cycle
    if cycle and len(cycle) == 7:
        cycle += "-01"
    try:
        ok, cycle, failures = run_sop_cycle(load_settings(), cycle, args.log_level)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"S&OP cycle {cycle}: {'published' if ok else 'FAILED'}")
    for line in failures:
        print(f"  {line}")
    return 0 if ok else 1


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
    p = sub.add_parser("sop-cycle", help="re-run one S&OP cycle and publish")
    p.add_argument("--cycle", help="the cycle month, YYYY-MM (default: the as-of month)")
    p.add_argument("--log-level", default="INFO")
    p.set_defaults(func=sop_cycle)
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
