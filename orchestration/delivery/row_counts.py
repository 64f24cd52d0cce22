"""Row-count drop between the published snapshot and the live warehouse
(docs/operations.md): a fact table that suddenly halves means bad input upstream, and
must not replace the snapshot planners read.

Plain Python: two queries on the live connection with the snapshot attached read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..ingestion.schema import quote

# Small marts swing by nature; only a mart that had this many rows can fail.
MIN_ROWS = 100
SNAPSHOT_ALIAS = "ct_published_snapshot"


@dataclass(frozen=True)
class RowCount:
    table: str
    previous: int | None    # rows in the published snapshot; None = not published yet
    current: int | None     # rows in the live warehouse; None = missing

    @property
    def drop_pct(self) -> float:
        if not self.previous or self.current is None:
            return 0.0
        return round(max(0.0, (self.previous - self.current) * 100.0 / self.previous), 1)

    def passed(self, max_drop_pct: float) -> bool:
        if self.previous is None:
            return True
        if self.current is None:
            return False
        return self.previous < MIN_ROWS or self.drop_pct <= max_drop_pct

    def description(self, max_drop_pct: float) -> str:
        if self.previous is None:
            return "first build: not in the published snapshot yet"
        if self.current is None:
            return f"missing in the live warehouse (published with {self.previous} rows)"
        change = f"{self.previous} -> {self.current} rows ({self.drop_pct:g} % drop)"
        if self.passed(max_drop_pct):
            return change
        return f"{change}, more than {max_drop_pct:g} %: bad input upstream? not published"


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?",
        [catalog, schema]).fetchall()}


def _counts(con: duckdb.DuckDBPyConnection, catalog: str, schema: str,
            tables: list[str]) -> dict[str, int]:
    if not tables:
        return {}
    union = " UNION ALL ".join(
        f"SELECT {_literal(t)} AS t, count(*) AS n FROM {quote(catalog)}.{quote(schema)}.{quote(t)}"
        for t in tables)
    return dict(con.execute(union).fetchall())


def row_counts(con: duckdb.DuckDBPyConnection, published: Path, schema: str,
               tables: list[str]) -> dict[str, RowCount]:
    """Live and published row counts of `schema`.<table> for each table; the snapshot
    is attached read-only for the two counting queries and detached again."""
    live_catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    live = _counts(con, live_catalog, schema,
                   sorted(set(tables) & _tables(con, live_catalog, schema)))
    previous: dict[str, int] = {}
    if published.exists():
        con.execute(f"ATTACH {_literal(str(published))} AS {SNAPSHOT_ALIAS} (READ_ONLY)")
        try:
            previous = _counts(con, SNAPSHOT_ALIAS, schema,
                               sorted(set(tables) & _tables(con, SNAPSHOT_ALIAS, schema)))
        finally:
            con.execute(f"DETACH {SNAPSHOT_ALIAS}")
    return {t: RowCount(t, previous.get(t), live.get(t)) for t in tables}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish_refusals(con: duckdb.DuckDBPyConnection, published: Path,
                     max_drop_pct: float) -> list[str]:
    """The marts of the live warehouse (open on `con`) that lost more than `max_drop_pct`
    of the rows the published snapshot has: a reason each, empty when publishing is safe.
    A sudden halving of a fact table means bad input upstream; the snapshot people read
    keeps its rows until someone looks."""
    marts = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' "
        "AND database_name = current_database() ORDER BY 1").fetchall()]
    counts = row_counts(con, published, "marts", marts)
    return [f"marts.{name}: {count.description(max_drop_pct)}"
            for name, count in sorted(counts.items()) if not count.passed(max_drop_pct)]
