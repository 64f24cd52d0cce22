"""Publish the read-only snapshot people and tools read (spec/operations.md).

The snapshot is written beside its final path and moved over it with one rename, so a
reader holding the old file open keeps a consistent view and never blocks the build, and
a new connection sees the new data. Each mart is also written as Parquet for tools
whose DuckDB version cannot read ours, and so are the forecast snapshots (forecast/).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..ingestion.schema import quote

PUBLISHED_SCHEMAS = ("marts", "forecast")


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


def publish(con: duckdb.DuckDBPyConnection, published: Path, exports_dir: Path) -> PublishResult:
    """Copy the published schemas of the live warehouse (open on `con`) to the snapshot."""
    published.parent.mkdir(parents=True, exist_ok=True)
    parquet_dir = exports_dir / "parquet"
    parquet_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp = published.with_name(f".{published.name}.{token}.tmp")
    tables = published_tables(con)
    counts: dict[str, int] = {}
    con.execute(f"ATTACH {_literal(tmp)} AS snapshot")
    try:
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"CREATE SCHEMA snapshot.{schema}")
        for schema, table in tables:
            name = f"{quote(schema)}.{quote(table)}"
            con.execute(f"CREATE TABLE snapshot.{name} AS SELECT * FROM {name}")
            counts[f"{schema}.{table}"] = con.execute(
                f"SELECT count(*) FROM snapshot.{name}").fetchall()[0][0]
    finally:
        con.execute("DETACH snapshot")
    for schema, table in tables:
        # marts at the top (<mart>.parquet, interfaces.md), the forecast snapshots in
        # their own folder (forecast/<table>.parquet)
        folder = parquet_dir if schema == "marts" else parquet_dir / schema
        folder.mkdir(exist_ok=True)
        target = folder / f"{table}.parquet"
        part = folder / f".{table}.{token}.parquet.tmp"
        con.execute(f"COPY (SELECT * FROM {quote(schema)}.{quote(table)}) "
                    f"TO {_literal(part)} (FORMAT parquet)")
        os.replace(part, target)
    _replace_atomically(tmp, published)
    return PublishResult(published, counts, parquet_dir)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
