"""`tower`: the command line of the platform (make run, make ui and the tests use it).

    tower run       fill an empty landing zone with the demo company, materialize the
                    core graph headless (in-process), print the summary
    tower sop-cycle re-run one S&OP cycle (default: the as-of month) and publish
    tower prepare   prepare the dbt manifest (dbt parse) the definitions load
    tower ui        the Dagster UI on 127.0.0.1 with the same definitions
    tower ask       planners' and buyers' questions, answered from the published snapshot
    tower kpi       the headline KPIs, from the published snapshot

Exit codes: 0 success (an answer), 1 failure, 2 bad usage or an unknown id.
"""

from __future__ import annotations

import json
import os
import re
import sys
from decimal import Decimal
from typing import Annotated, Optional

import typer

from .settings import PROJECT_ROOT, Settings, load_settings

app = typer.Typer(name="tower", help=__doc__.split("\n")[0], add_completion=False,
                  pretty_exceptions_enable=False, rich_markup_mode=None)
ask_app = typer.Typer(help="Answer a planner's or buyer's question from the published "
                           "warehouse.", add_completion=False, rich_markup_mode=None)
app.add_typer(ask_app, name="ask")

JsonOption = Annotated[bool, typer.Option("--json", help="print the answer as JSON")]
LogLevelOption = Annotated[str, typer.Option("--log-level", help="Dagster log level")]


def _fail(message: str, exit_code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return exit_code


def _warehouse_error(settings: Settings, exc: Exception) -> str | None:
    """The one line a user reads for a DuckDB error met opening the live warehouse;
    None for an error that is not about the warehouse file."""
    import duckdb

    text = str(exc)
    if isinstance(exc, duckdb.IOException) and "Could not set lock" in text:
        pid = re.search(r"PID (\d+)", text)
        holder = f" (pid {pid.group(1)})" if pid else ""
        return (f"the warehouse {settings.warehouse} is in use by another "
                f"process{holder}: wait for it or stop it")
    if isinstance(exc, duckdb.CatalogException):
        return (f"the warehouse {settings.warehouse} is not built yet "
                f"({text.splitlines()[0]}): run `tower run` first")
    return None


@app.command()
def prepare() -> int:
    """Prepare the dbt manifest (dbt parse) the definitions load."""
    from .dbt_profile import prepare_manifest

    return prepare_manifest(load_settings())


@app.command()
def run(
    tier: Annotated[str, typer.Option(help="simulator tier for an empty landing zone")] = "demo",
    no_simulate: Annotated[bool, typer.Option(
        "--no-simulate", help="never fill an empty landing zone with the demo company")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    log_level: LogLevelOption = "INFO",
) -> int:
    """Materialize the core graph headless, publish, print the summary."""
    import duckdb

    from .delivery.summary import render
    from .runner import RunRefused, run_core

    settings = load_settings()
    if no_simulate and not settings.landing_dir.is_dir():
        return _fail(f"no landing zone at {settings.landing_dir}: deliver the extracts "
                     f"there, or run without --no-simulate for the demo company")
    try:
        outcome = run_core(settings, simulate=not no_simulate, tier=tier,
                           log_level=log_level)
    except RunRefused as exc:
        return _fail(str(exc))
    except duckdb.Error as exc:
        line = _warehouse_error(settings, exc)
        if line is None:
            raise
        return _fail(line)
    if as_json:
        print(json.dumps(outcome.summary.as_dict(), default=str))
    else:
        for line in outcome.interrupted:
            print(f"Earlier: {line}.")
        if outcome.generated:
            print(f"The landing zone was empty: wrote the {tier} demo company "
                  f"(as of {outcome.generated['as_of']}).")
        print(render(outcome.summary, settings, outcome.seconds))
    return 0 if outcome.success else 1


def cycle_key(cycle: str | None) -> str | None:
    """The S&OP cycle key 'YYYY-MM' from 'YYYY-MM' or 'YYYY-MM-01'."""
    if cycle is None:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-01)?", cycle.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise typer.BadParameter(f"{cycle!r} is not a month: use YYYY-MM",
                                 param_hint="'--cycle'")
    return f"{match.group(1)}-{match.group(2)}"


@app.command("sop-cycle")
def sop_cycle(
    cycle: Annotated[Optional[str], typer.Option(
        help="the cycle month, YYYY-MM (default: the as-of month)")] = None,
    log_level: LogLevelOption = "INFO",
) -> int:
    """Re-run one S&OP cycle on the warehouse as it is and publish."""
    import duckdb

    from .runner import RunRefused, run_sop_cycle

    key = cycle_key(cycle)
    settings = load_settings()
    if not settings.warehouse.exists():
        return _fail(f"no warehouse at {settings.warehouse}: run `tower run` first")
    try:
        ok, key, failures = run_sop_cycle(settings, key, log_level)
    except RunRefused as exc:
        return _fail(str(exc))
    except ValueError as exc:
        return _fail(str(exc), 2)
    except duckdb.Error as exc:
        line = _warehouse_error(settings, exc)
        if line is None:
            raise
        return _fail(line)
    print(f"S&OP cycle {key}: {'published' if ok else 'FAILED'}")
    for line in failures:
        print(f"  {line}")
    return 0 if ok else 1


# The UI listens on the loopback interface only, unless told otherwise (--host).
UI_HOST = "127.0.0.1"


def ui_command(settings: Settings, host: str = UI_HOST, port: int = 3000,
               environ: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The `dagster dev` command `tower ui` runs, and its environment: the UI's
    processes share the settings' Dagster home (run history of `make run`); the
    environment's bin folder comes first, so dbt and dagster are this environment's."""
    from .instance import dagster_home

    environ = os.environ if environ is None else environ
    bin_dir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bin_dir, "dagster"), "dev", "-w",
           str(PROJECT_ROOT / "workspace.yaml"), "-h", host, "-p", str(port)]
    env = {**environ, "DAGSTER_HOME": str(dagster_home(settings)),
           "PATH": bin_dir + os.pathsep + environ.get("PATH", "")}
    return cmd, env


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="address to listen on")] = UI_HOST,
    port: Annotated[int, typer.Option(help="port to listen on")] = 3000,
) -> int:
    """The Dagster UI with the same definitions."""
    settings = load_settings()
    cmd, env = ui_command(settings, host, port)
    if prepare() != 0:
        return 1
    os.execve(cmd[0], cmd, env)


def print_answer(answer, as_json: bool) -> None:
    """The sentence, then the rows as a table; or both as one JSON object."""
    if as_json:
        print(json.dumps(answer.as_dict(), default=str))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=240)
    console.print(answer.sentence, markup=False, soft_wrap=True)
    if not answer.rows:
        return
    table = Table(show_edge=False, header_style="bold")
    for i, column in enumerate(answer.columns):
        values = [row[i] for row in answer.rows if row[i] is not None]
        numeric = values and all(isinstance(v, (int, float, Decimal)) and
                                 not isinstance(v, bool) for v in values)
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in answer.rows:
        table.add_row(*(Text(_cell(v)) for v in row))
    console.print(table)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return f"{int(value):,}"
        return f"{value.quantize(Decimal('0.01')):,}"
    return str(value)


def _answer(question, *args, as_json: bool, **kwargs) -> int:
    """Ask the published snapshot one question and render the answer."""
    from .delivery import answers

    try:
        answer = question(load_settings().published, *args, **kwargs)
    except answers.UnknownId as exc:
        return _fail(str(exc), 2)
    except answers.AnswerError as exc:
        return _fail(str(exc), 1)
    print_answer(answer, as_json)
    return 0


@ask_app.command()
def availability(
    item: Annotated[str, typer.Argument(metavar="ITEM", help="the item id")],
    site: Annotated[Optional[str], typer.Option(help="one site (default: every site)")] = None,
    qty: Annotated[float, typer.Option(min=0.0001, help="the quantity needed")] = 1,
    as_json: JsonOption = False,
) -> int:
    """When will QTY units of ITEM be available (per site)?"""
    from .delivery import answers

    return _answer(answers.availability, item, site=site, qty=qty, as_json=as_json)


@ask_app.command("why-late")
def why_late(
    so_id: Annotated[str, typer.Argument(metavar="SO_ID", help="the sales order id")],
    as_json: JsonOption = False,
) -> int:
    """Why was a sales order late: root cause and evidence per line."""
    from .delivery import answers

    return _answer(answers.why_late, so_id, as_json=as_json)


@ask_app.command("last-order")
def last_order(
    customer: Annotated[str, typer.Argument(metavar="CUSTOMER", help="the customer id")],
    as_json: JsonOption = False,
) -> int:
    """When did a customer last order, and what?"""
    from .delivery import answers

    return _answer(answers.last_order, customer, as_json=as_json)


@ask_app.command()
def chase(
    supplier: Annotated[Optional[str], typer.Argument(metavar="[SUPPLIER]",
        help="the supplier id (default: every supplier)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="lines shown, most urgent first")] = 10,
    as_json: JsonOption = False,
) -> int:
    """Which purchase order lines to chase, most urgent first."""
    from .delivery import answers

    return _answer(answers.chase, supplier, limit=limit, as_json=as_json)


@app.command()
def kpi(
    name: Annotated[Optional[str], typer.Argument(metavar="[NAME]",
        help="one KPI (default: every KPI); `tower kpi` lists the names")] = None,
    month: Annotated[Optional[str], typer.Option(help="one month, YYYY-MM")] = None,
    as_json: JsonOption = False,
) -> int:
    """The headline KPIs of the last closed month, or one KPI month by month."""
    from .delivery import answers

    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise typer.BadParameter(f"{month!r} is not a month: use YYYY-MM",
                                 param_hint="'--month'")
    return _answer(answers.kpi, name, month=month, as_json=as_json)


def main(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, prog_name="tower", standalone_mode=False)
    except typer.TyperException as exc:     # usage errors carry exit code 2
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except typer.Abort:
        return _fail("interrupted")
    except Exception as exc:  # noqa: BLE001 - one line for the user, not a traceback
        return _fail(f"{type(exc).__name__}: {exc}".splitlines()[0])
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
