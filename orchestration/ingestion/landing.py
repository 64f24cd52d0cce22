"""What in the landing zone has not been ingested yet (plain Python, for the sensor).

The sensor never opens the live warehouse (a run may hold its lock): it compares the
landing zone with the ingest ledger of the published snapshot, which every publish
copies. A file (in an extract's folder or any folder below it) counts as known once the ledger
holds its path with the same size, whatever its status (loaded, rejected, skipped as a
duplicate); a file still being written keeps changing size, and names a writer uses
while writing are left alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from .contracts import load_contracts
from .loader import in_flight, list_deliveries, name_problem


def ledger_files(published: Path) -> set[tuple[str, int]]:
    """(path relative to the landing zone, size) of every delivery the published
    ingest ledger holds, except those still pending; empty before the first publish."""
    if not published.exists():
        return set()
    try:
        con = duckdb.connect(str(published), read_only=True)
    except duckdb.Error:
        return set()
    try:
        rows = con.execute("SELECT file_path, size_bytes FROM meta.ingest_ledger "
                           "WHERE status <> 'pending'").fetchall()
    except duckdb.CatalogException:
        rows = []
    finally:
        con.close()
    return {(path, size) for path, size in rows}


def new_deliveries(landing_dir: Path, published: Path) -> dict[str, list[str]]:
    """extract -> the landing files (relative paths) the published ledger does not
    hold yet."""
    known = ledger_files(published)
    out: dict[str, list[str]] = {}
    for extract in load_contracts():
        for path in list_deliveries(landing_dir, extract):
            rel = path.relative_to(landing_dir).as_posix()
            if in_flight(rel) and not name_problem(rel):
                continue
            sizes = set()
            try:
                sizes.add(path.lstat().st_size)
                sizes.add(path.stat().st_size)
            except OSError:
                pass  # a link to nothing: known by the size of the link itself
            if not sizes or not any((rel, size) in known for size in sizes):
                out.setdefault(extract, []).append(rel)
    return out


def deliveries_key(landing_dir: Path, new: dict[str, list[str]]) -> str:
    """A run key for a set of new deliveries: the same files (names and sizes) give the
    same key, so a sensor asks for one run per set, not one per tick."""
    digest = hashlib.sha256()
    for extract in sorted(new):
        for rel in sorted(new[extract]):
            try:
                size = (landing_dir / rel).stat().st_size
            except OSError:
                size = -1
            digest.update(f"{rel}\0{size}\n".encode())
    return digest.hexdigest()[:20]


def landing_state(landing_dir: Path, extract: str) -> tuple[str, int, int]:
    """(version, files, bytes) of an extract's landing folder: the version is a digest
    of every delivery's name, size and modification time, so it changes exactly when a
    file arrives, grows or is replaced (Dagster's data version of landing/<extract>)."""
    digest = hashlib.sha256()
    files = size_total = 0
    for path in sorted(list_deliveries(landing_dir, extract)):
        try:
            stat = path.stat()
        except OSError:
            continue
        files += 1
        size_total += stat.st_size
        digest.update(f"{path.relative_to(landing_dir).as_posix()}\0{stat.st_size}\0"
                      f"{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24], files, size_total


def ledger_version(con: duckdb.DuckDBPyConnection, extract: str) -> str:
    """A digest of the deliveries of an extract that loaded rows (Dagster's data version
    of raw/<extract>): unchanged when an ingest finds nothing new, so nothing
    downstream counts as stale."""
    rows = con.execute(
        "SELECT sha256, rows_loaded, rows_quarantined FROM meta.ingest_ledger "
        "WHERE extract = ? AND status = 'loaded' ORDER BY load_seq", [extract]).fetchall()
    digest = hashlib.sha256()
    for sha, loaded, quarantined in rows:
        digest.update(f"{sha}\0{loaded}\0{quarantined}\n".encode())
    return digest.hexdigest()[:24]
