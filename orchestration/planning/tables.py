"""The forecast tables: what the forecast asset writes and the dbt planning marts read
(dbt source `forecast`, dbt_project/models/marts/planning/_forecast__sources.yml).

Created with the other warehouse schemas (ingestion.schema.ensure_schemas), so every
planning model builds, empty, before the first forecast exists.
"""

from __future__ import annotations

import duckdb
import yaml

from ..settings import DBT_PROJECT_DIR

LEVELS = (80, 95)


def _horizons() -> tuple[int, int]:
    """Weeks each weekly snapshot forecasts, months each monthly one: dbt vars
    (dbt_project.yml), because the dbt tests on the forecast source check them."""
    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    return int(dbt_vars["forecast_horizon_weeks"]), int(dbt_vars["forecast_horizon_months"])


HORIZON_WEEKS, HORIZON_MONTHS = _horizons()

_INTERVALS = ",\n    ".join(f"forecast_{side}_{level} DOUBLE NOT NULL"
                            for level in LEVELS for side in ("lo", "hi"))

# Append-only: one snapshot per cutoff, every snapshot kept. No PRIMARY KEY: a snapshot
# is replaced by delete + insert in one transaction, which DuckDB's eager key checks
# refuse; the dbt test demand_forecast_horizon_complete (each week once) holds the key
# instead. history_digest identifies the history (and settings) a snapshot was made
# from, so a run on the same history leaves the snapshot as it is.
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
