"""Small file operations the deliveries share (plain Python)."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import uuid
from pathlib import Path

import duckdb

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def replace_folder(tmp: Path, final: Path) -> None:
    """Put a finished folder in place: swapped with the old one in one step where the
    file system can (Linux renameat2), else the old one is moved aside first and
    removed after; a reader sees the old folder or the new one, never a mix. What a
    killed writer left beside it (its temporary or set-aside folder) goes too."""
    remove_leftovers(final.parent, f".{final.name}.", (".tmp", ".old"), keep=tmp)
    if final.exists() and _exchange(tmp, final):
        shutil.rmtree(tmp, ignore_errors=True)    # the old folder, now at tmp
        return
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def remove_leftovers(folder: Path, prefix: str, suffixes: tuple[str, ...],
                     keep: Path | None = None) -> list[Path]:
    """Remove the temporary files or folders a killed writer left in `folder` (names
    starting with `prefix` and ending with one of `suffixes`). Only for writers that
    never run two at once on the same folder (the warehouse pool serializes them)."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        name = entry.name
        if entry == keep or not name.startswith(prefix) or not name.endswith(suffixes):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def is_disk_full(exc: BaseException) -> bool:
    """True for an error that says the file system is full (DuckDB reports it as text)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text


def free_space(folder: Path) -> str:
    """Free space of the file system holding `folder`, for an error message."""
    stat = os.statvfs(folder)
    return f"{stat.f_bavail * stat.f_frsize / 2**20:,.1f} MiB free"


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
