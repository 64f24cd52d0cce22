"""Settings have one source and nothing changes the process environment: importing the
definitions or writing a dbt profile leaves os.environ as it was, and dbt builds the
warehouse of the settings it was started with (a test's temporary data dir, never the
checkout's data/)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from orchestration.dbt_profile import profile_for, profiles_dir
from orchestration.settings import PROJECT_ROOT, load_settings


def test_importing_the_definitions_leaves_the_environment_alone(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CT_", "DAGSTER_"))}
    env["CT_DATA_DIR"] = str(tmp_path / "data")
    script = ("import json, os; before = dict(os.environ); "
              "import orchestration.definitions; "
              "print(json.dumps(sorted(set(os.environ.items()) ^ set(before.items()))))")
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert not (tmp_path / "data").exists(), "importing the definitions wrote to the data dir"


def test_the_dbt_profile_points_at_the_settings_warehouse(tmp_path):
    settings = load_settings({"CT_DATA_DIR": str(tmp_path / "data"),
                              "CT_DUCKDB_THREADS": "3", "CT_DUCKDB_MEMORY_LIMIT": "2GB"})
    folder = profiles_dir(settings)
    assert folder == tmp_path / "data" / "dbt_target"
    written = yaml.safe_load((folder / "profiles.yml").read_text())
    assert written == profile_for(settings)
    output = written["control_tower"]["outputs"][written["control_tower"]["target"]]
    assert Path(output["path"]) == tmp_path / "data" / "warehouse.duckdb"
    assert output["threads"] == 3 and output["settings"]["memory_limit"] == "2GB"
    # the repo's profile keeps its shape: adapter, schema and DuckDB options come from it
    repo = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text())
    repo_output = repo["control_tower"]["outputs"]["prod"]
    assert output["type"] == repo_output["type"] and output["schema"] == repo_output["schema"]
    assert output["settings"]["preserve_insertion_order"] is False
    # unchanged settings: the file is not rewritten (dbt re-parses on a changed profile)
    mtime = (folder / "profiles.yml").stat().st_mtime_ns
    profiles_dir(settings)
    assert (folder / "profiles.yml").stat().st_mtime_ns == mtime
