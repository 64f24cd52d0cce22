"""The warehouse resource: where the live warehouse and the landing zone are."""


import warnings
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from ..ingestion.contracts import STAGE_OWNERS
from ..ingestion.loader import connect
from ..settings import Settings, load_settings

# Every asset that writes the live DuckDB file runs in this pool; dagster.yaml (and the
# in-process executor of `make run`) keep its limit at 1, because DuckDB allows one
# writing process per file.
WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """Settings come from the CT_* environment variables (README: settings)."""

    def settings(self) -> Settings:
        return load_settings()

    @contextmanager
    def connection(self):
        s = self.settings()
        con = connect(s.warehouse, threads=s.duckdb_threads, memory_limit=s.duckdb_memory_limit)
        try:
            yield con
        finally:
            con.close()

    @property
    def landing_dir(self) -> Path:
        return self.settings().landing_dir


def warehouse_lock_retry() -> dg.RetryPolicy:
    """For short steps that open the live warehouse (ingest, publish): a step that loses
    the DuckDB file lock to another process (a second run, an open session) waits 5, 15,
    35 s (+/- jitter) and tries again. The policy retries any failure, so the dbt steps,
    whose failures are failed tests, do not have it."""
    return dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL,
                          jitter=dg.Jitter.PLUS_MINUS)


def with_owners(defs: dg.Definitions) -> dg.Definitions:
    """Every asset owned by the team of its lifecycle stage (its group), set once here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_resolved_asset_specs(
            func=lambda spec: spec.replace_attributes(
                owners=[STAGE_OWNERS[spec.group_name]] if spec.group_name in STAGE_OWNERS
                else spec.owners))
