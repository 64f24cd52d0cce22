"""The monthly finance cost-control pack and the freezing of closed months (plain Python).

A closed month's pack is finance's record of that month: the first time it is built, the
month's rows of every marts.fin_* table are copied to schema finance_close and the pack
shows those frozen rows from then on. A later build of the same month compares the frozen
rows with today's marts, records each difference in finance_close.restatements and lists
it on the pack's Restatements sheet, but never changes the figures. docs/packs.md.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import yaml

from ..ingestion.schema import quote
from ..settings import DBT_PROJECT_DIR
from .files import replace_folder
from .xlsx import SheetData, write_workbook

FINANCE_MODELS_DIR = DBT_PROJECT_DIR / "models" / "marts" / "finance"
CLOSE_SCHEMA = "finance_close"
CLOSE_COLUMNS = ("closed_month", "closed_at", "run_id")
ROW_MEASURE = "_row"

# The tables whose month is not a reporting period of their own: what "the month" means
# for them (the cover sheet and docs/packs.md say the same).
PERIOD_RULES = {
    "fin_grir_reconciliation":
        "GR/IR position at the month end: PO lines open at the month end or with a "
        "receipt or invoice in the month",
    "fin_three_way_match_exceptions":
        "three-way-match exceptions of supplier invoice lines dated in the month",
    "fin_ledger_reconciliation_exceptions":
        "ledger vs sub-ledger differences of documents dated in the month",
}
DEFAULT_PERIOD_RULE = "rows of the month"

_SHEET_WORDS = (("reconciliation", "recon"),)


@dataclass
class FinancePackResult:
    month: str
    folder: Path
    workbook: Path
    files: list[Path]
    sheets: dict[str, int]             # sheet name -> data rows
    tables: dict[str, int]             # fin table -> frozen rows of the month
    restatements: int                  # differences between the frozen and current rows
    restatements_new: int              # of which first seen by this run
    newly_closed: list[str] = field(default_factory=list)
    closed_at: datetime | None = None


def month_start(month: str) -> date:
    """First day of a 'YYYY-MM' partition key."""
    year, mon = month.split("-")[:2]
    return date(int(year), int(mon), 1)


def contract_keys(models_dir: Path = FINANCE_MODELS_DIR) -> dict[str, list[str]]:
    """Grain of each finance mart, from its unique_combination_of_columns test: the
    dbt contract is the one place that says which columns identify a row."""
    keys: dict[str, list[str]] = {}
    for path in sorted(models_dir.glob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            for test in model.get("data_tests") or []:
                # the test by its name, bare or from a package (ct_tests.<name>)
                name = next((n for n in test if n.split(".")[-1] ==
                             "unique_combination_of_columns"), None) \
                    if isinstance(test, dict) else None
                if name is not None:
                    spec = test[name]
                    args = spec.get("arguments", spec)
                    keys[model["name"]] = list(args["combination_of_columns"])
    return keys


def fin_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'marts' AND table_name LIKE 'fin\\_%' ESCAPE '\\' "
        "ORDER BY 1").fetchall()]


def sheet_name(table: str) -> str:
    """A readable sheet name within Excel's 31 characters."""
    name = table.removeprefix("fin_").removesuffix("_monthly")
    for long, short in _SHEET_WORDS:
        name = name.replace(long, short)
    return name[:31]


def _columns(con, schema: str, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
        "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table]).fetchall()]


def _is_measure(data_type: str) -> bool:
    t = data_type.upper()
    return t.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL", "HUGEINT", "BIGINT",
                         "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER",
                         "BOOLEAN"))


def _ensure_close_schema(con) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {CLOSE_SCHEMA}")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {CLOSE_SCHEMA}.closed_months (
        closed_month DATE, table_name VARCHAR, rows BIGINT, as_of_date DATE,
        closed_at TIMESTAMP, run_id VARCHAR, PRIMARY KEY (closed_month, table_name))""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {CLOSE_SCHEMA}.restatements (
        closed_month DATE, table_name VARCHAR, key_columns VARCHAR, key_values VARCHAR,
        measure VARCHAR, change VARCHAR, frozen_value DECIMAL(38,4),
        current_value DECIMAL(38,4), delta DECIMAL(38,4), detected_at TIMESTAMP,
        run_id VARCHAR)""")


def _freeze(con, table: str, period: date, as_of: date | None, closed_at: datetime,
            run_id: str) -> int:
    """Copy the month's rows of marts.<table> to finance_close.<table> (new mart columns
    are added to the frozen table; months frozen before keep NULL there)."""
    frozen = f"{CLOSE_SCHEMA}.{quote(table)}"
    mart_cols = _columns(con, "marts", table)
    con.execute(f"CREATE TABLE IF NOT EXISTS {frozen} AS SELECT *, NULL::DATE AS closed_month,"
                f" NULL::TIMESTAMP AS closed_at, NULL::VARCHAR AS run_id "
                f"FROM marts.{quote(table)} WHERE false")
    have = {c for c, _ in _columns(con, CLOSE_SCHEMA, table)}
    for name, data_type in mart_cols:
        if name not in have:
            con.execute(f"ALTER TABLE {frozen} ADD COLUMN {quote(name)} {data_type}")
    con.execute(f"INSERT INTO {frozen} BY NAME SELECT *, ?::DATE AS closed_month, "
                f"?::TIMESTAMP AS closed_at, ? AS run_id FROM marts.{quote(table)} "
                f"WHERE month = ?", [period, closed_at, run_id, period])
    rows = con.execute(f"SELECT count(*) FROM {frozen} WHERE closed_month = ?",
                       [period]).fetchall()[0][0]
    con.execute(f"INSERT INTO {CLOSE_SCHEMA}.closed_months VALUES (?, ?, ?, ?, ?, ?)",
                [period, table, rows, as_of, closed_at, run_id])
    return rows


def differences(con, table: str, keys: list[str], period: date) -> list[tuple]:
    """(key_values, measure, frozen, current, change) of one table and closed month."""
    frozen_cols = {c: t for c, t in _columns(con, CLOSE_SCHEMA, table)}
    current_cols = {c: t for c, t in _columns(con, "marts", table)}
    measures = [c for c, t in current_cols.items()
                if c in frozen_cols and c not in keys and _is_measure(t)]
    frozen = f"{CLOSE_SCHEMA}.{quote(table)}"
    on = " AND ".join(f"f.{quote(k)} IS NOT DISTINCT FROM c.{quote(k)}" for k in keys)
    key_values = "concat_ws('|', " + ", ".join(
        f"coalesce(CAST(coalesce(f.{quote(k)}, c.{quote(k)}) AS VARCHAR), '')"
        for k in keys) + ")"

    def value(side: str, col: str) -> str:
        expr = f"{side}.{quote(col)}"
        if current_cols[col].upper() == "BOOLEAN":
            expr = f"CAST({expr} AS INTEGER)"
        return f"CAST({expr} AS DECIMAL(38,4))"

    change = ("CASE WHEN f._present AND c._present THEN 'changed' "
              "WHEN f._present THEN 'removed' ELSE 'added' END")
    selects = [f"{key_values}, '{ROW_MEASURE}', "
               f"CAST(CASE WHEN f._present THEN 1 ELSE 0 END AS DECIMAL(38,4)), "
               f"CAST(CASE WHEN c._present THEN 1 ELSE 0 END AS DECIMAL(38,4)), {change}, "
               f"-1 AS measure_order "
               f"FROM f FULL OUTER JOIN c ON {on} "
               f"WHERE f._present IS NULL OR c._present IS NULL"]
    for i, m in enumerate(measures):
        selects.append(f"{key_values}, '{m}', {value('f', m)}, {value('c', m)}, {change}, "
                       f"{i} FROM f FULL OUTER JOIN c ON {on} "
                       f"WHERE {value('f', m)} IS DISTINCT FROM {value('c', m)}")
    sql = (f"WITH f AS (SELECT *, true AS _present FROM {frozen} WHERE closed_month = ?), "
           f"c AS (SELECT *, true AS _present FROM marts.{quote(table)} WHERE month = ?) "
           f"SELECT * FROM (" + " UNION ALL ".join(f"SELECT {s}" for s in selects)
           + ") d ORDER BY 1, measure_order")
    return [r[:5] for r in con.execute(sql, [period, period]).fetchall()]


def _record_restatements(con, table: str, keys: list[str], period: date, diffs: list[tuple],
                         detected_at: datetime, run_id: str) -> tuple[list[tuple], int]:
    """Store the differences not recorded yet with the same current value; return every
    difference with the time it was first detected, and how many are new."""
    key_columns = "|".join(keys)
    known = {(r[0], r[1], r[2]): r[3] for r in con.execute(
        f"SELECT key_values, measure, current_value, min(detected_at) FROM "
        f"{CLOSE_SCHEMA}.restatements WHERE closed_month = ? AND table_name = ? "
        f"GROUP BY ALL", [period, table]).fetchall()}
    rows, new = [], 0
    for key_values, measure, frozen, current, change in diffs:
        delta = (current or 0) - (frozen or 0)
        first = known.get((key_values, measure, current))
        if first is None:
            con.execute(f"INSERT INTO {CLOSE_SCHEMA}.restatements VALUES "
                        f"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [period, table, key_columns, key_values, measure, change, frozen,
                         current, delta, detected_at, run_id])
            first, new = detected_at, new + 1
        rows.append((table, key_columns, key_values, measure, change, frozen, current,
                     delta, first))
    return rows, new


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _export(con, query: str, params: list, folder: Path, name: str) -> list[Path]:
    """CSV and Parquet of one ordered query: same rows, same bytes."""
    csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    con.execute(f"COPY ({query}) TO {_literal(csv)} (FORMAT csv, HEADER)", params)
    con.execute(f"COPY ({query}) TO {_literal(parquet)} (FORMAT parquet)", params)
    return [csv, parquet]


RESTATEMENT_COLUMNS = ["table_name", "key_columns", "key_values", "measure", "change",
                       "frozen_value", "current_value", "delta", "detected_at"]


def build_finance_pack(con: duckdb.DuckDBPyConnection, exports_dir: Path, month: str, *,
                       run_id: str, check_status: str, company_currency: str = "USD",
                       now: datetime | None = None) -> FinancePackResult:
    """Close `month` ('YYYY-MM') if it is not closed yet, record restatements, and write
    <exports>/finance/<month>/ atomically. Runs in one transaction: a failed build
    freezes nothing."""
    period = month_start(month)
    now = (now or datetime.now(timezone.utc)).replace(tzinfo=None, microsecond=0)
    as_of = con.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0]
    keys = contract_keys()
    tables = fin_tables(con)
    missing = [t for t in tables if t not in keys]
    if missing:
        raise ValueError(f"no unique_combination_of_columns in the dbt contract of {missing}")

    final = exports_dir / "finance" / month
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{month}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.mkdir()
    con.execute("BEGIN TRANSACTION")
    try:
        _ensure_close_schema(con)
        closed = {r[0] for r in con.execute(
            f"SELECT table_name FROM {CLOSE_SCHEMA}.closed_months WHERE closed_month = ?",
            [period]).fetchall()}
        newly = [t for t in tables if t not in closed]
        for table in newly:
            _freeze(con, table, period, as_of, now, run_id)
        closed_at = con.execute(
            f"SELECT min(closed_at) FROM {CLOSE_SCHEMA}.closed_months WHERE closed_month = ?",
            [period]).fetchall()[0][0]

        sheets: list[SheetData] = []
        files: list[Path] = []
        counts: dict[str, int] = {}
        restated: list[tuple] = []
        new_restatements = 0
        for table in tables:
            diffs = differences(con, table, keys[table], period)
            rows, new = _record_restatements(con, table, keys[table], period, diffs, now,
                                             run_id)
            restated += rows
            new_restatements += new
            columns = [c for c, _ in _columns(con, CLOSE_SCHEMA, table)
                       if c not in CLOSE_COLUMNS]
            order = ", ".join(quote(k) for k in keys[table])
            query = (f"SELECT {', '.join(quote(c) for c in columns)} FROM "
                     f"{CLOSE_SCHEMA}.{quote(table)} WHERE closed_month = $1 ORDER BY {order}")
            files += _export(con, query, [period], tmp, table)
            rel = con.execute(query, [period])
            types = [d[1] for d in rel.description]
            data = rel.fetchall()
            counts[table] = len(data)
            sheets.append(SheetData(sheet_name(table), columns,
                                    [str(t) for t in types], data, source=table))

        restated.sort(key=lambda r: (r[0], r[2], r[3]))
        rest_query = ("SELECT * FROM (VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(restated))
                      + ") v(" + ", ".join(RESTATEMENT_COLUMNS) + ")") if restated else (
            "SELECT NULL::VARCHAR table_name, NULL::VARCHAR key_columns, "
            "NULL::VARCHAR key_values, NULL::VARCHAR measure, NULL::VARCHAR change, "
            "NULL::DECIMAL(38,4) frozen_value, NULL::DECIMAL(38,4) current_value, "
            "NULL::DECIMAL(38,4) delta, NULL::TIMESTAMP detected_at WHERE false")
        rest_params = [v for r in restated for v in r]
        files += _export(con, rest_query, rest_params, tmp, "restatements")
        rest_types = ["VARCHAR"] * 5 + ["DECIMAL(38,4)"] * 3 + ["TIMESTAMP"]
        sheets.append(SheetData("Restatements", RESTATEMENT_COLUMNS, rest_types,
                                [tuple(r) for r in restated]))

        cover = [
            ("Finance cost-control pack", None),
            ("Period", month),
            ("Dagster run id", run_id),
            ("As-of date", as_of),
            ("Check status", check_status),
            ("Closed (figures frozen) at", closed_at),
            ("Company currency", company_currency),
            ("Restatements", f"{len(restated)} difference(s) between the frozen figures "
                             f"and today's marts (sheet Restatements)"
                             if restated else "none: today's marts equal the frozen figures"),
        ]
        contents = [(s.name, s.source or "", len(s.rows),
                     PERIOD_RULES.get(s.source or "", DEFAULT_PERIOD_RULE)
                     if s.source else "differences found since the month was closed")
                    for s in sheets]
        workbook = tmp / f"finance_close_pack_{month}.xlsx"
        write_workbook(workbook, cover, contents, sheets, currency=company_currency,
                       title=f"Finance cost-control pack {month}",
                       created=datetime(as_of.year, as_of.month, as_of.day) if as_of else
                       datetime(period.year, period.month, 1))
        files.append(workbook)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_folder(tmp, final)
    return FinancePackResult(
        month=month, folder=final, workbook=final / workbook.name,
        files=sorted(final / f.name for f in files),
        sheets={"Cover": len(cover), **{s.name: len(s.rows) for s in sheets}},
        tables=counts, restatements=len(restated), restatements_new=new_restatements,
        newly_closed=newly, closed_at=closed_at)
