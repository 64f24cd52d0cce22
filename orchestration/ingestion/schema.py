"""Warehouse tables the ingestion engine owns, derived from the contracts.

raw.<extract>: the contract's columns, typed, plus the lineage columns below; extra
columns a delivery brings are added as VARCHAR when they first arrive.
quarantine.<extract>: every column as the original text, plus the reason.
"""

from __future__ import annotations

import duckdb

from .contracts import Contract, load_contracts

LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),   # path of the delivery, relative to the landing dir
    ("_file_sha256", "VARCHAR"),
    ("_row_number", "BIGINT"),     # 1-based data row of the delivery
    ("_loaded_at", "TIMESTAMP"),
    ("_load_seq", "BIGINT"),       # ledger order of the delivery: later file, higher seq
)
QUARANTINE_EXTRA = (("_reason", "VARCHAR"),)

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS meta.ingest_ledger (
    load_seq BIGINT NOT NULL,
    file_path VARCHAR NOT NULL,
    extract VARCHAR NOT NULL,
    sha256 VARCHAR,
    size_bytes BIGINT,
    status VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    rows_quarantined BIGINT NOT NULL DEFAULT 0,
    error VARCHAR,
    seen_at TIMESTAMP NOT NULL,
    CHECK (status IN ('loaded', 'rejected', 'skipped_duplicate', 'pending')),
    CHECK (status <> 'loaded' OR rows_read = rows_loaded + rows_quarantined)
)
"""


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def raw_table_ddl(contract: Contract) -> str:
    cols = [f"{quote(c.name)} {c.sql_type}" for c in contract.columns]
    cols += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS raw.{quote(contract.extract)} ({', '.join(cols)})"


def quarantine_table_ddl(contract: Contract) -> str:
    cols = [f"{quote(c.name)} VARCHAR" for c in contract.columns]
    cols += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS + QUARANTINE_EXTRA]
    return f"CREATE TABLE IF NOT EXISTS quarantine.{quote(contract.extract)} ({', '.join(cols)})"


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas, the ledger, every raw/quarantine table (empty if never
    delivered) and the forecast tables (empty before the first forecast), so every dbt
    model builds whatever the landing zone holds. Only the missing tables are created:
    ingest calls this once per extract, and 50 no-op DDL statements each time add up."""
    from ..planning.tables import ensure_forecast_tables

    for schema in ("meta", "raw", "quarantine"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    existing = set(con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database()").fetchall())
    if ("meta", "ingest_ledger") not in existing:
        con.execute(LEDGER_DDL)
    for contract in load_contracts().values():
        if ("raw", contract.extract) not in existing:
            con.execute(raw_table_ddl(contract))
        if ("quarantine", contract.extract) not in existing:
            con.execute(quarantine_table_ddl(contract))
    ensure_forecast_tables(con)
