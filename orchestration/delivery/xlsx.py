"""Formatted XLSX workbooks of the monthly packs, written with XlsxWriter.

Formats follow the column names of the marts (docs/conventions.md): `*_pct` are 0-100
percentages, `*_cc` amounts in the company currency, other money columns in the
document currency of their row, dates as ISO dates. The workbook is built in memory with
a fixed creation date, so the same figures give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

MONEY_WORDS = ("amount", "value", "cost", "price", "balance", "budget", "actual", "spend",
               "ppv", "revenue", "cogs", "margin", "variance", "freight", "duty",
               "accessorial", "capital", "at_stake", "provision", "write_down")
PCT_FORMAT = '0.00"%"'
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
INT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
DAYS_FORMAT = "#,##0.0"
MIN_WIDTH, MAX_WIDTH = 8, 60


@dataclass
class SheetData:
    name: str
    columns: list[str]
    types: list[str]           # DuckDB type names
    rows: list[tuple]
    source: str | None = None  # the table the rows come from


def currency_format(currency: str) -> str:
    return f'#,##0.00 "{currency}"'


def column_kind(name: str, data_type: str) -> str:
    """date, datetime, bool, int, pct, currency (company), money, days, decimal or text."""
    t = data_type.upper()
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t == "BOOLEAN":
        return "bool"
    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "days" if name.endswith("_days") else "int"
    if t.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        if name.endswith("_pct") or "_pct_" in name:
            return "pct"
        if name.endswith("_cc") or "_cc_" in name:
            return "currency"
        if name.endswith("_days"):
            return "days"
        if any(w in name for w in MONEY_WORDS):
            return "money"
        return "decimal"
    return "text"


def _number_formats(currency: str) -> dict[str, str]:
    return {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "int": INT_FORMAT,
            "pct": PCT_FORMAT, "currency": currency_format(currency), "money": MONEY_FORMAT,
            "days": DAYS_FORMAT, "decimal": DECIMAL_FORMAT}


def _shown(value) -> str:
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def _write_cell(ws, row: int, col: int, value, fmt) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(row, col, float(value), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


class PackWorkbook:
    """An XlsxWriter workbook with the packs' formats, closed by `close()`."""

    def __init__(self, path: Path, *, title: str, created: datetime, currency: str):
        import xlsxwriter  # here, not at import: the Dagster definitions load without it

        self.book = xlsxwriter.Workbook(str(path), {"in_memory": True,
                                                    "strings_to_numbers": False})
        self.book.set_properties({"title": title, "author": "Control Tower",
                                  "company": "Control Tower", "created": created})
        self.header = self.book.add_format({"bold": True, "bg_color": "#DCE6F1",
                                            "border": 1, "text_wrap": True,
                                            "valign": "top"})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.label = self.book.add_format({"bold": True})
        self.formats = {kind: self.book.add_format({"num_format": f})
                        for kind, f in _number_formats(currency).items()}
        self.formats["text"] = self.formats["bool"] = None
        self.formats["date_label"] = self.book.add_format({"num_format": DATE_FORMAT,
                                                           "align": "left"})
        self.formats["datetime_label"] = self.book.add_format(
            {"num_format": DATETIME_FORMAT, "align": "left"})

    def table_sheet(self, sheet: SheetData) -> None:
        """Header row frozen and filtered, a number format per column, widths to fit."""
        ws = self.book.add_worksheet(sheet.name)
        kinds = [column_kind(c, t) for c, t in zip(sheet.columns, sheet.types)]
        for col, name in enumerate(sheet.columns):
            ws.write_string(0, col, name, self.header)
        for r, row in enumerate(sheet.rows, start=1):
            for col, value in enumerate(row):
                _write_cell(ws, r, col, value, self.formats[kinds[col]])
        for col, name in enumerate(sheet.columns):
            longest = max([len(name)] + [len(_shown(row[col])) for row in sheet.rows])
            ws.set_column(col, col, max(MIN_WIDTH, min(MAX_WIDTH, longest + 2)))
        ws.freeze_panes(1, 0)
        if sheet.columns:
            ws.autofilter(0, 0, max(len(sheet.rows), 1), len(sheet.columns) - 1)

    def cover_sheet(self, name: str, lines: list[tuple[str, object]],
                    contents: list[tuple] | None = None,
                    contents_header: tuple[str, ...] = ()) -> None:
        """Title, label/value lines, then an optional contents table."""
        ws = self.book.add_worksheet(name)
        ws.write_string(0, 0, str(lines[0][0]), self.title)
        row = 2
        for label, value in lines[1:]:
            ws.write_string(row, 0, label, self.label)
            fmt = (self.formats["datetime_label"] if isinstance(value, datetime)
                   else self.formats["date_label"] if isinstance(value, date) else None)
            _write_cell(ws, row, 1, value, fmt)
            row += 1
        widths = [max(len(str(label)) for label, _ in lines[1:]) + 2,
                  max(len(_shown(v)) for _, v in lines[1:]) + 2]
        if contents:
            row += 1
            for col, head in enumerate(contents_header):
                ws.write_string(row, col, head, self.header)
            for line in contents:
                row += 1
                for col, value in enumerate(line):
                    _write_cell(ws, row, col, value, None)
            for col in range(len(contents_header)):
                longest = max(len(str(c[col])) for c in contents + [contents_header])
                if col < len(widths):
                    widths[col] = max(widths[col], longest + 2)
                else:
                    widths.append(longest + 2)
        for col, width in enumerate(widths):
            ws.set_column(col, col, max(MIN_WIDTH, min(MAX_WIDTH, width)))

    def close(self) -> None:
        self.book.close()


def write_workbook(path: Path, cover: list[tuple[str, object]], contents: list[tuple],
                   sheets: list[SheetData], *, currency: str, title: str,
                   created: datetime) -> None:
    """A cover sheet (with a contents table: sheet, table, rows, what the rows are)
    followed by one formatted sheet per SheetData."""
    book = PackWorkbook(path, title=title, created=created, currency=currency)
    book.cover_sheet("Cover", cover, contents, ("Sheet", "Table", "Rows", "Rows of the period"))
    for sheet in sheets:
        book.table_sheet(sheet)
    book.close()
