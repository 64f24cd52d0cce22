"""The dbt project as a fresh clone gets it: its one package, the generic tests
`ct_tests`, installs offline (`dbt deps` with every network connection refused), and
with it the dbt unit tests, hand-computed rows for every KPI formula and its edge cases,
pass.

The unit tests test the SQL, not the data, so production builds leave them out and this
test runs them (an empty warehouse is enough: unit tests bring their own rows)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.ingestion.schema import ensure_schemas
from orchestration.settings import DBT_PROJECT_DIR, load_settings

# dbt's command line in a process where every connection is refused and recorded
OFFLINE_DBT = """
import os, socket, sys

def refuse(*args, **kwargs):
    with open(os.environ["NETWORK_ATTEMPTS"], "a") as log:
        log.write(repr(args[1:] or args) + "\\n")
    raise OSError("the network is off")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse

from dbt.cli.main import cli
sys.exit(cli())
"""


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    """The dbt project copied as git has it (no dbt_packages/, target/ or logs/), its
    packages installed by `dbt deps` with the network refused: (project, deps output,
    the connections dbt tried)."""
    tmp = tmp_path_factory.mktemp("dbt_clone")
    project = tmp / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project,
                    ignore=shutil.ignore_patterns("dbt_packages", "target", "logs", ".user.yml"))
    attempts = tmp / "network_attempts.log"
    env = {**os.environ, "NETWORK_ATTEMPTS": str(attempts),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    out = subprocess.run(
        [sys.executable, "-c", OFFLINE_DBT, "--no-use-colors", "deps",
         "--project-dir", str(project), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=env, capture_output=True, text=True, cwd=project)
    return project, out, attempts.read_text() if attempts.exists() else ""


def test_the_generic_tests_install_offline_from_the_local_package(fresh_clone):
    project, deps, attempts = fresh_clone
    assert deps.returncode == 0, deps.stdout[-3000:] + deps.stderr[-2000:]
    assert attempts == ""
    # packages.yml lists local packages only, and each one is linked from dbt_packages/
    listed = yaml.safe_load((project / "packages.yml").read_text())["packages"]
    assert listed == [{"local": "packages/ct_tests"}]
    assert (project / "dbt_packages" / "ct_tests").resolve() == \
        (project / "packages" / "ct_tests").resolve()
    # one copy of each generic test: in the package, none left in the project
    generic = {p.stem for p in (project / "packages" / "ct_tests" / "tests" / "generic").iterdir()}
    assert generic == {"unique_combination_of_columns", "accepted_range",
                       "expression_is_true", "row_count"}
    assert {p.stem for p in (project / "tests" / "generic").iterdir()} == {"unique_source_key"}


def test_every_dbt_unit_test_passes(fresh_clone, tmp_path):
    project, deps, _ = fresh_clone
    assert deps.returncode == 0
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_schemas(con)
    con.close()
    settings = load_settings({"CT_DATA_DIR": str(tmp_path), "CT_WAREHOUSE": str(warehouse)})
    env = {**os.environ, **settings.dbt_env()}
    dbt = Path(sys.executable).with_name("dbt")
    out = subprocess.run(
        [str(dbt), "--no-use-colors", "build", "--select", "+test_type:unit", "--exclude-resource-type", "test",
         "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(project),
         "--target-path", str(tmp_path / "target")],
        env=env, capture_output=True, text=True, cwd=project)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    passed = [line for line in out.stdout.splitlines() if " PASS " in line and "::" in line]
    assert len(passed) >= 20, out.stdout[-3000:]
