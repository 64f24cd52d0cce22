"""The real Dagster UI in a real headless Chromium: lineage grouped by lifecycle stage,
and "Materialize all" on the core job reaches Success and publishes the warehouse.

The global lineage also holds the month-partitioned S&OP cycle, where "Materialize all"
asks for partitions; the core graph is unpartitioned, so it is launched from the `core`
job's page, as a data engineer would."""

import json
import os
import re
import shutil
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
from orchestration.instance import DAGSTER_YAML

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
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
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")
    port = _free_port()
    # as `make ui` runs it: the environment's bin dir is not necessarily on PATH
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if Path(p).resolve() != Path(sys.executable).parent.resolve())
    env = {**os.environ, "PATH": path, "DAGSTER_HOME": str(home), "CT_DATA_DIR": str(data)}
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


def test_materialize_all_from_the_ui_builds_and_publishes(dagster_ui):
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
            page.screenshot(path=str(tmp_path / "lineage.png"))
            location = _graphql(port, "{ workspaceOrError { ... on Workspace { "
                                      "locationEntries { name } } } }"
                                )["workspaceOrError"]["locationEntries"][0]["name"]
            page.goto(f"http://127.0.0.1:{port}/locations/"
                      f"{urllib.parse.quote(location, safe='')}/jobs/core")
            # "Materialize all", not "Materialize all…" (the partition dialog)
            button = page.get_by_role("button", name=re.compile(r"Materialize all$"))
            expect(button).to_be_visible()
            page.screenshot(path=str(tmp_path / "core_job.png"))
            button.click()
            deadline, status = time.monotonic() + 420, None
            while time.monotonic() < deadline:
                runs = _graphql(port, "{ runsOrError(limit: 1) { ... on Runs { results "
                                      "{ runId status } } } }")["runsOrError"]["results"]
                status = runs[0]["status"] if runs else None
                if status in ("SUCCESS", "FAILURE", "CANCELED"):
                    break
                time.sleep(2)
            assert status == "SUCCESS", f"the run ended {status}; see {tmp_path}/dagster.log"
            page.goto(f"http://127.0.0.1:{port}/runs/{runs[0]['runId']}")
            expect(page.get_by_text("Success").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "run.png"))
        finally:
            browser.close()
    published = data / "published" / "warehouse.duckdb"
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM marts.fct_sales_order_lines").fetchall()[0][0] > 0
        assert con.execute("SELECT count(DISTINCT cutoff) FROM forecast.demand_forecast"
                           ).fetchall()[0][0] == 14
        assert con.execute("SELECT count(*) FROM marts.forecast_accuracy").fetchall()[0][0] > 0
    finally:
        con.close()
