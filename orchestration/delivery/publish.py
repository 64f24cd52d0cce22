"""Publish the read-only snapshot people and tools read (docs/runbook.md).

The snapshot is written beside its final path and moved over it with one rename, so a
reader holding the old file open keeps a consistent view and never blocks the build, and
a new connection sees the new data. The file is written in DuckDB's v1.4.0 storage
format, which the DuckDB 1.x clients people already have (CLI, DBeaver) open as well as
2.x; each mart is also written as Parquet for any other tool, and so are the forecast
snapshots (forecast/) and the frozen finance months with their restatements
(finance_close/). The ingest ledger rides along, so people (and the landing
sensor, which never opens the live file) can see which deliveries are in.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..ingestion.schema import quote
from .files import is_disk_full, remove_leftovers

PUBLISHED_SCHEMAS = ("marts", "forecast", "finance_close")
# Single tables published besides those schemas (not exported as Parquet).
PUBLISHED_EXTRA_TABLES = (("meta", "ingest_ledger"),)
# The oldest storage format DuckDB 2.x writes that DuckDB 1.x (>= 1.4) reads.
SNAPSHOT_STORAGE_VERSION = "v1.4.0"


@dataclass
class PublishResult:
    path: Path
    tables: dict[str, int]
    parquet_dir: Path


def published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_catalog = current_database() AND table_schema IN "
        f"{PUBLISHED_SCHEMAS} AND table_type = 'BASE TABLE' ORDER BY 1, 2").fetchall()


def _replace_atomically(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class PublishError(Exception):
    """The snapshot could not be written; the one at the final path is the previous."""


def publish(con: duckdb.DuckDBPyConnection, published: Path, exports_dir: Path) -> PublishResult:
    """Copy the published schemas of the live warehouse (open on `con`) to the snapshot.
    Whatever fails or is killed, the file at `published` is the previous snapshot or
    the new one, whole; a failed publish removes its temporary file, the next publish
    removes what a killed one left."""
    published.parent.mkdir(parents=True, exist_ok=True)
    parquet_dir = exports_dir / "parquet"
    parquet_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(published.parent, f".{published.name}.", (".tmp", ".tmp.wal"))
    token = uuid.uuid4().hex[:8]
    tmp = published.with_name(f".{published.name}.{token}.tmp")
    tables = published_tables(con)
    try:
        counts = _write_snapshot(con, tmp, tables)
        _write_parquet(con, tables, parquet_dir, token)
        _replace_atomically(tmp, published)
    except BaseException as exc:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, Exception) and is_disk_full(exc):
            raise PublishError(
                f"not published: no space left on device (disk full) in "
                f"{published.parent}; the published snapshot keeps the previous build: "
                f"free space and run again") from exc
        raise
    return PublishResult(published, counts, parquet_dir)


def _write_snapshot(con: duckdb.DuckDBPyConnection, tmp: Path,
                    tables: list[tuple[str, str]]) -> dict[str, int]:
    """The snapshot file at `tmp`, complete once DETACH (its checkpoint) returns."""
    extra = [t for t in PUBLISHED_EXTRA_TABLES if con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = "
        "current_database() AND table_schema = ? AND table_name = ?", list(t)
    ).fetchall()[0][0]]
    counts: dict[str, int] = {}
    con.execute(f"ATTACH {_literal(tmp)} AS snapshot "
                f"(STORAGE_VERSION '{SNAPSHOT_STORAGE_VERSION}')")
    try:
        for schema in sorted({*PUBLISHED_SCHEMAS, *(s for s, _ in extra)}):
            con.execute(f"CREATE SCHEMA snapshot.{schema}")
        for schema, table in tables + extra:
            name = f"{quote(schema)}.{quote(table)}"
            con.execute(f"CREATE TABLE snapshot.{name} AS SELECT * FROM {name}")
            if (schema, table) not in extra:
                counts[f"{schema}.{table}"] = con.execute(
                    f"SELECT count(*) FROM snapshot.{name}").fetchall()[0][0]
    except BaseException:
        try:
            con.execute("DETACH snapshot")
        except duckdb.Error:
            pass    # the write failed already; that error is the one to report
        raise
    con.execute("DETACH snapshot")
    return counts


def _write_parquet(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]],
                   parquet_dir: Path, token: str) -> None:
    """Each table to Parquet: marts at the top (<mart>.parquet, README "Where things
    are"), the forecast snapshots and the frozen finance months in their own folders (forecast/,
    finance_close/); each file replaced whole by a rename."""
    for folder in {parquet_dir if schema == "marts" else parquet_dir / schema
                   for schema, _ in tables} | {parquet_dir}:
        remove_leftovers(folder, ".", (".parquet.tmp",))
    for schema, table in tables:
        folder = parquet_dir if schema == "marts" else parquet_dir / schema
        folder.mkdir(exist_ok=True)
        target = folder / f"{table}.parquet"
        part = folder / f".{table}.{token}.parquet.tmp"
        try:
            con.execute(f"COPY (SELECT * FROM {quote(schema)}.{quote(table)}) "
                        f"TO {_literal(part)} (FORMAT parquet)")
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
