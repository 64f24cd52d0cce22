"""Great Expectations (1.x, pandas engine) suites, one per extract, generated from the
extract contracts (orchestration/ingestion/contracts.yml) plus the business rules a
contract cannot say, and the runner that validates each new delivery with them. Plain
Python, no Dagster import: orchestration/defs/expectations.py turns the reports into
asset checks (docs/expectations.md).

- expectations.rules: the rules, their severity (critical blocks, warning flags) and
  the named thresholds;
- expectations.lookups: the batch SQL, cross-table rules as DuckDB lookup columns;
- expectations.suites: the GX suites and the ephemeral GX context;
- expectations.validate: validate_new_deliveries(), what is recorded in meta.*.
"""
