"""Ingestion's half of security: nothing from a delivery is ever SQL, only files under the
landing zone are read.

- Hostile headers and values end up stored verbatim and no table is dropped.
- Every statement the loader runs is recorded while it loads hostile files in every
  format: no value, header or path from them is in the SQL text (they are parameters,
  read by DuckDB itself, or sanitised names).
- A static scan keeps it so: no interpolation inside a SQL string literal anywhere in
  orchestration/, and every expression the ingestion code interpolates into SQL is in a
  reviewed list saying why it cannot carry text from a file.
- Links and names that lead out of the landing zone are refused, with a ledger reason,
  without reading the file.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.loader import _extra_name, connect, ingest_extract
from orchestration.ingestion.schema import LINEAGE_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
FX = ["rate_date", "from_currency", "to_currency", "rate", "source_system", "extracted_at",
      "is_deleted"]
HOSTILE_HEADERS = ['x"; DROP TABLE raw.items; --', "'); DROP TABLE raw.fx_rates; --",
                   '"rate"', "_source_file", "Robert'); DROP TABLE students;--"]
SANITISED = ["x_drop_table_raw_items", "drop_table_raw_fx_rates", "rate_2", "source_file",
             "robert_drop_table_students"]
HOSTILE_VALUES = ["erp'); DROP TABLE raw.items; --", "'; DROP TABLE x; --", '"', "''",
                  "back\\slash", "? $1 %s", "multi\nline, \"quoted\""]


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _write_hostile_csv(path: Path, canary: str = "") -> None:
    header = FX + HOSTILE_HEADERS
    rows = []
    for i, value in enumerate(HOSTILE_VALUES):
        rows.append([f"2026-01-{i + 1:02d}", "EUR", "USD", "1.1", value + canary,
                     "2026-01-01T23:00:00Z", ""] + [value + canary] * len(HOSTILE_HEADERS))
    rows.append(["2026-02-01", "EUR", "USD", "not a rate " + canary, HOSTILE_VALUES[0] + canary,
                 "2026-01-01T23:00:00Z", ""] + [HOSTILE_VALUES[1] + canary] * len(HOSTILE_HEADERS))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(",".join(_csv_field(v) for v in row)
                              for row in [header] + rows) + "\n", encoding="utf-8")


def _tables(con) -> set[tuple[str, str]]:
    return set(con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                           "WHERE database_name = current_database()").fetchall())


def test_hostile_headers_and_values_are_stored_verbatim_and_drop_nothing(tmp_path):
    landing = tmp_path / "landing"
    _write_hostile_csv(landing / "fx_rates" / "fx_hostile.csv")
    frame = pd.DataFrame({"rate_date": ["2026-03-01"], "from_currency": ["GBP"], "to_currency": ["USD"], "rate": ["1.25"],
                          "source_system": [HOSTILE_VALUES[0]],
                          "extracted_at": ["2026-03-01T23:00:00Z"],
                          HOSTILE_HEADERS[0]: [HOSTILE_VALUES[1]]})
    frame.to_parquet(landing / "fx_rates" / "fx_hostile.parquet")
    frame.assign(rate_date="2026-03-02").to_excel(landing / "fx_rates" / "fx_hostile.xlsx",
                                                  index=False)
    named = landing / "fx_rates" / "fx'; DROP TABLE raw.items; --.csv"
    named.write_text(",".join(FX) + "\n2026-04-01,EUR,USD,1.1,erp,2026-04-01T23:00:00Z,\n")
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        ingest_extract(con, "items", landing)   # every table exists before the attack
        before = _tables(con)
        result = ingest_extract(con, "fx_rates", landing)
        assert _tables(con) == before                               # nothing dropped
        assert con.execute("SELECT count(*) FROM raw.items").fetchall() == [(0,)]
        statuses = {f.path.rsplit("/", 1)[-1]: f.status for f in result.files}
        assert statuses == {"fx_hostile.csv": "loaded", "fx_hostile.parquet": "loaded",
                            "fx_hostile.xlsx": "loaded", named.name: "rejected"}

        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = 'fx_rates'").fetchall()}
        assert set(SANITISED) <= columns
        stored = con.execute(
            'SELECT source_system, x_drop_table_raw_items, drop_table_raw_fx_rates, rate_2, '
            'source_file, robert_drop_table_students, _source_file FROM raw.fx_rates '
            "WHERE _source_file LIKE '%.csv' ORDER BY _row_number").fetchall()
        assert [r[0] for r in stored] == HOSTILE_VALUES
        assert all(set(r[1:6]) == {r[0]} for r in stored)           # every extra verbatim
        assert {r[6] for r in stored} == {"fx_rates/fx_hostile.csv"}  # lineage not overrun
        assert con.execute("SELECT source_system, rate, x_drop_table_raw_items, _reason "
                           "FROM quarantine.fx_rates").fetchall() == [
            (HOSTILE_VALUES[0], "not a rate ", HOSTILE_VALUES[1], "rate: not a valid rate")]
        for suffix in (".parquet", ".xlsx"):
            assert con.execute("SELECT source_system, x_drop_table_raw_items FROM raw.fx_rates "
                               "WHERE _source_file LIKE ?", [f"%{suffix}"]).fetchall() == [
                (HOSTILE_VALUES[0], HOSTILE_VALUES[1])]
        # the refused name is kept verbatim in the ledger, with why
        assert con.execute("SELECT status, error FROM meta.ingest_ledger WHERE file_path = ?",
                           [f"fx_rates/{named.name}"]).fetchall() == [
            ("rejected", f"{('fx_rates/' + named.name)!r}: file name has characters a "
                         "delivery may not use (letters, digits, '.', '_', '-', space)")]
    finally:
        con.close()


class _Recording:
    """The real DuckDB connection, noting the text of every statement it runs."""

    def __init__(self, con):
        self._con, self.statements = con, []

    def execute(self, sql, *args, **kwargs):
        self.statements.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_no_value_header_or_path_from_a_file_is_in_the_sql(tmp_path):
    """Every code path (good rows, quarantine, repeated keys, extra columns, Parquet, XLSX
    with a merged range, an older delta, deletes of unknown keys, an older snapshot, a
    rejected file) runs on files whose every text value, header and path carries a
    canary; none reaches the text of a statement."""
    canary = "Qz7'\"Canary"
    landing = tmp_path / "landing zone'; --"
    _write_hostile_csv(landing / "fx_rates" / "2026" / "fx_a.csv", canary)
    # a repeated key, an older delta, a delete of a key never seen
    (landing / "fx_rates" / "fx_b.csv").write_text(
        ",".join(FX) + "\n" + "\n".join([
            f"2025-12-01,EUR,USD,1.1,{canary},2025-12-01T23:00:00Z,true",
            f"2025-12-01,EUR,USD,1.2,{canary},2025-12-01T23:00:00Z,true"]) + "\n")
    frame = pd.DataFrame({"rate_date": ["2026-03-01", "2026-03-02"], "from_currency": "GBP",
                          "to_currency": "USD", "rate": "1.25", "source_system": canary,
                          "extracted_at": "2026-03-01T23:00:00Z",
                          f"note {canary}": canary})
    frame.to_parquet(landing / "fx_rates" / "fx_c.parquet")
    _merged_xlsx(landing / "fx_rates" / "fx_d.xlsx", canary)
    (landing / "fx_rates" / "fx_e.csv").write_text(f"{canary},x\n1,2\n")
    items = ("item_id,description,item_type,family,category,base_uom,unit_weight_kg,"
             "unit_volume_m3,lifecycle_status,introduced_on,source_system,extracted_at\n")
    (landing / "items").mkdir(parents=True)
    for name, extracted in (("items_a.csv", "2026-02-01"), ("items_b.csv", "2026-01-01")):
        (landing / "items" / name).write_text(
            items + f"{_csv_field('FG-1' + canary)},{_csv_field(canary)},finished,,,,1,1,"
            f"active,2024-01-01,erp,{extracted}\n")

    con = _Recording(connect(tmp_path / "warehouse.duckdb"))
    try:
        fx = ingest_extract(con, "fx_rates", landing)
        it = ingest_extract(con, "items", landing)
        outcome = {f.path.rsplit("/", 1)[-1]: (f.status, f.rows_quarantined) for f in
                   fx.files + it.files}
        assert outcome == {"fx_a.csv": ("loaded", 1), "fx_b.csv": ("loaded", 1),
                           "fx_c.parquet": ("loaded", 0), "fx_d.xlsx": ("loaded", 0),
                           "fx_e.csv": ("rejected", 0), "items_a.csv": ("loaded", 0),
                           "items_b.csv": ("rejected", 0)}
        assert "older than data already loaded" in fx.files[1].error
        assert "delete a key never delivered" in fx.files[1].error
        assert con.execute("SELECT count(*) FROM raw.fx_rates WHERE source_system LIKE ?",
                           [f"%{canary}"]).fetchall() == [(12,)]
    finally:
        con.close()
    assert len(con.statements) > 50
    leaks = [sql for sql in con.statements
             if any(s in sql for s in ("Qz7", "Canary", str(landing), "landing zone"))]
    assert leaks == []
    for sql in con.statements:                  # identifiers: plain names or positions
        for name in re.findall(r'"((?:[^"]|"")*)"', re.sub(r"'(?:[^']|'')*'", "''", sql)):
            assert re.fullmatch(r"[a-z0-9_]+", name), (name, sql[:200])


def _merged_xlsx(path: Path, canary: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for col, name in enumerate(FX + [f"Remark {canary}"]):
        sheet.write(0, col, name)
    for row in (1, 2):
        sheet.write_row(row, 0, [f"2026-04-0{row}", "CHF", "USD", "0.9", canary,
                                 "2026-04-01T23:00:00Z", "", canary])
    sheet.merge_range(1, 7, 2, 7, canary)
    book.close()


# --- static: the code that builds SQL -------------------------------------------------

def _fstrings(path: Path):
    """(f-string node, parents) of one module."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)], parents


def _constant(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Name) and expr.id.lstrip("_").isupper()


# Interpolations right inside a quoted SQL literal ('{x}') that are not module constants.
LITERAL_INTERPOLATIONS = {
    ("orchestration/ingestion/loader.py", "i"): "a column position in read_csv's columns",
    ("orchestration/delivery/finance_pack.py", "m"): "a mart column name from the warehouse "
                                                     "catalogue, never file data",
}


def test_no_interpolation_inside_a_sql_string_literal():
    """A value goes into SQL as a parameter, never pasted between quotes: the only
    f-string interpolations inside '...' in orchestration/ are constants and the
    reviewed ones above."""
    found = set()
    for path in sorted((ROOT / "orchestration").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        nodes, _ = _fstrings(path)
        for node in nodes:
            for before, part in zip(node.values, node.values[1:]):
                if isinstance(part, ast.FormattedValue) and isinstance(before, ast.Constant) \
                        and str(before.value).endswith("'") and not _constant(part.value):
                    found.add((rel, ast.unparse(part.value)))
    assert found == set(LITERAL_INTERPOLATIONS), (
        "an f-string pastes something between SQL quotes; pass it as a parameter "
        f"(unreviewed: {sorted(found - set(LITERAL_INTERPOLATIONS))})")


# Every expression the ingestion engine interpolates into a string that is not a message,
# by module and function, and why it cannot carry text from a delivery. quote(...) and
# module constants pass without a listing. Words used: contract (from contracts.yml, whose
# names are checked as plain identifiers there), position (an integer), fragment (SQL the
# function's own code builds from contract and positions only), sanitised (_extra_name:
# [a-z0-9_] only), digest (hashed for a version, never SQL).
CONTRACT, POSITION, FRAGMENT = "contract", "position", "fragment"
INGESTION_INTERPOLATIONS = {
    "loader.py": {
        "_against_history": {
            "'count(*) FILTER (WHERE _load_seq = ? AND is_deleted)' if delta else '?'": FRAGMENT,
            "raw": FRAGMENT, "same_key": FRAGMENT},
        "_count_rows_and_repeats": {
            "', '.join((f'{k} AS _k{i}' for i, k in enumerate(keys)))": FRAGMENT,
            "', '.join(keys)": FRAGMENT, "i": POSITION, "k": FRAGMENT},
        "_extra_name": {"clean": "sanitised", "n": POSITION},
        "_fill_merged": {"col - 1": POSITION, "min_col - 1": POSITION},
        "_layout": {"i": POSITION, "position[c.name]": POSITION},
        "_load_file": {
            "', '.join(text + passed)": FRAGMENT, "', '.join(typed + passed)": FRAGMENT,
            "_passes_all(contract, layout)": FRAGMENT, "int(first_rowid)": POSITION,
            "lineage_values": FRAGMENT, "quarantine": FRAGMENT, "raw": FRAGMENT,
            "repeats.join": FRAGMENT, "repeats.superseded": FRAGMENT, "table": FRAGMENT,
            "target_cols": FRAGMENT},
        "_loaded": {"_typed(col, text)": FRAGMENT, "text": FRAGMENT},
        "_one_of": {"_sql_text(v)": CONTRACT, "expr": FRAGMENT},
        "_passes": {
            "' AND '.join(bounds)": FRAGMENT,
            "_one_of(_typed(col, text), sorted(CURRENCIES))": CONTRACT,
            "_sql_list(col.accepted)": CONTRACT, "codes": CONTRACT,
            "float(col.min)": CONTRACT, "member": FRAGMENT, "present": FRAGMENT,
            "text": FRAGMENT, "typed": FRAGMENT, "valid": FRAGMENT},
        "_present": {"text": FRAGMENT},
        "_read_csv": {"columns": FRAGMENT, "i": POSITION},
        "_read_parquet": {"i": POSITION, "i + 1": POSITION, "select": FRAGMENT},
        "_read_xlsx": {"columns": FRAGMENT, "i": POSITION},
        "_rules": {
            "_sql_list(col.accepted)": CONTRACT, "_sql_list(sorted(CURRENCIES))": CONTRACT,
            "col.min": CONTRACT, "col.type": CONTRACT, "float(col.min)": CONTRACT,
            "name": CONTRACT, "present": FRAGMENT, "text": FRAGMENT, "typed": FRAGMENT},
        "_set_aside_broken": {
            "_passes_all(contract, layout)": FRAGMENT, "_sql_text(msg)": CONTRACT,
            "cond": FRAGMENT, "reason": FRAGMENT, "repeats.join": FRAGMENT,
            "repeats.superseded": FRAGMENT},
        "_stage": {"source.relation": FRAGMENT},
        "_typed": {"_one_of(spelled, _FALSE)": CONTRACT, "_one_of(spelled, _TRUE)": CONTRACT,
                   "col.sql_type": CONTRACT, "number": FRAGMENT, "text": FRAGMENT},
        "ingest_extract": {"table": FRAGMENT},
        "ledger": {"where": FRAGMENT},
        "parse_cell": {"cell['column']": POSITION, "cell['row']": POSITION},
    },
    "schema.py": {
        "ensure_schemas": {"schema": FRAGMENT},
        "quarantine_table_ddl": {"', '.join(cols)": FRAGMENT, "name": CONTRACT,
                                 "sql_type": CONTRACT},
        "raw_table_ddl": {"', '.join(cols)": FRAGMENT, "c.sql_type": CONTRACT,
                          "name": CONTRACT, "sql_type": CONTRACT},
    },
    "landing.py": {
        "deliveries_key": {"rel": "digest", "size": "digest"},
        "landing_state": {"path.relative_to(landing_dir).as_posix()": "digest",
                          "stat.st_mtime_ns": "digest", "stat.st_size": "digest"},
        "ledger_version": {"loaded": "digest", "quarantined": "digest", "sha": "digest"},
    },
}
MESSAGE_SINKS = {"RejectedFile", "PendingFile", "RuntimeError", "ValueError", "KeyError",
                 "_pending", "FileResult", "notes.append"}


def _context(node, parents) -> tuple[bool, str]:
    """(is the f-string a message, the function it is in)."""
    message = False
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Raise) or (
                isinstance(node, ast.Call) and ast.unparse(node.func) in MESSAGE_SINKS):
            message = True
        if isinstance(node, ast.FunctionDef):
            return message, node.name
    return message, "<module>"


@pytest.mark.parametrize("module", sorted(INGESTION_INTERPOLATIONS))
def test_ingestion_sql_interpolates_only_reviewed_expressions(module):
    """A new interpolation (say a header name pasted unquoted) fails here until it is
    listed above with the reason it cannot carry file text."""
    nodes, parents = _fstrings(ROOT / "orchestration" / "ingestion" / module)
    found: dict[str, set[str]] = {}
    for node in nodes:
        message, function = _context(node, parents)
        if message:
            continue
        for part in node.values:
            if isinstance(part, ast.FormattedValue) and not _constant(part.value) and not (
                    isinstance(part.value, ast.Call) and
                    getattr(part.value.func, "id", "") == "quote"):
                found.setdefault(function, set()).add(ast.unparse(part.value))
    reviewed = {f: set(exprs) for f, exprs in INGESTION_INTERPOLATIONS[module].items()}
    unreviewed = {f: e - reviewed.get(f, set()) for f, e in found.items()
                  if e - reviewed.get(f, set())}
    stale = {f: e - found.get(f, set()) for f, e in reviewed.items()
             if e - found.get(f, set())}
    assert unreviewed == {}, "unreviewed interpolation into SQL: list it with its reason"
    assert stale == {}, "listed interpolation no longer used: drop it"


def test_an_extra_column_name_from_a_file_becomes_a_plain_identifier():
    taken = set(load_contracts()["fx_rates"].column_names)
    reserved = taken | {name for name, _ in LINEAGE_COLUMNS} | {"_reason"}
    names = [_extra_name(h.strip().lower(), taken) for h in HOSTILE_HEADERS +
             ["", "1st", "über", "___", "rate", "x" * 300, "\x00nul"]]
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names), names
    assert len(set(names)) == len(names) and not set(names) & reserved


# --- paths ------------------------------------------------------------------------------

def test_links_and_names_that_lead_out_of_the_landing_zone_are_refused_unread(tmp_path):
    landing, outside = tmp_path / "landing", tmp_path / "outside"
    folder = landing / "fx_rates"
    (folder / "2026").mkdir(parents=True)
    outside.mkdir()
    good = ",".join(FX) + "\n2026-01-01,EUR,USD,1.1,erp,2026-01-01T23:00:00Z,\n"
    (outside / "secret.csv").write_text(good)
    (landing / "shared.csv").write_text(good.replace("EUR", "GBP"))
    os.symlink("../../../outside/secret.csv", folder / "2026" / "relative_out.csv")
    os.symlink(outside, folder / "mounted")
    os.symlink(folder / "2026" / "relative_out.csv", folder / "chain.csv")
    os.symlink(landing / "shared.csv", folder / "inside.csv")      # stays in the zone
    (folder / "fx\u202e.csv").write_text(good)    # right-to-left override: not a name
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        result = ingest_extract(con, "fx_rates", landing)
        refused = dict(con.execute("SELECT file_path, error FROM meta.ingest_ledger "
                                   "WHERE status = 'rejected' AND sha256 IS NULL").fetchall())
        assert set(refused) == {"fx_rates/2026/relative_out.csv", "fx_rates/mounted",
                                "fx_rates/chain.csv", "fx_rates/fx\u202e.csv"}
        assert all("links outside the landing zone" in refused[p] for p in
                   ("fx_rates/2026/relative_out.csv", "fx_rates/mounted", "fx_rates/chain.csv"))
        assert "characters a delivery may not use" in refused["fx_rates/fx\u202e.csv"]
        assert con.execute("SELECT DISTINCT _source_file, from_currency FROM raw.fx_rates"
                           ).fetchall() == [("fx_rates/inside.csv", "GBP")]
        assert {f.status for f in result.files} == {"rejected", "loaded"}
        assert ingest_extract(con, "fx_rates", landing).files == []  # refused once, not again
    finally:
        con.close()
