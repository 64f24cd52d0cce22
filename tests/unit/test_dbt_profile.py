"""A data dir that moved keeps its dbt parse state (orchestration/dbt_profile.py): the
profile hash is dbt's own, and only a state parsed with the old profile, when nothing
but the warehouse's folder changed, is carried over."""

from __future__ import annotations

import pprint

import msgpack
import yaml

from orchestration.dbt_profile import PARTIAL_PARSE, profile_for, profile_hash, profiles_dir
from orchestration.settings import load_settings


def _dbt_profile_hash(profiles: dict) -> str:
    """As dbt computes it (dbt/parser/manifest.py, build_manifest_state_check)."""
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.artifacts.resources.base import FileHash

    profile = profiles["control_tower"]
    output = dict(profile["outputs"][profile["target"]])
    output.pop("type"), output.pop("threads")
    credentials = DuckDBCredentials.from_dict(output)
    return FileHash.from_contents(pprint.pformat(sorted(credentials.connection_info()))).checksum


def _state(folder, step: str, checksum: str):
    path = folder / step / PARTIAL_PARSE
    path.parent.mkdir(parents=True)
    path.write_bytes(msgpack.packb({"state_check": {"profile_hash": {
        "name": "sha256", "checksum": checksum}}, "nodes": {"model.x": {"database": "warehouse"}}}))
    return path


def _recorded(path) -> str:
    return msgpack.unpackb(path.read_bytes())["state_check"]["profile_hash"]["checksum"]


def test_the_profile_hash_is_dbts(tmp_path):
    for env in ({"CT_DATA_DIR": str(tmp_path / "a")},
                {"CT_DATA_DIR": str(tmp_path / ("a very long folder name " * 4)),
                 "CT_DUCKDB_THREADS": "7", "CT_DUCKDB_MEMORY_LIMIT": "3GB"}):
        profiles = profile_for(load_settings(env))
        assert profile_hash(profiles) == _dbt_profile_hash(profiles)


def test_a_moved_data_dir_keeps_its_parse_state_and_nothing_else(tmp_path):
    old = load_settings({"CT_DATA_DIR": str(tmp_path / "before")})
    new = load_settings({"CT_DATA_DIR": str(tmp_path / "after")})
    old_hash = profile_hash(profile_for(old))
    folder = profiles_dir(old)
    # the data dir is copied as it is: its profile still names the old warehouse
    copied = tmp_path / "after" / "dbt_target"
    copied.mkdir(parents=True)
    (copied / "profiles.yml").write_text((folder / "profiles.yml").read_text())
    ours = _state(copied, "warehouse_models", old_hash)
    foreign = _state(copied, "planning_models", "parsed-with-another-profile")

    profiles_dir(new)
    assert yaml.safe_load((copied / "profiles.yml").read_text()) == profile_for(new)
    assert _recorded(ours) == profile_hash(profile_for(new)) != old_hash
    assert _recorded(foreign) == "parsed-with-another-profile"
    assert msgpack.unpackb(ours.read_bytes())["nodes"] == {"model.x": {"database": "warehouse"}}

    # more than the folder changed (the memory limit): dbt must parse again
    other = load_settings({"CT_DATA_DIR": str(tmp_path / "after"),
                           "CT_DUCKDB_MEMORY_LIMIT": "1GB"})
    profiles_dir(other)
    assert _recorded(ours) == profile_hash(profile_for(new))
