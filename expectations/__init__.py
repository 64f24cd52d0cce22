"""Great Expectations (1.x, pandas engine) suites built from the extract contracts and
their runner. Plain Python, no Dagster import; orchestration turns results into asset
checks. The suites arrive with the data-quality work; the contracts they derive from
are orchestration/ingestion/contracts.yml."""
