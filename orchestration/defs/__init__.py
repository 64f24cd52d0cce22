"""Dagster definitions, one module per integration; orchestration.definitions joins them."""
