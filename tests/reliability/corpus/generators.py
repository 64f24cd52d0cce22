"""Corpus files that are binary, large or impossible to commit (a link out of the
landing zone, a name with control characters): each generator writes its delivery at
`path` (in the landing zone) and may use `outside`, a folder beside the landing zone.
cases.yaml names a generator with `make:`."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zipfile
from pathlib import Path

FX_HEADER = "rate_date,from_currency,to_currency,rate,source_system,extracted_at,is_deleted"
FX_ROWS = ["2026-01-01,EUR,USD,1.10,erp,2026-01-01T23:00:00Z,",
           "2026-01-01,GBP,USD,1.25,erp,2026-01-01T23:00:00Z,"]
TRAVELLER = "Zürich 東京 Ærø"   # non-ASCII text every encoding case must keep


def _fx_text(note: bool = False) -> str:
    if note:
        return "\n".join([FX_HEADER + ",note"] + [r + "," + TRAVELLER for r in FX_ROWS]) + "\n"
    return "\n".join([FX_HEADER] + FX_ROWS) + "\n"


def good_fx(path: Path, outside: Path) -> None:
    path.write_text(_fx_text())


def utf16_le_bom(path: Path, outside: Path) -> None:
    path.write_bytes(codecs.BOM_UTF16_LE + _fx_text(True).encode("utf-16-le"))


def utf16_be_bom(path: Path, outside: Path) -> None:
    path.write_bytes(codecs.BOM_UTF16_BE + _fx_text(True).encode("utf-16-be"))


def utf16_le_no_bom(path: Path, outside: Path) -> None:
    path.write_bytes(_fx_text(True).encode("utf-16-le"))


def utf16_be_no_bom(path: Path, outside: Path) -> None:
    path.write_bytes(_fx_text(True).encode("utf-16-be"))


def utf32(path: Path, outside: Path) -> None:
    path.write_bytes(_fx_text(True).encode("utf-32"))


def binary_garbage(path: Path, outside: Path) -> None:
    """A PNG renamed to .csv: a header of bytes, NULs in no text's pattern."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)


def utf8_then_latin1_late(path: Path, outside: Path) -> None:
    """UTF-8 for the first 64 KiB (the encoding is guessed from them), then one Latin-1
    byte on line 1,502."""
    rows = [f"2026-01-01,EUR,USD,1.10,Zürich-{i},2026-01-01T23:00:00Z," for i in range(1500)]
    rows.append("2026-01-01,EUR,USD,1.10,Z\xfcrich-x,2026-01-01T23:00:00Z,")
    text = "\n".join([FX_HEADER] + rows[:-1]).encode("utf-8") + b"\n" + \
        rows[-1].encode("latin-1") + b"\n"
    assert len(text) > 1 << 16
    path.write_bytes(text)


def gzip_good(path: Path, outside: Path) -> None:
    path.write_bytes(gzip.compress(_fx_text().encode()))


def gzip_truncated(path: Path, outside: Path) -> None:
    """A gzip cut in the middle, as a copy that stopped: the first 64 KiB still inflate."""
    rows = [f"2026-01-01,EUR,USD,1.{i % 100:02d},erp-{i},2026-01-01T23:00:00Z,"
            for i in range(40_000)]
    data = gzip.compress(("\n".join([FX_HEADER] + rows) + "\n").encode())
    path.write_bytes(data[: len(data) // 2])


def parquet_corrupt(path: Path, outside: Path) -> None:
    path.write_bytes(b"PAR1 this is not parquet")


def parquet_wrong_types(path: Path, outside: Path) -> None:
    """The contract's names with other types: a timestamp for a date, text for a rate,
    integers for a boolean, a date for a timestamp."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datetime import date, datetime

    pq.write_table(pa.table({
        "rate_date": pa.array([datetime(2026, 1, 1), datetime(2026, 1, 2)], pa.timestamp("us")),
        "from_currency": ["EUR", "GBP"],
        "to_currency": ["USD", "USD"],
        "rate": ["1.10", "one point two"],
        "source_system": ["erp", "erp"],
        "extracted_at": pa.array([date(2026, 1, 2), date(2026, 1, 2)], pa.date32()),
        "is_deleted": pa.array([0, 1], pa.int8()),
    }), path)


def parquet_dates_as_numbers(path: Path, outside: Path) -> None:
    """rate_date as the integer 20260101: no date, every row quarantined."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "rate_date": pa.array([20260101, 20260102], pa.int64()),
        "from_currency": ["EUR", "GBP"], "to_currency": ["USD", "USD"],
        "rate": pa.array([1.1, 1.25]), "source_system": ["erp", "erp"],
        "extracted_at": ["2026-01-02T23:00:00Z", "2026-01-02T23:00:00Z"],
    }), path)


def parquet_nested(path: Path, outside: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "rate_date": ["2026-01-01"], "from_currency": ["EUR"], "to_currency": ["USD"],
        "rate": pa.array([{"value": 1.1, "scale": 4}]), "source_system": ["erp"],
        "extracted_at": ["2026-01-02T23:00:00Z"],
    }), path)


def xlsx_formulas_merged(path: Path, outside: Path) -> None:
    """As Excel saves it: formulas with their computed value, the currency pair merged
    down three rows, a date cell."""
    import xlsxwriter
    from datetime import datetime

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("rates")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, name in enumerate(FX_HEADER.split(",") + ["inverse"]):
        sheet.write(0, col, name)
    for row in range(1, 4):
        sheet.write_datetime(row, 0, datetime(2026, 1, row), day)
        sheet.write_formula(row, 3, f"=1+{row}/10", None, 1 + row / 10)
        sheet.write(row, 4, "erp")
        sheet.write(row, 5, f"2026-01-0{row}T23:00:00Z")
        sheet.write_formula(row, 7, f"=1/D{row + 1}", None, round(1 / (1 + row / 10), 6))
    sheet.merge_range(1, 1, 3, 1, "EUR")
    sheet.merge_range(1, 2, 3, 2, "USD")
    book.close()


def xlsx_formula_without_value(path: Path, outside: Path) -> None:
    """Written by a program that never calculated it: the formula, no value."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(FX_HEADER.split(","))
    sheet.append(["2026-01-01", "EUR", "USD", 1.1, "erp", "2026-01-01T23:00:00Z"])
    sheet.append(["2026-01-02", "EUR", "USD", "=D2*1.01", "erp", "2026-01-02T23:00:00Z"])
    book.save(path)


def xlsx_empty_sheet(path: Path, outside: Path) -> None:
    import openpyxl

    openpyxl.Workbook().save(path)


def xlsx_no_sheet(path: Path, outside: Path) -> None:
    """A workbook whose sheet list is empty (the part files are all there)."""
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                start, end = data.index(b"<sheets>"), data.index(b"</sheets>")
                data = data[:start] + b"<sheets/>" + data[end + len(b"</sheets>"):]
            out.writestr(item, data)


def xlsx_value_without_header(path: Path, outside: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(FX_HEADER.split(","))
    sheet.append(["2026-01-01", "EUR", "USD", 1.1, "erp", "2026-01-01T23:00:00Z"])
    sheet.append(["2026-01-01", "GBP", "USD", 1.25, "erp", "2026-01-01T23:00:00Z", None,
                  None, "see note"])
    book.save(path)


def link_out(path: Path, outside: Path) -> None:
    """A link to a file outside the landing zone (a readable, valid delivery)."""
    target = outside / "secret_rates.csv"
    target.write_text(_fx_text())
    os.symlink(target, path)


def folder_link_out(path: Path, outside: Path) -> None:
    """A link to a folder outside the landing zone, holding a valid delivery."""
    folder = outside / "elsewhere"
    folder.mkdir()
    (folder / "fx.csv").write_text(_fx_text())
    os.symlink(folder, path, target_is_directory=True)


BIG_FILE_ROWS = 80_000


def big_file(path: Path, outside: Path) -> None:
    """An inventory movements delivery of 57 MB (wide rows), larger than the 32 MB DuckDB
    may use while it loads it (cases.yaml); written by DuckDB in a fraction of a second."""
    import duckdb

    duckdb.sql(f"""
        SELECT 'MV' || lpad(i::VARCHAR, 9, '0') AS movement_id,
               'FG-' || (10000 + i % 5000) AS item_id, 'P-US1' AS site_id,
               'receipt' AS movement_type, (i % 97)::VARCHAR || '.25' AS qty,
               '12.5000' AS value, 'USD' AS currency,
               (DATE '2024-01-01' + (i % 700)::INT)::VARCHAR AS posted_on,
               'PO' AS ref_doc_type, 'PO-' || i AS ref_doc_id, '1' AS ref_line,
               'erp' AS source_system, '2026-01-01T23:00:00Z' AS extracted_at,
               'false' AS is_deleted, repeat('pallet note ', 50) || i AS note
        FROM range({BIG_FILE_ROWS}) t(i)""").write_csv(str(path))


GENERATORS = {f.__name__: f for f in (
    good_fx, utf16_le_bom, utf16_be_bom, utf16_le_no_bom, utf16_be_no_bom, utf32,
    binary_garbage, utf8_then_latin1_late, gzip_good, gzip_truncated, parquet_corrupt,
    parquet_wrong_types, parquet_dates_as_numbers, parquet_nested, xlsx_formulas_merged,
    xlsx_formula_without_value, xlsx_empty_sheet, xlsx_no_sheet, xlsx_value_without_header,
    link_out, folder_link_out, big_file)}
