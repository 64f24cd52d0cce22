"""Deliveries to the landing zone: `<landing>/<extract>/<extract>_<YYYY-MM-DD>.<ext>`,
each written to `<name>.part` first and renamed when complete (atomic).

CSV: UTF-8, header, comma, quotes only where needed, dates ISO, timestamps ISO 8601 UTC
(`2026-11-20T23:00:00Z`), booleans true/false, empty = null. csv.gz: the same, gzipped
with a zero mtime (byte-identical reruns). Parquet: typed columns, timestamps UTC.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .core import DAY_S, date_of
from .schema import EXTRACTS

FORMATS = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}
EXTRACTED_HOUR = 23


def _with_envelope(extract: str, table: pa.Table, day: int, as_text: bool) -> pa.Table:
    x = EXTRACTS[extract]
    n = table.num_rows
    cols = {c: table[c] for c in table.column_names}
    cols["source_system"] = pa.repeat(pa.scalar(x.source_system, pa.string()), n)
    if as_text:     # the same for every row: formatted once
        ts = pa.scalar(f"{date_of(day).isoformat()}T{EXTRACTED_HOUR:02d}:00:00Z")
    else:
        ts = pa.scalar(day * DAY_S + EXTRACTED_HOUR * 3600, pa.timestamp("s", tz="UTC"))
    cols["extracted_at"] = pa.repeat(ts, n)
    if x.kind == "delta" and "is_deleted" not in cols:
        cols["is_deleted"] = pa.repeat(pa.scalar(False), n)
    return pa.table({c: cols[c] for c in x.column_names})


def _csv_ready(table: pa.Table) -> pa.Table:
    cols = {}
    for name in table.column_names:
        col = table[name]
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%SZ")
        cols[name] = col
    return pa.table(cols)


def write_delivery(landing_dir: Path, extract: str, day: int, table: pa.Table, fmt: str) -> Path:
    """Write one delivery atomically; returns its path."""
    folder = Path(landing_dir) / extract
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{extract}_{date_of(day).isoformat()}{FORMATS[fmt]}"
    part = path.with_name(path.name + ".part")
    table = _with_envelope(extract, table, day, as_text=fmt != "parquet")
    if fmt == "parquet":
        pq.write_table(table, part, compression="zstd")
    else:
        options = pacsv.WriteOptions(quoting_style="needed")
        data = _csv_ready(table)
        if fmt == "csv":
            pacsv.write_csv(data, str(part), options)
        else:
            with open(part, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                       compresslevel=6, mtime=0) as gz:
                pacsv.write_csv(data, gz, options)
    os.replace(part, path)
    return path
