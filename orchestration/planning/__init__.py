"""Planning engines (plain Python, no Dagster): the demand forecast snapshots and the S&OP
cycle calendar. The Dagster assets in orchestration/defs/forecast.py only wire them."""
