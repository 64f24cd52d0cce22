"""Small file operations the deliveries share (plain Python)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb


def replace_folder(tmp: Path, final: Path) -> None:
    """Put a finished folder in place: the old one (if any) is moved aside first and
    removed after, so a reader sees the old folder or the new one, never a mix."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def mart_checksums(warehouse: Path) -> dict[str, tuple]:
    """Content checksum of every mart: row count and an order-independent sum of its
    rows' hashes, the same on any thread count (money and quantities are DECIMAL) and
    in bounded memory at any size (no string of the whole table)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' "
            "ORDER BY 1").fetchall()]
        return {t: tuple(con.execute(
            f"SELECT count(*), coalesce(sum(CAST(hash(CAST(m AS VARCHAR)) AS HUGEINT)), 0) "
            f"FROM marts.{t} m").fetchall()[0])
            for t in tables}
    finally:
        con.close()
