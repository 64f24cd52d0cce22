"""The dbt profile of a run, written from the Settings (plain Python).

dbt_project/profiles.yml is the one profile: its shape (adapter, schema, DuckDB
settings) and, for a person running dbt by hand, defaults from CT_* variables. The
pipeline never relies on those variables being set: it writes the same profile with the
values of its Settings (warehouse path, threads, memory limit) under
<data_dir>/dbt_target/ and points dbt there, so a dbt step always builds the warehouse
of the settings the process was started with, and nothing touches os.environ.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from .settings import DBT_PROJECT_DIR, Settings

PROFILE_NAME = "control_tower"


def dbt_executable() -> str:
    """This environment's dbt, whether or not its bin folder is on PATH."""
    executable = Path(sys.executable).with_name("dbt")
    return str(executable) if executable.exists() else "dbt"


def profile_for(settings: Settings) -> dict:
    """dbt_project/profiles.yml with this run's values in place of the CT_* defaults."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    target = profiles[PROFILE_NAME]["target"]
    output = profiles[PROFILE_NAME]["outputs"][target]
    output["path"] = str(settings.warehouse)
    output["threads"] = settings.duckdb_threads
    output["settings"] = {**output.get("settings", {}),
                          "threads": settings.duckdb_threads,
                          "memory_limit": settings.duckdb_memory_limit}
    return profiles


def profiles_dir(settings: Settings, folder: Path | None = None) -> Path:
    """The folder (default <data_dir>/dbt_target) holding this run's profiles.yml;
    rewritten only when it changes (dbt re-parses everything when its profile changes)."""
    folder = folder or settings.data_dir / "dbt_target"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profiles.yml"
    text = ("# Written by orchestration/dbt_profile.py from the run's settings: edit "
            "dbt_project/profiles.yml or the CT_* variables instead.\n"
            + yaml.safe_dump(profile_for(settings), sort_keys=True))
    previous = path.read_text() if path.exists() else None
    if previous != text:
        tmp = path.with_name(f".profiles.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        if previous is not None:
            _keep_parse_state(folder, yaml.safe_load(previous), profile_for(settings))
    return folder


def _output(profiles: dict) -> dict:
    profile = profiles[PROFILE_NAME]
    return profile["outputs"][profile["target"]]


def profile_hash(profiles: dict) -> str | None:
    """dbt's state_check.profile_hash for a DuckDB profile: the sha256 of the pformat of
    the sorted connection info (dbt/parser/manifest.py; the keys are dbt-duckdb's
    DuckDBCredentials._connection_keys, the database is the file's stem). None when the
    profile is not a plain file path."""
    import hashlib
    import pprint

    output = _output(profiles)
    warehouse = Path(str(output.get("path", "")))
    if output.get("type") != "duckdb" or warehouse.suffix not in (".duckdb", ".db"):
        return None
    info = {"attach": None, "config_options": None, "database": warehouse.stem,
            "disable_transactions": False, "extensions": None, "external_root": ".",
            "filesystems": None, "path": str(warehouse), "plugins": None, "remote": None,
            "schema": output.get("schema"), "settings": output.get("settings"),
            "use_credential_provider": None}
    if set(output) - {"type", "threads", *info}:
        return None
    info.update({k: v for k, v in output.items() if k in info and k != "database"})
    return hashlib.sha256(pprint.pformat(sorted(info.items())).encode()).hexdigest()


def _keep_parse_state(folder: Path, old: dict, new: dict) -> None:
    """A data dir that moved (a copy, a restore) keeps its dbt parse state: the steps'
    partial_parse.msgpack files record the hash of the profile they were parsed with,
    and dbt re-parses the whole project (~6 CPU seconds a step) when it differs, though
    only the warehouse's folder changed. When the two profiles differ in nothing but
    that folder (same file name, so the same database name in every node), each state
    parsed with the old profile is marked as parsed with the new one. A state whose
    hash is not the old profile's (or a profile this cannot hash) is left for dbt."""
    import msgpack

    old_out, new_out = _output(old), _output(new)
    if ({k: v for k, v in old_out.items() if k != "path"}
            != {k: v for k, v in new_out.items() if k != "path"}
            or Path(str(old_out.get("path"))).name != Path(str(new_out.get("path"))).name):
        return
    old_hash, new_hash = profile_hash(old), profile_hash(new)
    if old_hash is None or new_hash is None:
        return
    for state in folder.glob(f"*/{PARTIAL_PARSE}"):
        manifest = msgpack.unpackb(state.read_bytes(), raw=False, strict_map_key=False)
        recorded = manifest.get("state_check", {}).get("profile_hash", {})
        if recorded.get("checksum") != old_hash:
            continue
        recorded["checksum"] = new_hash
        tmp = state.with_name(f".{PARTIAL_PARSE}.{os.getpid()}.tmp")
        tmp.write_bytes(msgpack.packb(manifest, use_bin_type=True))
        os.replace(tmp, state)


def missing_packages() -> list[str]:
    """The local packages of dbt_project/packages.yml that dbt_packages/ does not link
    to (a fresh clone, or a checkout that moved)."""
    listed = yaml.safe_load((DBT_PROJECT_DIR / "packages.yml").read_text())["packages"]
    missing = []
    for package in listed:
        source = (DBT_PROJECT_DIR / package["local"]).resolve()
        name = yaml.safe_load((source / "dbt_project.yml").read_text())["name"]
        installed = DBT_PROJECT_DIR / "dbt_packages" / name
        if not installed.exists() or installed.resolve() != source:
            missing.append(name)
    return missing


def prepare_manifest(settings: Settings, quiet: bool = True) -> int:
    """`dbt deps` when a local package is not linked yet (offline: local packages only),
    then `dbt parse` into dbt_project/target: the manifest the definitions load, parsed
    with the profile of these settings so the dbt steps' partial parse starts valid.
    Parsing opens no warehouse, so nothing is written to the data dir."""
    with tempfile.TemporaryDirectory(prefix="ct-dbt-profile-") as tmp:
        common = ["--profiles-dir", str(profiles_dir(settings, Path(tmp))),
                  "--project-dir", str(DBT_PROJECT_DIR)]
        steps = [["deps"]] if missing_packages() else []
        steps.append(["parse"])
        for step in steps:
            cmd = [dbt_executable(), *(["--quiet"] if quiet else []), *step, *common]
            code = subprocess.run(cmd, cwd=DBT_PROJECT_DIR).returncode
            if code != 0:
                return code
        return 0


PARTIAL_PARSE = "partial_parse.msgpack"


def seed_partial_parse(settings: Settings, target: Path) -> Path:
    """The dbt target folder `target`, started (when it has no msgpack yet) from the
    newest partial_parse.msgpack another dbt step left in this data dir: the project's
    own was parsed with the profile of whatever data dir ran `tower prepare`, and dbt
    re-parses the whole project (~5 s) when the warehouse path in the profile differs."""
    if not (target / PARTIAL_PARSE).exists():
        seeds = sorted((settings.data_dir / "dbt_target").glob(f"*/{PARTIAL_PARSE}"),
                       key=lambda p: p.stat().st_mtime)
        if seeds:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(seeds[-1], target / PARTIAL_PARSE)
    return target
