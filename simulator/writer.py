"""Deliveries to the landing zone: `<landing>/<extract>/<extract>_<YYYY-MM-DD>.<ext>`.

A delivery is written as `<name>.part` and renamed when complete (atomic). Large tiers
stream into it block by block, so a delivery never has to fit in memory.

CSV: UTF-8, header, comma, quotes only where needed, dates ISO, timestamps ISO 8601 UTC
(`2026-11-20T23:00:00Z`), booleans true/false, empty = null. csv.gz: the same, gzipped
with a zero mtime (byte-identical reruns). Parquet: typed columns, timestamps UTC, zstd.
XLSX: one sheet named after the extract, header row, dates as date cells, timestamps and
booleans as text (as planners' workbooks come); at most 1,048,575 rows per delivery.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .core import DAY_S, date_of
from .schema import EXTRACTS

FORMATS = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet", "xlsx": ".xlsx"}
EXTRACTED_HOUR = 23
XLSX_MAX_ROWS = 1_048_575
ARROW = {"text": pa.string(), "currency": pa.string(), "integer": pa.int64(),
         "decimal": pa.float64(), "money": pa.float64(), "rate": pa.float64(),
         "date": pa.date32(), "timestamp": pa.timestamp("s", tz="UTC"), "boolean": pa.bool_()}
# bytes per row on disk, measured on the demo tier (for the free-disk check)
BYTES_PER_ROW = {"csv": 135, "csv.gz": 17, "parquet": 12, "xlsx": 60}


def schema_of(extract: str, as_text_stamps: bool = False) -> pa.Schema:
    types = EXTRACTS[extract].types
    return pa.schema([(c, pa.string() if as_text_stamps and types[c] == "timestamp"
                       else ARROW[types[c]]) for c in EXTRACTS[extract].column_names])


def _with_envelope(extract: str, table: pa.Table, day: int, fmt: str) -> pa.Table:
    x = EXTRACTS[extract]
    n = table.num_rows
    cols = {c: table[c] for c in table.column_names}
    cols["source_system"] = pa.repeat(pa.scalar(x.source_system, pa.string()), n)
    text_stamps = fmt != "parquet"
    if text_stamps:     # the same for every row: formatted once
        ts = pa.scalar(f"{date_of(day).isoformat()}T{EXTRACTED_HOUR:02d}:00:00Z")
    else:
        ts = pa.scalar(day * DAY_S + EXTRACTED_HOUR * 3600, pa.timestamp("s", tz="UTC"))
    cols["extracted_at"] = pa.repeat(ts, n)
    if x.kind == "delta" and "is_deleted" not in cols:
        cols["is_deleted"] = pa.repeat(pa.scalar(False), n)
    out = {}
    types = x.types
    for c in x.column_names:
        col = cols[c]
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        want = ARROW[types[c]]
        if text_stamps and types[c] == "timestamp":
            if pa.types.is_timestamp(col.type):
                col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%SZ")
            want = pa.string()
        if col.type != want:
            col = col.cast(want)
        out[c] = col
    return pa.table(out, schema=schema_of(extract, text_stamps))


class _Xlsx:
    def __init__(self, path: Path, extract: str, day: int):
        from openpyxl import Workbook

        self.path, self.day = path, day
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(extract)
        self.sheet.append(list(EXTRACTS[extract].column_names))
        self.rows = 0
        self.extract = extract

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self.rows > XLSX_MAX_ROWS:
            raise ValueError(f"{self.extract}: {self.rows:,} rows do not fit one XLSX sheet "
                             f"({XLSX_MAX_ROWS:,} at most); deliver it as csv or parquet")
        cols = []
        for name in table.column_names:
            col = table[name]
            if pa.types.is_boolean(col.type):
                col = pc.if_else(col, "true", "false")
            cols.append(col.to_pylist())
        for row in zip(*cols):
            self.sheet.append(row)

    def close(self) -> None:
        buf = io.BytesIO()
        self.book.save(buf)
        stamp = f"{date_of(self.day).isoformat()}T{EXTRACTED_HOUR:02d}:00:00Z"
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, \
                zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "docProps/core.xml":      # fixed dates: byte-identical
                    text = data.decode()
                    text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms)",
                                  rf"\g<1>{stamp}\g<3>", text)
                    data = text.encode()
                zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                zout.writestr(zi, data)


class DeliveryWriter:
    """Open deliveries, one per extract × extraction day, filled block by block. A
    delivery that receives no row is never created (no header-only files)."""

    def __init__(self, landing_dir: Path, fmt: str = "csv", formats: dict | None = None):
        self.landing = Path(landing_dir)
        self.fmt = fmt
        self.formats = dict(formats or {})
        for name, f in [("*", fmt)] + list(self.formats.items()):
            if f not in FORMATS:
                raise ValueError(f"unknown format {f!r} for {name}; known: {', '.join(FORMATS)}")
            if name != "*" and name not in EXTRACTS:
                raise ValueError(f"unknown extract {name!r} in formats")
        self.open: dict[tuple[str, int], tuple] = {}
        self.rows: dict[str, int] = {}

    def format_of(self, extract: str) -> str:
        return self.formats.get(extract, self.fmt)

    def path_of(self, extract: str, day: int) -> Path:
        return self.landing / extract / \
            f"{extract}_{date_of(day).isoformat()}{FORMATS[self.format_of(extract)]}"

    def write(self, extract: str, day: int, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        fmt = self.format_of(extract)
        table = _with_envelope(extract, table, day, fmt)
        key = (extract, day)
        if key not in self.open:
            path = self.path_of(extract, day)
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(path.name + ".part")
            if fmt == "parquet":
                w = pq.ParquetWriter(part, table.schema, compression="zstd")
                self.open[key] = (path, part, w, None)
            elif fmt == "xlsx":
                self.open[key] = (path, part, _Xlsx(part, extract, day), None)
            else:
                raw = open(part, "wb")
                sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6,
                                     mtime=0) if fmt == "csv.gz" else raw
                w = pacsv.CSVWriter(sink, table.schema,
                                    write_options=pacsv.WriteOptions(quoting_style="needed"))
                self.open[key] = (path, part, w, (sink, raw))
        w = self.open[key][2]
        w.write(table) if isinstance(w, _Xlsx) else w.write_table(table)
        self.rows[extract] = self.rows.get(extract, 0) + table.num_rows

    def close(self) -> list[Path]:
        """Complete every delivery (rename the parts); returns their paths."""
        done = []
        for (extract, day), (path, part, w, files) in sorted(self.open.items()):
            w.close()
            if files:
                sink, raw = files
                if sink is not raw:
                    sink.close()
                raw.close()
            os.replace(part, path)
            done.append(path)
        self.open.clear()
        return done

    def abort(self) -> None:
        """Drop every unfinished delivery (after an error)."""
        for path, part, w, files in self.open.values():
            try:
                if not isinstance(w, _Xlsx):
                    w.close()
                if files:
                    for f in files:
                        f.close()
            except Exception:           # noqa: BLE001 - best effort on the way out
                pass
            part.unlink(missing_ok=True)
        self.open.clear()


def check_free_disk(path: Path, rows: int, fmt: str, formats: dict | None = None) -> int:
    """Refuse a tier that does not fit: rows × bytes per row (+25 %) against the free space
    of the landing zone's file system. Returns the estimated bytes."""
    need = int(rows * BYTES_PER_ROW[fmt] * 1.25)
    probe = Path(path)
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need > free:
        raise ValueError(f"not enough free disk for this tier: about {need / 2**30:.1f} GiB "
                         f"needed in {probe}, {free / 2**30:.1f} GiB free "
                         f"(try --format parquet or csv.gz, or a smaller tier)")
    return need

