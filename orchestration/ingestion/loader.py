"""Load landing-zone deliveries into raw.<extract>, exactly once, atomically.

DuckDB reads each file natively (CSV, gzip, Parquet) into a text table; one insert
checks every row against the contract and types the good ones straight into
raw.<extract>; only when it falls short of the rows read are the others looked at again
and written to quarantine.<extract> with their reason; the file goes to
meta.ingest_ledger — all in one transaction, so a kill at any moment leaves either the
whole file or none of it. A file the contract cannot read at all is rejected whole with
a one-line reason in the ledger; docs/extracts.md lists every case.

No value from a delivery is ever part of SQL text: files are read by DuckDB itself (their
path a parameter), header names only select contract columns by position, and an extra
column's name is sanitised (_extra_name) and quoted (tests/reliability checks both).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .contracts import (
    CURRENCIES,
    EARLIEST_DATE,
    LATEST_DATE,
    Column,
    Contract,
    load_contracts,
)
from .schema import LINEAGE_COLUMNS, ensure_schemas, quote

FORMATS = {".csv": "csv", ".gz": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
# Names a writer uses while a file is still being written: left for the next run.
IN_FLIGHT_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart")
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
# Letters (any script), digits, '.', '_', '-' and space; starting with a letter or digit.
_SAFE_NAME = re.compile(r"^[^\W_][\w. -]*$")


class RejectedFile(Exception):
    """The whole delivery is refused; the message names the file and why."""


class PendingFile(Exception):
    """The delivery is still being written."""


@dataclass
class FileResult:
    path: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None


@dataclass
class ExtractResult:
    extract: str
    files: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def summary(self) -> dict[str, int]:
        return {
            "files_loaded": self.count("loaded"),
            "files_rejected": self.count("rejected"),
            "files_skipped_duplicate": self.count("skipped_duplicate"),
            "files_pending": self.count("pending"),
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
        }


def connect(warehouse: Path, threads: int | None = None,
            memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A writing connection to the live warehouse, in UTC."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    config = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(str(warehouse), config=config)
    con.execute("SET TimeZone = 'UTC'")
    return con


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- listing ---------------------------------------------------------------------------

def list_deliveries(landing_dir: Path, extract: str) -> list[Path]:
    """Files of one extract, in its folder and in any folder below it
    (`<extract>/2026/11/...`), by relative path: names carry the delivery date. A link to
    a folder is listed, not followed (ingesting it refuses it with a reason)."""
    folder = landing_dir / extract
    if not folder.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(folder):
        found.extend(Path(root, d) for d in dirs if os.path.islink(os.path.join(root, d)))
        found.extend(Path(root, f) for f in files)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def in_flight(rel_path: str) -> bool:
    """A name a writer uses while the file is still being written: a temporary suffix, or
    a name (of the file or a folder above it) starting with '.'."""
    parts = rel_path.split("/")
    return any(p.startswith(".") for p in parts) or \
        parts[-1].lower().endswith(IN_FLIGHT_SUFFIXES)


def name_problem(rel_path: str) -> str | None:
    """What makes a name one that could lead anywhere else (control characters, a path
    separator, '..' in the name of the file or of a folder below the extract's); None
    for a plain name."""
    for part in rel_path.split("/")[1:]:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in part):
            return "file name has control characters"
        if "\\" in part:
            return "file name has a path separator"
        if ".." in part:
            return "file name has '..'"
    return None


def _check_path(landing_dir: Path, path: Path, rel_path: str) -> None:
    """Refuse a name with other characters than a delivery uses, and anything that leads
    out of the landing zone."""
    for part in rel_path.split("/")[1:]:
        if not _SAFE_NAME.match(part):
            raise RejectedFile(f"{rel_path!r}: file name has characters a delivery may not "
                               "use (letters, digits, '.', '_', '-', space)")
    resolved = path.resolve()
    if not resolved.is_relative_to(landing_dir.resolve()):
        raise RejectedFile(f"{rel_path}: links outside the landing zone ({resolved})")
    if path.is_symlink() and resolved.is_dir():
        raise RejectedFile(f"{rel_path}: a link to a folder is not followed")
    if not resolved.is_file():
        raise RejectedFile(f"{rel_path}: not a regular file")


def file_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".csv.gz") or name.endswith(".csv"):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".xlsx"):
        return "xlsx"
    raise RejectedFile(f"{path.name}: unsupported format (expected .csv, .csv.gz, "
                       ".parquet or .xlsx)")


# --- reading a delivery into a text table --------------------------------------------

# A read error that is the machine's, not the file's: the run fails and the next one
# reads the file again, instead of refusing a good delivery for ever.
_MACHINE_TROUBLE = re.compile(r"no space left|permission denied|read-only file system|"
                              r"could not write|out of memory|could not allocate", re.I)
# DuckDB reads a CSV in buffers of this size: a few of them fit in a small memory limit,
# so a delivery far larger than memory streams through.
_CSV_BUFFER_BYTES = 8 << 20
_XLSX_CHUNK_ROWS = 50_000


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _open_text_head(path: Path) -> bytes:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return fh.read(1 << 16)
    except (OSError, EOFError) as exc:
        raise RejectedFile(f"{path.name}: cannot be read ({_one_line(exc)})") from exc


def _csv_encoding(path: Path, head: bytes) -> str:
    """utf-8, latin-1, utf-16-le or utf-16-be, from the first 64 KiB: a BOM, else UTF-16's
    NUL bytes on one side of every pair of ASCII characters, else valid UTF-8, else
    Latin-1. NUL bytes in any other pattern are not text."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise RejectedFile(f"{path.name}: UTF-32 text is not read (deliver UTF-8)")
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    if b"\0" in head:
        pairs = len(head) // 2
        even, odd = head[0:2 * pairs:2].count(0), head[1:2 * pairs:2].count(0)
        if odd >= pairs / 2 and even <= pairs / 100:
            return "utf-16-le"
        if even >= pairs / 2 and odd <= pairs / 100:
            return "utf-16-be"
        raise RejectedFile(f"{path.name}: not text in a known encoding (NUL bytes that are "
                           "neither UTF-8 nor UTF-16; deliver UTF-8)")
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the 64 KiB window is still UTF-8.
        if exc.start >= len(head) - 3:
            return "utf-8"
        return "latin-1"


def _csv_header(path: Path, head: bytes, encoding: str) -> list[str]:
    usable = head[: len(head) // 2 * 2] if encoding.startswith("utf-16") else head
    text = usable.decode(encoding, errors="replace").lstrip("\ufeff")
    first = next(csv.reader(io.StringIO(text)), None)
    if not first:
        raise RejectedFile(f"{path.name}: empty file (no header row)")
    return first


def _normalise_header(path: Path, header: list[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise RejectedFile(f"{path.name}: duplicate column name {n!r}")
        if not n:
            raise RejectedFile(f"{path.name}: a column has no name")
        seen.add(n)
    return names


@dataclass
class _Source:
    """A delivery as DuckDB reads it: the header, and a FROM item giving one VARCHAR
    column per header name, named by position ("0", "1", ...)."""
    header: list[str]
    relation: str
    params: list
    unreadable: str  # what a read error means, for the rejection message
    scratch: Path | None = None  # a transcoded copy, removed once read


def _utf16_as_utf8(path: Path, encoding: str) -> Path:
    """A UTF-8 copy of a UTF-16 delivery, decoded a block at a time (DuckDB reads UTF-8;
    its own UTF-16 reader takes little-endian only)."""
    import tempfile

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    handle, name = tempfile.mkstemp(prefix="ct-utf16-", suffix=".csv")
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with opener(path, "rb") as src, os.fdopen(handle, "wb") as out:
            first = True
            for block in iter(lambda: src.read(1 << 20), b""):
                text = decoder.decode(block)
                if first:
                    text, first = text.lstrip("\ufeff"), False
                out.write(text.encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        os.unlink(name)
        raise RejectedFile(f"{path.name}: not valid {encoding.upper()} text "
                           f"({_one_line(exc)})") from exc
    return Path(name)


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    if path.stat().st_size == 0:
        raise RejectedFile(f"{path.name}: empty file")
    head = _open_text_head(path)
    if not head.strip():
        raise RejectedFile(f"{path.name}: empty file")
    encoding = _csv_encoding(path, head)
    header = _normalise_header(path, _csv_header(path, head, encoding))
    scratch = _utf16_as_utf8(path, encoding) if encoding.startswith("utf-16") else None
    columns = "{" + ", ".join(f"'{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    return _Source(
        header,
        f"""read_csv(?, header = true, delim = ',', quote = '"', escape = '"',
            columns = {columns}, encoding = ?, strict_mode = true, null_padding = false,
            auto_detect = false, buffer_size = {_CSV_BUFFER_BYTES})""",
        [str(scratch or path), "utf-8" if scratch else encoding],
        "not a valid CSV delivery", scratch)


_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_PROBLEMS = (
    (re.compile(r"unterminated quote"), "a quoted value is never closed"),
    (re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"),
     "{0} columns expected, {1} found"),
    (re.compile(r"Invalid unicode"), "not UTF-8 (deliver one encoding for the whole file)"),
    (re.compile(r"Maximum line size"), "a line longer than the reader takes"),
)


def _read_error(path: Path, source: _Source, exc: duckdb.Error) -> RejectedFile:
    """The one-line rejection for a read DuckDB refused: the line of the file and what is
    wrong with it when DuckDB says so."""
    text = str(exc)
    at = _CSV_ERROR_LINE.search(text)
    if at:
        for pattern, wording in _CSV_PROBLEMS:
            found = pattern.search(text)
            if found:
                return RejectedFile(f"{path.name}: {source.unreadable} at line {at[1]}: "
                                    f"{wording.format(*found.groups())}")
        return RejectedFile(f"{path.name}: {source.unreadable} at line {at[1]}")
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return RejectedFile(f"{path.name}: {source.unreadable} ({_one_line(first_line)})")


def _machine_trouble(exc: BaseException) -> bool:
    return isinstance(exc, (duckdb.OutOfMemoryException, duckdb.InterruptException)) or \
        bool(_MACHINE_TROUBLE.search(str(exc)))


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    """Parquet types are not trusted: every value is read as text and checked against the
    contract like a CSV's, so a column of the wrong type quarantines what does not parse."""
    unreadable = "not a readable Parquet file"
    try:
        described = con.execute("SELECT column_name, column_type FROM "
                                "(DESCRIBE SELECT * FROM read_parquet(?))",
                                [str(path)]).fetchall()
    except duckdb.Error as exc:
        if _machine_trouble(exc):
            raise
        raise _read_error(path, _Source([], "", [], unreadable), exc) from exc
    nested = [(n, t) for n, t in described if t.endswith("]") or
              t.split("(")[0] in ("STRUCT", "MAP", "UNION")]
    if nested:
        raise RejectedFile(f"{path.name}: column {nested[0][0]!r} is nested "
                           f"({nested[0][1]}); deliver flat columns")
    header = _normalise_header(path, [n for n, _ in described])
    # Columns by position (#1, #2, ...): a name from the file never enters the SQL.
    select = ", ".join(f'CAST(#{i + 1} AS VARCHAR) AS "{i}"' for i in range(len(header)))
    return _Source(header, f"(SELECT {select} FROM read_parquet(?))", [str(path)],
                   unreadable)


def _xlsx_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_parser(sheet, book):
    """openpyxl's streaming parser of one sheet, noting every formula saved without its
    value (a workbook written by a program that never calculated it)."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class _Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                self.unsaved_formulas.append(element.get("r") or
                                             f"row {cell['row']} column {cell['column']}")
            return cell

    source = sheet._get_source()
    parser = _Parser(source, sheet._shared_strings, data_only=True, epoch=book.epoch,
                     date_formats=book._date_formats,
                     timedelta_formats=book._timedelta_formats)
    parser.unsaved_formulas = []
    return source, parser


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    """The first sheet: its first non-empty row is the header, empty rows are skipped, a
    formula gives the value Excel saved with it, a merged cell's value fills every cell
    of the range. Read a chunk of rows at a time into the temp table _sheet."""
    import openpyxl
    import pyarrow as pa
    from openpyxl.utils import get_column_letter

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise RejectedFile(f"{path.name}: not a readable XLSX workbook "
                           f"({_one_line(exc)})") from exc
    try:
        if not book.worksheets:
            raise RejectedFile(f"{path.name}: workbook has no sheet")
        source, parser = _sheet_parser(book.worksheets[0], book)
        try:
            header, header_row, chunk, width = None, 0, [], 0

            def flush():
                columns = {"_line": pa.array([r[0] for r in chunk], pa.int64())}
                columns.update({str(i): pa.array([r[1][i] for r in chunk], pa.string())
                                for i in range(width)})
                con.register("_xlsx_rows", pa.table(columns))
                try:
                    con.execute("INSERT INTO _sheet SELECT * FROM _xlsx_rows")
                finally:
                    con.unregister("_xlsx_rows")
                chunk.clear()

            for line, cells in parser.parse():
                values = {c["column"]: c["value"] for c in cells if c["value"] is not None}
                if not values:
                    continue
                if header is None:
                    width = max(values)
                    header = _normalise_header(path, [
                        str(values[i]) if i in values else "" for i in range(1, width + 1)])
                    header_row = line
                    con.execute("CREATE OR REPLACE TEMP TABLE _sheet (_line BIGINT, " +
                                ", ".join(f'"{i}" VARCHAR' for i in range(width)) + ")")
                    continue
                beyond = max(values)
                if beyond > width:
                    raise RejectedFile(f"{path.name}: cell {get_column_letter(beyond)}{line} "
                                       "has a value but its column has no header")
                chunk.append((line, [_xlsx_text(values.get(i + 1)) for i in range(width)]))
                if len(chunk) >= _XLSX_CHUNK_ROWS:
                    flush()
            if header is None:
                raise RejectedFile(f"{path.name}: first sheet is empty (no header row)")
            if chunk:
                flush()
        finally:
            source.close()
        if parser.unsaved_formulas:
            first, more = parser.unsaved_formulas[0], len(parser.unsaved_formulas) - 1
            raise RejectedFile(
                f"{path.name}: cell {first} holds a formula saved without its value"
                + (f" (and {more} more)" if more else "")
                + "; open and save the workbook in Excel, or deliver values")
        for merged in (parser.merged_cells.mergeCell if parser.merged_cells else []):
            _fill_merged(con, merged.ref, header_row, width)
    finally:
        book.close()
    columns = ", ".join(f'"{i}"' for i in range(width))
    return _Source(header, f"(SELECT {columns} FROM _sheet)", [],
                   "not a readable XLSX workbook")


def _fill_merged(con: duckdb.DuckDBPyConnection, ref: str, header_row: int,
                 width: int) -> None:
    """Give every cell of a merged range below the header the value of its top-left cell,
    as the sheet shows it."""
    from openpyxl.utils import range_boundaries

    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_row <= header_row or min_col > width:
        return
    for col in range(min_col, min(max_col, width) + 1):
        con.execute(f'UPDATE _sheet SET "{col - 1}" = (SELECT "{min_col - 1}" FROM _sheet '
                    "WHERE _line = ?) WHERE _line BETWEEN ? AND ?",
                    [min_row, min_row, max_row])


def _stage(con: duckdb.DuckDBPyConnection, source: _Source, path: Path) -> None:
    """Read the delivery into _delivery as text. Nothing but the read: its row ids
    follow the file only while DuckDB can keep the order in parallel, and an IN list
    (a join) in the same statement silently loses it."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _delivery AS "
                    f"SELECT * FROM {source.relation}", source.params)
    except duckdb.Error as exc:
        if _machine_trouble(exc):
            raise
        raise _read_error(path, source, exc) from exc


READERS = {"csv": _read_csv, "parquet": _read_parquet, "xlsx": _read_xlsx}


# --- the contract as SQL ---------------------------------------------------------------

def _typed(col: Column, text: str) -> str:
    """SQL giving the column's typed value from its text, NULL when it does not parse.
    Casts skip ASCII blanks themselves; trim (which also strips Unicode blanks) runs only
    for the values that do not cast as they are, the same result at a fraction of the
    cost. Likewise the usual spellings of a boolean are matched before normalising."""
    if col.type == "timestamp":
        return f"(TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"
    if col.type == "boolean":
        spelled = f"lower(trim({text}))"
        return (f"CASE {text} WHEN 'false' THEN false WHEN 'true' THEN true ELSE "
                f"CASE WHEN {_one_of(spelled, _TRUE)} THEN true "
                f"WHEN {_one_of(spelled, _FALSE)} THEN false END END")
    if col.type == "currency":
        return f"upper(trim({text}))"
    if col.type == "text":
        return text
    if col.type == "integer":
        # A cast to BIGINT rounds '12.7' to 13: only a whole number is an integer.
        number = (f"coalesce(TRY_CAST({text} AS DECIMAL(38, 10)), "
                  f"TRY_CAST(trim({text}) AS DECIMAL(38, 10)))")
        return f"TRY_CAST(CASE WHEN {number} = trunc({number}) THEN {number} END AS BIGINT)"
    return (f"coalesce(TRY_CAST({text} AS {col.sql_type}), "
            f"TRY_CAST(trim({text}) AS {col.sql_type}))")


def _loaded(col: Column, text: str) -> str:
    """The value raw.<extract> gets for a row that passed the contract. A timestamp is
    then finite, and its UTC wall time is the instant's microseconds as they are:
    the same value as the AT TIME ZONE of _typed without the time-zone library."""
    if col.type == "timestamp":
        return f"make_timestamp(epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)))"
    if col.name == "is_deleted":
        return f"coalesce({_typed(col, text)}, false)"
    return _typed(col, text)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values) -> str:
    return "(" + ", ".join(map(_sql_text, values)) + ")"


def _one_of(expr: str, values) -> str:
    """`expr IN values` for a CASE branch that seldom runs: DuckDB turns an IN list into a
    join evaluated for every row, whereas equalities stay inside the branch."""
    return "(" + " OR ".join(f"{expr} = {_sql_text(v)}" for v in values) + ")"


def _present(text: str) -> str:
    """SQL true when the value is not blank. trim strips only blanks, never a printable
    ASCII character, so a value starting with one ('!' to '~') is present without
    trimming it: the trim runs for the rare value starting otherwise."""
    return (f"CASE WHEN {text} >= '!' AND {text} < chr(127) THEN true "
            f"ELSE ({text} IS NOT NULL AND trim({text}) <> '') END")


def _printable(value: str) -> bool:
    return "!" <= value[:1] <= "~"


def _rules(col: Column, text: str) -> list[tuple[str, str]]:
    """(SQL condition, reason) pairs: each condition is true when the column's value
    (SQL `text`) breaks one rule of the contract."""
    name, typed, present = col.name, _typed(col, text), _present(text)
    out = []
    if col.required:
        out.append((f"NOT {present}", f"{name}: required value missing"))
    if col.type not in ("text", "currency"):
        out.append((f"{present} AND {typed} IS NULL", f"{name}: not a valid {col.type}"))
    if col.type == "currency":
        out.append((f"{present} AND {typed} NOT IN {_sql_list(sorted(CURRENCIES))}",
                    f"{name}: unknown currency"))
    if col.accepted:
        out.append((f"{present} AND {text} NOT IN {_sql_list(col.accepted)}",
                    f"{name}: value not accepted"))
    if col.min is not None:
        out.append((f"{typed} < {float(col.min)}", f"{name}: below the minimum {col.min:g}"))
    if col.type in ("date", "timestamp"):
        out.append((f"{typed} NOT BETWEEN DATE '{EARLIEST_DATE}' AND DATE '{LATEST_DATE}'",
                    f"{name}: date out of range"))
    return out


def _passes(col: Column, text: str) -> str | None:
    """SQL true exactly when none of the column's _rules holds (None: always true).
    Written out rather than negating the rules: each value is trimmed and cast about
    once instead of once per rule, the largest share of the check on a big delivery.
    A missing value never parses nor is a member of a list of present values, so a
    parsed value or a member is a present one; CASE (not OR) runs the costlier
    presence test only for the values that fail the cheap one."""
    present = _present(text)
    if col.type in ("text", "currency"):
        members = []
        if col.type == "currency":
            codes = _sql_list(sorted(CURRENCIES))
            members.append(f"CASE WHEN {text} IN {codes} THEN true ELSE "
                           f"{_one_of(_typed(col, text), sorted(CURRENCIES))} END")
        if col.accepted:
            members.append(f"{text} IN {_sql_list(col.accepted)}")
        member = " AND ".join(members)
        if not col.required:
            return f"CASE WHEN {member} THEN true ELSE NOT {present} END" if members else None
        if members and (col.type == "currency" or all(map(_printable, col.accepted))):
            return f"coalesce({member}, false)"
        return " AND ".join([present] + members)
    if col.type == "timestamp":
        # The TIMESTAMPTZ compared with UTC instants: the same test as the typed value
        # against the dates, without converting every value to local time.
        valid = (f"coalesce(TRY_CAST({text} AS TIMESTAMPTZ) BETWEEN "
                 f"TIMESTAMPTZ '{EARLIEST_DATE} 00:00:00+00' AND "
                 f"TIMESTAMPTZ '{LATEST_DATE} 00:00:00+00', false)")
    else:
        typed, bounds = _typed(col, text), []
        if col.min is not None:
            bounds.append(f"{typed} >= {float(col.min)}")
        if col.type == "date":
            bounds.append(f"{typed} BETWEEN DATE '{EARLIEST_DATE}' AND DATE '{LATEST_DATE}'")
        valid = (f"coalesce({' AND '.join(bounds)}, false)" if bounds
                 else f"{typed} IS NOT NULL")
    return valid if col.required else f"CASE WHEN {valid} THEN true ELSE NOT {present} END"


def _extra_name(name: str, taken: set[str]) -> str:
    clean = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "column"
    if not clean[0].isalpha():
        clean = "x_" + clean
    candidate, n = clean, 1
    while candidate in taken or candidate.startswith("_"):
        n += 1
        candidate = f"{clean}_{n}"
    taken.add(candidate)
    return candidate


@dataclass
class _Layout:
    """Where each column of a delivery sits in _delivery: the contract columns' text
    (NULL when the file lacks an optional column) and the extra pass-through columns."""
    text: dict[str, str]
    extras: list[tuple[str, str]]


def _layout(contract: Contract, header: list[str], path: Path) -> _Layout:
    position = {name: i for i, name in enumerate(header)}
    missing = [c.name for c in contract.columns if c.required and c.name not in position]
    if missing:
        hint = " (wrong delimiter? the header has one column)" if len(header) == 1 else ""
        raise RejectedFile(f"{path.name}: missing required column(s) "
                           f"{', '.join(missing)}{hint}")
    text = {c.name: f'd."{position[c.name]}"' if c.name in position
            else "CAST(NULL AS VARCHAR)" for c in contract.columns}
    taken = set(contract.column_names)
    extras = [(f'd."{i}"', _extra_name(n, taken)) for n, i in position.items()
              if n not in contract.column_names]
    return _Layout(text, extras)


def _passes_all(contract: Contract, layout: _Layout) -> str:
    checks = [p for col in contract.columns
              if (p := _passes(col, layout.text[col.name])) is not None]
    return " AND ".join(checks) if checks else "true"


@dataclass
class _Repeats:
    """How a row superseded by a later row of the same key in the file is found."""
    join: str = ""             # joins _repeated_keys to _delivery d, when a key repeats
    superseded: str = "false"  # SQL, true for a superseded row


def _count_rows_and_repeats(con: duckdb.DuckDBPyConnection, contract: Contract,
                            layout: _Layout) -> tuple[int, int, _Repeats]:
    """The rows read, the first row id, and the keys the file repeats (in
    _repeated_keys with the row id that wins: the last). One scan of the key columns
    counts the rows and the distinct key hashes: as many hashes as rows proves every
    key unique (equal keys hash alike), the usual case; fewer (a repeat, or rarely a
    collision) sends the keys through the exact grouping."""
    keys = [layout.text[k] for k in contract.key]
    read, first_rowid, key_hashes = con.execute(
        f"SELECT count(*), coalesce(min(rowid), 0), count(DISTINCT hash({', '.join(keys)})) "
        "FROM _delivery d").fetchall()[0]
    if key_hashes == read:
        return read, first_rowid, _Repeats()
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _repeated_keys AS
        SELECT {', '.join(f'{k} AS _k{i}' for i, k in enumerate(keys))},
               max(d.rowid) AS _keep
        FROM _delivery d GROUP BY ALL HAVING count(*) > 1""")
    if not con.execute("SELECT count(*) FROM _repeated_keys").fetchall()[0][0]:
        return read, first_rowid, _Repeats()
    return read, first_rowid, _Repeats(
        "LEFT JOIN _repeated_keys r ON " + " AND ".join(
            f"{k} = r._k{i}" for i, k in enumerate(keys)),
        "(r._keep IS NOT NULL AND d.rowid <> r._keep)")


def _set_aside_broken(con: duckdb.DuckDBPyConnection, contract: Contract,
                      layout: _Layout, repeats: _Repeats) -> int:
    """Write _broken: the row id and reason of every row of _delivery that did not go
    to raw (the complement of the raw insert's condition). Returns their number."""
    rules = [r for col in contract.columns for r in _rules(col, layout.text[col.name])]
    if repeats.join:
        rules.append((repeats.superseded,
                      "duplicate key in file: a later row of the same key wins"))
    reason = "concat_ws('; ', " + ", ".join(
        f"CASE WHEN {cond} THEN {_sql_text(msg)} END" for cond, msg in rules) + ")"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _broken AS
        SELECT d.rowid AS _rid, {reason} AS _reason FROM _delivery d {repeats.join}
        WHERE ({_passes_all(contract, layout)}) IS NOT TRUE OR {repeats.superseded}""")
    count, unexplained = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE coalesce(_reason, '') = '') "
        "FROM _broken").fetchall()[0]
    if unexplained:
        raise RuntimeError(f"{contract.extract}: {unexplained} rows fail the contract "
                           "check without a reason")
    return count


# --- ledger ----------------------------------------------------------------------------

def _ledger_status(con, rel_path: str, sha: str) -> str | None:
    row = con.execute(
        "SELECT status FROM meta.ingest_ledger WHERE file_path = ? AND sha256 = ? "
        "AND status <> 'pending' ORDER BY load_seq DESC LIMIT 1", [rel_path, sha]).fetchall()
    return row[0][0] if row else None


def _loaded_elsewhere(con, sha: str) -> str | None:
    row = con.execute(
        "SELECT file_path FROM meta.ingest_ledger WHERE sha256 = ? AND status = 'loaded' "
        "LIMIT 1", [sha]).fetchall()
    return row[0][0] if row else None


def _record(con, seq: int, rel_path: str, extract: str, sha: str | None, size: int | None,
            result: FileResult) -> None:
    con.execute(
        "INSERT INTO meta.ingest_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, rel_path, extract, sha, size, result.status, result.rows_read,
         result.rows_loaded, result.rows_quarantined, result.error,
         datetime.now(timezone.utc).replace(tzinfo=None)])


def _next_seq(con) -> int:
    return con.execute("SELECT coalesce(max(load_seq), 0) + 1 "
                       "FROM meta.ingest_ledger").fetchall()[0][0]


def ledger(con: duckdb.DuckDBPyConnection, extract: str | None = None):
    """The ledger as a DataFrame (newest last), optionally for one extract."""
    where = "WHERE extract = ?" if extract else ""
    return con.execute(f"SELECT * FROM meta.ingest_ledger {where} ORDER BY load_seq",
                       [extract] if extract else []).df()


# --- one delivery ----------------------------------------------------------------------

def _load_file(con, contract: Contract, path: Path, rel_path: str, sha: str,
               seq: int) -> FileResult:
    source = READERS[file_format(path)](con, path)
    try:
        try:
            layout = _layout(contract, source.header, path)
        except RejectedFile:
            if len(source.header) > 1:  # an unreadable file says so first, unless the
                _stage(con, source, path)  # header says it is the delimiter
            raise
        _stage(con, source, path)
    finally:
        if source.scratch:
            source.scratch.unlink(missing_ok=True)
    read, first_rowid, repeats = _count_rows_and_repeats(con, contract, layout)
    raw, quarantine = f"raw.{quote(contract.extract)}", f"quarantine.{quote(contract.extract)}"
    extras = [name for _, name in layout.extras]
    if extras:
        existing = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = ?", [contract.extract]).fetchall()}
        for name in extras:
            if name not in existing:
                for table in (raw, quarantine):
                    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "
                                f"{quote(name)} VARCHAR")
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    lineage = [sql_name for sql_name, _ in LINEAGE_COLUMNS]
    target_cols = ", ".join(quote(n) for n in list(contract.column_names) + extras + lineage)
    typed = [_loaded(c, layout.text[c.name]) for c in contract.columns]
    text = [layout.text[c] for c in contract.column_names]
    passed = [sql for sql, _ in layout.extras]
    lineage_values = f"?, ?, d.rowid - {int(first_rowid)} + 1, ?, ?"
    params = [rel_path, sha, loaded_at, seq]
    # The contract is checked as the good rows are written: the broken ones (usually
    # none) are looked at again only when the insert fell short of the rows read.
    good = con.execute(
        f"INSERT INTO {raw} ({target_cols}) SELECT {', '.join(typed + passed)}, "
        f"{lineage_values} FROM _delivery d {repeats.join} "
        f"WHERE ({_passes_all(contract, layout)}) AND NOT {repeats.superseded}",
        params).fetchall()[0][0]
    bad = _set_aside_broken(con, contract, layout, repeats) if good < read else 0
    if bad:
        quarantined = con.execute(
            f"INSERT INTO {quarantine} ({target_cols}, _reason) SELECT "
            f"{', '.join(text + passed)}, {lineage_values}, b._reason FROM _delivery d "
            "JOIN _broken b ON d.rowid = b._rid", params).fetchall()[0][0]
        if quarantined != bad:
            raise RuntimeError(f"{path.name}: {bad} broken rows but {quarantined} "
                               "quarantined")
    if read != good + bad:
        raise RuntimeError(f"{path.name}: {read} rows read but {good} loaded and {bad} "
                           "quarantined")
    note = _against_history(con, contract, path, seq) if good else None
    return FileResult(rel_path, "loaded", rows_read=read, rows_loaded=good,
                      rows_quarantined=bad, error=note)


def _against_history(con, contract: Contract, path: Path, seq: int) -> str | None:
    """The delivery just written to raw (load `seq`) against what was loaded before it.
    An older snapshot than one already loaded would never be current: refused. An older
    delta is history: loaded (a key's newer version stays current, dbt orders versions by
    extracted_at) and said so, as are deletes of keys never delivered (kept: a key that
    arrives later with older data stays deleted)."""
    raw = f"raw.{quote(contract.extract)}"
    delta = contract.kind == "delta"
    newest_here, newest_before, deletes = con.execute(
        f"SELECT max(extracted_at) FILTER (WHERE _load_seq = ?), "
        f"max(extracted_at) FILTER (WHERE _load_seq <> ?), "
        f"{'count(*) FILTER (WHERE _load_seq = ? AND is_deleted)' if delta else '?'} "
        f"FROM {raw}", [seq, seq, seq if delta else 0]).fetchall()[0]
    notes = []
    if newest_before is not None and newest_here < newest_before:
        if not delta:
            raise RejectedFile(
                f"{path.name}: an older snapshot (extracted_at {newest_here:%Y-%m-%d %H:%M}) "
                f"than one already loaded ({newest_before:%Y-%m-%d %H:%M}) would never be "
                "current")
        notes.append(f"{path.name}: older than data already loaded (extracted_at up to "
                     f"{newest_here:%Y-%m-%d %H:%M}, loaded up to "
                     f"{newest_before:%Y-%m-%d %H:%M}): newer versions of its keys stay "
                     "current")
    if deletes:
        same_key = " AND ".join(f"o.{quote(k)} = n.{quote(k)}" for k in contract.key)
        unknown = con.execute(
            f"SELECT count(*) FROM {raw} n WHERE n._load_seq = ? AND n.is_deleted "
            f"AND NOT EXISTS (SELECT 1 FROM {raw} o WHERE o._load_seq <> ? AND {same_key})",
            [seq, seq]).fetchall()[0][0]
        if unknown:
            notes.append(f"{path.name}: {unknown} row(s) delete a key never delivered before (kept: "
                         "nothing to retire yet)")
    return "; ".join(notes) or None


def _size(path: Path) -> int | None:
    """The size of the name itself (a link's, not its target's): what the landing
    sensor compares with the ledger."""
    try:
        return path.lstat().st_size
    except OSError:
        return None


def ingest_file(con: duckdb.DuckDBPyConnection, contract: Contract, landing_dir: Path,
                path: Path) -> FileResult | None:
    """Load one delivery once. None when the same file was already dealt with."""
    rel_path = path.relative_to(landing_dir).as_posix() if path.is_relative_to(landing_dir) \
        else path.name
    try:
        if name_problem(rel_path):
            raise RejectedFile(f"{rel_path!r}: {name_problem(rel_path)}")
        if in_flight(rel_path):
            return _pending(con, contract, rel_path,
                            f"{path.name}: still being written (temporary name)")
        _check_path(landing_dir, path, rel_path)
    except RejectedFile as exc:
        size = _size(path)
        if _refused_before(con, rel_path, size):
            return None
        return _reject(con, contract, rel_path, None, size, str(exc))
    try:
        before = path.stat()
        sha = sha256_of(path)
    except FileNotFoundError:
        return None  # renamed or removed since the listing: the next listing has it
    except OSError as exc:
        return _pending(con, contract, rel_path,
                        f"{path.name}: cannot be read yet ({_one_line(exc)})")
    if _ledger_status(con, rel_path, sha):
        return None
    duplicate_of = _loaded_elsewhere(con, sha)
    con.execute("BEGIN TRANSACTION")
    try:
        seq = _next_seq(con)
        if duplicate_of:
            result = FileResult(rel_path, "skipped_duplicate",
                                error=f"{path.name}: same content as {duplicate_of}")
        else:
            result = _load_file(con, contract, path, rel_path, sha, seq)
            after = path.stat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise PendingFile(f"{path.name}: changed while it was read")
        _record(con, seq, rel_path, contract.extract, sha, before.st_size, result)
        con.execute("COMMIT")
        return result
    except PendingFile as exc:
        con.execute("ROLLBACK")
        return _pending(con, contract, rel_path, str(exc))
    except RejectedFile as exc:
        con.execute("ROLLBACK")
        return _reject(con, contract, rel_path, sha, before.st_size, str(exc))
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _refused_before(con, rel_path: str, size: int | None) -> bool:
    """A name refused before (its content never read) and unchanged: not again."""
    last = con.execute("SELECT status, sha256, size_bytes FROM meta.ingest_ledger "
                       "WHERE file_path = ? ORDER BY load_seq DESC LIMIT 1",
                       [rel_path]).fetchall()
    return bool(last) and last[0][0] == "rejected" and last[0][1] is None \
        and last[0][2] == size


def _reject(con, contract, rel_path, sha, size, error) -> FileResult:
    result = FileResult(rel_path, "rejected", error=_one_line(error))
    con.execute("BEGIN TRANSACTION")
    _record(con, _next_seq(con), rel_path, contract.extract, sha, size, result)
    con.execute("COMMIT")
    return result


def _pending(con, contract, rel_path, why) -> FileResult:
    result = FileResult(rel_path, "pending", error=why)
    last = con.execute("SELECT status FROM meta.ingest_ledger WHERE file_path = ? "
                       "ORDER BY load_seq DESC LIMIT 1", [rel_path]).fetchall()
    if not last or last[0][0] != "pending":
        con.execute("BEGIN TRANSACTION")
        _record(con, _next_seq(con), rel_path, contract.extract, None, None, result)
        con.execute("COMMIT")
    return result


def ingest_extract(con: duckdb.DuckDBPyConnection, extract: str,
                   landing_dir: Path) -> ExtractResult:
    """Load every new delivery of one extract; the raw table exists afterwards even when
    the extract was never delivered."""
    contract = load_contracts()[extract]
    ensure_schemas(con)
    landing_dir = Path(os.path.abspath(landing_dir))
    result = ExtractResult(extract)
    for path in list_deliveries(landing_dir, extract):
        outcome = ingest_file(con, contract, landing_dir, path)
        if outcome is not None:
            result.files.append(outcome)
    for table in ("_sheet", "_delivery", "_repeated_keys", "_broken"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return result
