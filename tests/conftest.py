"""Shared fixtures: one tiny demo company built once per test session, in a temporary
directory, shared by every test that only reads it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.delivery.files import mart_checksums  # noqa: F401 (tests import it from here)
from orchestration.settings import Settings, load_settings


@dataclass
class BuiltWarehouse:
    settings: Settings
    generated: dict
    first: object            # RunOutcome of the first run
    second: object           # RunOutcome of a second run on the same files
    checksums_first: dict
    checksums_second: dict
    ledger_rows_first: int
    ledger_rows_second: int


def ledger_rows(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM meta.ingest_ledger").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="session")
def session_env(tmp_path_factory):
    """Point every CT_* setting and DAGSTER_HOME at a temporary directory."""
    saved = dict(os.environ)

    def use(data_dir: Path) -> Settings:
        for name in [k for k in os.environ if k.startswith("CT_")]:
            del os.environ[name]
        os.environ["CT_DATA_DIR"] = str(data_dir)
        os.environ["DAGSTER_HOME"] = str(data_dir / "dagster_home")
        return load_settings()

    yield use
    os.environ.clear()
    os.environ.update(saved)


def build(session_env, data_dir: Path, drop_extracts: tuple[str, ...] = ()):
    import simulator
    from orchestration.runner import run_core

    generated = simulator.generate(data_dir / "landing", data_dir / "simulator_truth",
                                   tier="tiny")
    for extract in drop_extracts:
        for f in (data_dir / "landing" / extract).iterdir():
            f.unlink()
        (data_dir / "landing" / extract).rmdir()
    settings = session_env(data_dir)
    first = run_core(settings, simulate=False, log_level="WARNING")
    return settings, generated, first


@pytest.fixture(scope="session")
def built(session_env, tmp_path_factory) -> BuiltWarehouse:
    from orchestration.runner import run_core

    data_dir = tmp_path_factory.mktemp("tiny") / "data"
    settings, generated, first = build(session_env, data_dir)
    assert first.success, first.summary.failures
    checks_1, ledger_1 = mart_checksums(settings.warehouse), ledger_rows(settings.warehouse)
    second = run_core(session_env(data_dir), simulate=False, log_level="WARNING")
    assert second.success, second.summary.failures
    return BuiltWarehouse(settings, generated, first, second, checks_1,
                          mart_checksums(settings.warehouse), ledger_1,
                          ledger_rows(settings.warehouse))


def copy_of_built(built: BuiltWarehouse, session_env, tmp_path_factory, name: str) -> Settings:
    """A private copy of the session's company (landing, truth, warehouse, Dagster home)
    for a test that changes it: cheaper than building another company."""
    import shutil

    data_dir = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(built.settings.data_dir, data_dir, symlinks=True)
    return session_env(data_dir)


@pytest.fixture
def warehouse(built):
    con = duckdb.connect(str(built.settings.warehouse), read_only=True)
    yield con
    con.close()


# --- the user's data is never touched ----------------------------------------------------
# A checkout where `make run` built data/ must come out of `make test` byte for byte the
# same: every test works in temporary directories. The session fingerprints data/ (or its
# absence) at the start and fails the run if anything in it changed.

def _data_fingerprint(folder: Path):
    import hashlib

    if not folder.exists():
        return None
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            out.append((path.relative_to(folder).as_posix(), digest.hexdigest()))
    return out


USER_DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):    # once, in the controlling process
        session.config._user_data_fingerprint = _data_fingerprint(USER_DATA_DIR)


# --- two test processes (make test: pytest -n 2 --dist loadgroup) ----------------------
# Every test that reads the session's company runs in one process, so it is built once;
# the other tests keep their module together (module fixtures are built once too).
def pytest_collection_modifyitems(config, items):
    for item in items:
        group = "session_company" if "built" in item.fixturenames else item.module.__name__
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_user_data_fingerprint", "unset")
    if before == "unset":
        return
    after = _data_fingerprint(USER_DATA_DIR)
    if after != before:
        changed = sorted(set(after or []) ^ set(before or []))
        names = sorted({name for name, _ in changed})[:10]
        session.config.get_terminal_writer().line(
            f"FAILED: the tests changed the user's data in {USER_DATA_DIR} "
            f"({'created' if before is None else 'changed'}: {names})", red=True)
        session.exitstatus = 1
