"""The bad-input corpus (corpus/cases.yaml) through the real loader: every delivered row is
loaded or quarantined with its reason, a file that cannot be read is refused whole with a
one-line reason naming it, and the good delivery beside it still loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from orchestration.ingestion.loader import connect, ingest_extract
from orchestration.ingestion.schema import ensure_schemas, quote
from tests.reliability.corpus.generators import GENERATORS

CORPUS = Path(__file__).with_name("corpus")
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
COMPANION = "zz_companion.csv"  # sorts after every case file: loaded after a failure


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory) -> Path:
    """A warehouse with every raw, quarantine and ledger table and no rows; each case
    gets its own copy (cheaper than creating the 50 tables again)."""
    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    con = connect(path)
    ensure_schemas(con)
    con.close()
    return path


def _deliver(case: dict, landing: Path, outside: Path) -> list[tuple[str, dict]]:
    """Put the case's files (and the companion) in the landing zone; (relative path,
    expectation) of each case file."""
    folder = landing / case["extract"]
    folder.mkdir(parents=True)
    placed = []
    for spec in case["files"]:
        name = spec.get("as") or spec["src"]
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if "make" in spec:
            GENERATORS[spec["make"]](target, outside)
        else:
            shutil.copyfile(CORPUS / "files" / spec["src"], target)
        placed.append((f"{case['extract']}/{name}", spec))
    shutil.copyfile(CORPUS / "companions" / f"{case['extract']}.csv", folder / COMPANION)
    return placed


def _one(con, sql: str, params: list):
    return con.execute(sql, params).fetchall()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case, tmp_path, empty_warehouse):
    extract = case["extract"]
    landing, outside = tmp_path / "landing", tmp_path / "outside"
    outside.mkdir()
    placed = _deliver(case, landing, outside)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(empty_warehouse, warehouse)
    con = connect(warehouse, memory_limit=case.get("memory_limit"))
    try:
        result = ingest_extract(con, extract, landing)
        reported = {f.path: f for f in result.files}
        raw, quarantine = f"raw.{quote(extract)}", f"quarantine.{quote(extract)}"

        for rel, spec in placed:
            got = reported.pop(rel, None)
            assert got is not None, f"{rel} was not reported: {list(reported)}"
            assert got.status == spec["status"], got.error
            read, loaded, quarantined = spec.get("rows", [0, 0, 0])
            assert (got.rows_read, got.rows_loaded, got.rows_quarantined) == \
                (read, loaded, quarantined)
            assert got.rows_read == got.rows_loaded + got.rows_quarantined

            # the one-line message names the file and says what is wrong
            if spec.get("message"):
                assert got.error and "\n" not in got.error and "\r" not in got.error
                name = rel.rsplit("/", 1)[-1]
                assert name in got.error or repr(rel)[1:-1] in got.error, got.error
                for fragment in spec["message"]:
                    assert str(fragment) in got.error, got.error
            else:
                assert got.error is None, got.error

            # the ledger says the same, and adds up
            ledger = _one(con, "SELECT status, rows_read, rows_loaded, rows_quarantined, error "
                               "FROM meta.ingest_ledger WHERE file_path = ?", [rel])
            assert ledger == [(got.status, read, loaded, quarantined, got.error)]

            # raw and quarantine hold exactly what the result says, nothing of a refused file
            in_raw = _one(con, f"SELECT count(*) FROM {raw} WHERE _source_file = ?", [rel])
            in_quarantine = _one(con, "SELECT _row_number, _reason FROM "
                                      f"{quarantine} WHERE _source_file = ? "
                                      "ORDER BY _row_number", [rel])
            assert in_raw == [(loaded,)]
            assert dict(in_quarantine) == {int(k): v for k, v in
                                           spec.get("quarantined", {}).items()}
            for row, values in spec.get("raw", {}).items():
                for column, text in values.items():
                    stored = _one(con, f"SELECT CAST({quote(column)} AS VARCHAR) FROM {raw} "
                                       "WHERE _source_file = ? AND _row_number = ?",
                                  [rel, int(row)])
                    assert stored == [(text,)], (row, column)

        # the good delivery beside the bad one still loads, whole
        companion = reported.pop(f"{extract}/{COMPANION}")
        assert (companion.status, companion.rows_read, companion.rows_loaded) == \
            ("loaded", 2, 2), companion.error
        assert reported == {}, f"files reported that the case did not deliver: {reported}"

        # running again is safe: nothing is loaded twice, only what waits is looked at
        ledger_rows = _one(con, "SELECT count(*) FROM meta.ingest_ledger", [])
        again = ingest_extract(con, extract, landing)
        assert {f.status for f in again.files} <= {"pending"}
        assert _one(con, "SELECT count(*) FROM meta.ingest_ledger", []) == ledger_rows
    finally:
        con.close()
