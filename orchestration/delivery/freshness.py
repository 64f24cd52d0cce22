"""When the last delivery of an extract arrived, for the freshness checks
(docs/operations.md).

The ingest asset materializes on every run, whether or not a file came in, so its
materialization time says when the pipeline ran, not when the source last delivered.
Reported as the materialization's `dagster/last_updated_timestamp`, this time is what
Dagster's freshness checks compare against instead.
"""

from __future__ import annotations

from datetime import timezone

import duckdb

LAST_UPDATED_METADATA_KEY = "dagster/last_updated_timestamp"


def last_delivery_timestamp(con: duckdb.DuckDBPyConnection, extract: str) -> float | None:
    """Unix time when the newest loaded file of `extract` was seen; None before any."""
    row = con.execute("SELECT max(seen_at) FROM meta.ingest_ledger "
                      "WHERE extract = ? AND status = 'loaded'", [extract]).fetchall()
    seen = row[0][0] if row else None
    return None if seen is None else seen.replace(tzinfo=timezone.utc).timestamp()
