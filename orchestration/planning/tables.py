"""The forecast tables: what the forecast asset writes and the dbt planning marts read
(dbt source `forecast`, dbt_project/models/marts/planning/_forecast__sources.yml).

Created with the other warehouse schemas (ingestion.schema.ensure_schemas), so every
planning model builds, empty, before the first forecast exists.
"""

from __future__ import annotations

import duckdb

LEVELS = (80, 95)
HORIZON_WEEKS = 26       # weeks each weekly snapshot forecasts
HORIZON_MONTHS = 18      # months each monthly snapshot forecasts

_INTERVALS = ",\n    ".join(f"forecast_{side}_{level} DOUBLE NOT NULL"
                            for level in LEVELS for side in ("lo", "hi"))

# Append-only: one snapshot per cutoff, every snapshot kept. No PRIMARY KEY: a snapshot
# is replaced by delete + insert in one transaction, which DuckDB's eager key checks
# refuse; the asset checks (horizon_complete: each week once) hold the key instead. history_digest identifies
# the history (and settings) a snapshot was made from, so a run on the same history
# leaves the snapshot as it is.
DEMAND_FORECAST_DDL = f"""
CREATE TABLE IF NOT EXISTS forecast.demand_forecast (
    cutoff DATE NOT NULL,
    item_id VARCHAR NOT NULL,
    site_id VARCHAR NOT NULL,
    week DATE NOT NULL,
    lag_weeks INTEGER NOT NULL,
    forecast DOUBLE NOT NULL,
    {_INTERVALS},
    seasonal_naive DOUBLE NOT NULL,
    model VARCHAR NOT NULL,
    demand_class VARCHAR NOT NULL,
    family VARCHAR NOT NULL,
    history_digest VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
)
"""

DEMAND_FORECAST_MONTHLY_DDL = f"""
CREATE TABLE IF NOT EXISTS forecast.demand_forecast_monthly (
    cutoff DATE NOT NULL,
    family VARCHAR NOT NULL,
    site_id VARCHAR NOT NULL,
    month DATE NOT NULL,
    lag_months INTEGER NOT NULL,
    forecast DOUBLE NOT NULL,
    {_INTERVALS},
    weekly_share DOUBLE NOT NULL,
    model VARCHAR NOT NULL,
    history_digest VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
)
"""


def ensure_forecast_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS forecast")
    con.execute(DEMAND_FORECAST_DDL)
    con.execute(DEMAND_FORECAST_MONTHLY_DDL)
