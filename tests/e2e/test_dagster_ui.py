"""The real Dagster UI in a real headless Chromium, as a data engineer uses it:
lineage grouped by lifecycle stage; "Materialize all" on the core job reaches Success and
publishes the warehouse; then the landing sensor is switched on in the UI, a new day's
deliveries land, and with no further click a sensor run publishes a newer snapshot;
finally one past month of the finance pack is launched from its partitions.

The global lineage also holds the month-partitioned assets, where "Materialize all" asks
for partitions; the core graph is unpartitioned, so it is launched from the `core` job's
page. Screenshots are kept under test-artifacts/e2e/ (CT_TEST_ARTIFACTS)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest

import simulator
from orchestration.instance import dagster_yaml

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("CT_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "e2e"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["data"]


def _wait_loaded(port: int, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"dagster dev exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            data = _graphql(port, "{ workspaceOrError { ... on Workspace { locationEntries "
                                  "{ name loadStatus locationOrLoadError { __typename "
                                  "... on PythonError { message } } } } } }")
            entries = data["workspaceOrError"]["locationEntries"]
            for e in entries:
                error = e["locationOrLoadError"] or {}
                if error.get("__typename") == "PythonError":
                    raise AssertionError(f"code location {e['name']} failed to load: "
                                         f"{error['message']}")
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("the Dagster UI did not load its code location in time")


@pytest.fixture
def dagster_ui(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` "
                    "(.ci/run installs it); this test drives the real UI and cannot skip")
    data = tmp_path / "data"
    simulator.generate(data / "landing", data / "simulator_truth", tier="tiny")
    home = tmp_path / "dagster_home"
    (home / ".nux").mkdir(parents=True)
    (home / "dagster.yaml").write_text(dagster_yaml(home))
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")
    port = _free_port()
    # as `make ui` runs it: the environment's bin dir is not necessarily on PATH
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if Path(p).resolve() != Path(sys.executable).parent.resolve())
    # only what a user would set: no CT_* variable leaks in from this process, and the
    # landing sensor starts stopped so the test can switch it on as a person would
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CT_", "DAGSTER_"))}
    env.update({"PATH": path, "DAGSTER_HOME": str(home), "CT_DATA_DIR": str(data),
                "CT_LANDING_SENSOR": "off"})
    dagster = str(Path(sys.executable).with_name("dagster"))
    server = subprocess.Popen(
        ["env", "--default-signal=INT", dagster, "dev", "-w", str(ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=open(tmp_path / "dagster.log", "wb"), stderr=subprocess.STDOUT)
    try:
        _wait_loaded(port, server)
        yield port, data, tmp_path
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def test_the_ui_builds_publishes_and_refreshes_on_new_deliveries(dagster_ui):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    port, data, tmp_path = dagster_ui
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"http://127.0.0.1:{port}/asset-groups")
            for stage in ("plan", "source", "make", "deliver", "return", "finance"):
                expect(page.get_by_text(stage, exact=True).first).to_be_visible()
            _shot(page, "lineage.png")
            location = _graphql(port, "{ workspaceOrError { ... on Workspace { "
                                      "locationEntries { name } } } }"
                                )["workspaceOrError"]["locationEntries"][0]["name"]
            page.goto(f"http://127.0.0.1:{port}/locations/"
                      f"{urllib.parse.quote(location, safe='')}/jobs/core")
            # "Materialize all", not "Materialize all…" (the partition dialog)
            button = page.get_by_role("button", name=re.compile(r"Materialize all$"))
            expect(button).to_be_visible()
            _shot(page, "core_job.png")
            button.click()
            # On a fresh install the publish step's monthly inputs (the S&OP cycle) are
            # not built yet: the UI asks to confirm, and a data engineer confirms.
            confirm = page.get_by_role("button", name="Confirm")
            try:
                confirm.wait_for(timeout=15_000)
            except PlaywrightTimeout:
                pass
            else:
                _shot(page, "confirm.png")
                confirm.click()
            run_id = _wait_for_run(port, "core")
            page.goto(f"http://127.0.0.1:{port}/runs/{run_id}")
            expect(page.get_by_text("Success").first).to_be_visible()
            _shot(page, "run.png")
            first = _published_state(data)
            assert first["sales_lines"] > 0 and first["forecast_cutoffs"] == 14
            assert first["forecast_accuracy_rows"] > 0

            # switch the landing sensor on from its page, as a data engineer would
            page.goto(f"http://127.0.0.1:{port}/locations/"
                      f"{urllib.parse.quote(location, safe='')}/sensors/landing_deliveries")
            assert _sensor_status(port, location, "landing_deliveries") == "STOPPED"
            # the switch is a styled label around a hidden checkbox: click what a person sees
            switch = page.locator("label", has=page.locator("input[type=checkbox]")).first
            expect(switch).to_be_visible()
            switch.click()
            _wait_until(lambda: _sensor_status(port, location, "landing_deliveries") == "RUNNING",
                        60, "the landing sensor did not start")
            _shot(page, "sensor_on.png")
            simulator.append(data / "landing", data / "simulator_truth", days=1)
            run_id = _wait_for_run(port, "core", after=run_id, sensor="landing_deliveries")
            page.goto(f"http://127.0.0.1:{port}/runs/{run_id}")
            expect(page.get_by_text("landing_deliveries").first).to_be_visible()
            _shot(page, "sensor_run.png")

            # finance re-runs one past closed month from the pack's partitions
            month = _closed_months(tmp_path / "dagster_home")[0]
            page.goto(f"http://127.0.0.1:{port}/assets/exports/finance_close_pack"
                      "?view=partitions")
            page.get_by_role("button", name=re.compile("Materialize…")).first.click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_text(re.compile("Select a partition")).first.click()
            page.get_by_placeholder("Filter partitions").fill(month)
            matches = page.get_by_text(month, exact=True)
            expect(matches.last).to_be_attached()
            [m for m in matches.all() if m.is_visible()][-1].click()
            page.keyboard.press("Escape")
            _shot(page, "finance_partition.png")
            dialog.get_by_role("button", name=re.compile("^Launch 1 run")).click()
            pack_run = _wait_for_run(port, "__ASSET_JOB", partition=month)
            page.goto(f"http://127.0.0.1:{port}/runs/{pack_run}")
            expect(page.get_by_text("Success").first).to_be_visible()
            _shot(page, "finance_run.png")
        finally:
            browser.close()
    second = _published_state(data)
    assert second["ledger_files"] > first["ledger_files"]
    assert second["latest_order_date"] > first["latest_order_date"]
    pack = data / "exports" / "finance" / month
    assert (pack / f"finance_close_pack_{month}.xlsx").stat().st_size > 0


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _wait_until(condition, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(2)
    raise AssertionError(message)


def _sensor_status(port: int, location: str, name: str) -> str | None:
    data = _graphql(port, "{ sensorOrError(sensorSelector: {repositoryLocationName: "
                          f"{json.dumps(location)}, repositoryName: \"__repository__\", "
                          f"sensorName: {json.dumps(name)}}}) {{ ... on Sensor "
                          "{ sensorState { status } } } }")
    return (data["sensorOrError"].get("sensorState") or {}).get("status")


def _closed_months(home: Path) -> list[str]:
    """The closed months the core run registered (the finance pack's partitions)."""
    import dagster as dg

    from orchestration.defs.partitions import CLOSED_MONTHS

    return dg.DagsterInstance.from_config(str(home)).get_dynamic_partitions(CLOSED_MONTHS.name)


def _wait_for_run(port: int, job: str, after: str | None = None,
                  sensor: str | None = None, partition: str | None = None,
                  seconds: float = 600) -> str:
    """The newest run of `job` (started after run `after`, by `sensor` / for `partition`
    when given) once it has finished; fails unless it succeeded."""
    deadline, run = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        runs = _graphql(port, "{ runsOrError(limit: 5) { ... on Runs { results "
                              "{ runId status jobName tags { key value } } } } }"
                        )["runsOrError"]["results"]
        for candidate in runs:
            if candidate["runId"] == after:
                break
            tags = {t["key"]: t["value"] for t in candidate["tags"]}
            if candidate["jobName"] == job and (sensor is None or
                                               tags.get("dagster/sensor_name") == sensor) \
                    and (partition is None or tags.get("dagster/partition") == partition):
                run = candidate
                break
        if run and run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        run = None
        time.sleep(3)
    assert run is not None, f"no finished {job} run in {seconds} s"
    assert run["status"] == "SUCCESS", f"run {run['runId']} ended {run['status']}"
    return run["runId"]


def _published_state(data: Path) -> dict:
    con = duckdb.connect(str(data / "published" / "warehouse.duckdb"), read_only=True)
    try:
        def one(sql: str):
            return con.execute(sql).fetchall()[0][0]

        return {
            "sales_lines": one("SELECT count(*) FROM marts.fct_sales_order_lines"),
            "forecast_cutoffs": one("SELECT count(DISTINCT cutoff) FROM forecast.demand_forecast"),
            "forecast_accuracy_rows": one("SELECT count(*) FROM marts.forecast_accuracy"),
            "ledger_files": one("SELECT count(*) FROM meta.ingest_ledger"),
            "latest_order_date": one("SELECT max(order_date) FROM marts.fct_sales_order_lines"),
        }
    finally:
        con.close()
