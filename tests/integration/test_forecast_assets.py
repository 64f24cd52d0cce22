"""The forecast assets on the session's tiny company (`built`: two core runs on the same
files; the second builds nothing, so a copy with one broken forecast row materializes
the forecast and the planning marts once more): snapshots by cutoff, idempotency, the
checks (dbt tests on the forecast source, reported on the forecast assets), the monthly
reconciliation, and demand_history against the delivered order lines."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.planning import reconcile
from tests.conftest import mart_checksums

pytestmark = pytest.mark.slow

WEEKLY_KEY = dg.AssetKey(["forecast", "demand_forecast"])
MONTHLY_KEY = dg.AssetKey(["forecast", "demand_forecast_monthly"])
# The forecast's checks, as the planning step's dbt tests report them (docs/forecasting.md)
FORECAST_CHECKS = {
    dg.AssetCheckKey(WEEKLY_KEY, name) for name in (
        "demand_forecast_no_missing_series", "demand_forecast_non_negative",
        "demand_forecast_intervals_contain_the_forecast", "demand_forecast_horizon_complete")
} | {
    dg.AssetCheckKey(MONTHLY_KEY, name) for name in (
        "demand_forecast_monthly_horizon_complete",
        "demand_forecast_monthly_agrees_with_weekly")
}


def _cutoff(built) -> date:
    as_of = date.fromisoformat(built.generated["as_of"])
    return as_of - timedelta(days=as_of.weekday() + 7)   # Monday of the week before


def _materializations(settings, key: dg.AssetKey) -> list:
    instance = dg.DagsterInstance.from_config(str(settings.data_dir / "dagster_home"))
    records = instance.fetch_materializations(key, limit=10).records
    return [r.asset_materialization.metadata for r in reversed(records)]


@pytest.fixture(scope="module")
def forecast_again(built, session_env, tmp_path_factory):
    """A copy of the session's company with one negative forecast written into a past
    weekly snapshot (its bounds moved down with it, so only the sign is wrong), whose
    forecast is then materialized once more on the same history, with the planning
    marts that read it (what a run after a new forecast builds): (settings, result)."""
    from orchestration.definitions import defs
    from orchestration.defs.dbt import planning_models
    from orchestration.defs.forecast import demand_forecast
    from orchestration.instance import instance
    from orchestration.stale import with_downstream
    from tests.conftest import copy_of_built

    settings = copy_of_built(built, session_env, tmp_path_factory, "forecast_again")
    con = duckdb.connect(str(settings.warehouse))
    con.execute("""
        UPDATE forecast.demand_forecast
        SET forecast = -1, forecast_lo_80 = -1, forecast_lo_95 = -1
        WHERE (cutoff, item_id, site_id, week) = (
            SELECT (cutoff, item_id, site_id, week) FROM forecast.demand_forecast
            WHERE cutoff = (SELECT min(cutoff) FROM forecast.demand_forecast)
            ORDER BY ALL LIMIT 1)""")
    con.close()
    selection = with_downstream(defs, demand_forecast.keys,
                                [*demand_forecast.keys, *planning_models.keys])
    result = defs.resolve_job_def("core").execute_in_process(
        instance=instance(settings), asset_selection=sorted(selection), raise_on_error=False)
    return settings, result


def test_a_fresh_install_forecasts_the_cutoff_and_the_13_weeks_before(built, warehouse):
    cutoff = _cutoff(built)
    expected = [cutoff - timedelta(weeks=k) for k in range(13, -1, -1)]
    for table in ("demand_forecast", "demand_forecast_monthly"):
        cutoffs = [r[0] for r in warehouse.execute(
            f"SELECT DISTINCT cutoff FROM forecast.{table} ORDER BY 1").fetchall()]
        assert cutoffs == expected, table
    # every snapshot forecasts exactly the series that had history by its cutoff
    per_cutoff = warehouse.execute("""
        SELECT f.cutoff, count(DISTINCT (f.item_id, f.site_id)),
               (SELECT count(DISTINCT (item_id, site_id)) FROM marts.demand_history h
                WHERE h.week <= f.cutoff)
        FROM forecast.demand_forecast f GROUP BY f.cutoff""").fetchall()
    assert all(n == m > 0 for _, n, m in per_cutoff), per_cutoff
    assert max(r[0] for r in warehouse.execute(
        "SELECT week FROM marts.demand_history").fetchall()) == cutoff


def test_a_second_run_adds_no_snapshot_and_changes_none(built, forecast_again):
    forecast_again, _ = forecast_again
    assert WEEKLY_KEY.to_user_string() not in built.second.summary.built
    first, second = _materializations(forecast_again, WEEKLY_KEY)[-2:]
    assert len(first["cutoffs_written"].value) == 14 and first["cutoffs_kept"].value == []
    assert second["cutoffs_written"].value == [] and \
        second["cutoffs_kept"].value == [str(_cutoff(built))]
    # one write, in the first run: every row still carries its timestamp
    warehouse = duckdb.connect(str(forecast_again.warehouse), read_only=True)
    for table in ("demand_forecast", "demand_forecast_monthly"):
        stamps = warehouse.execute(
            f"SELECT count(DISTINCT created_at), count(DISTINCT history_digest), "
            f"count(DISTINCT cutoff) FROM forecast.{table}").fetchall()[0]
        assert stamps == (1, 14, 14), table
    warehouse.close()
    assert built.checksums_first["forecast_accuracy"] == \
        built.checksums_second["forecast_accuracy"]


def test_the_forecast_checks_are_the_dbt_tests_on_the_forecast_source_and_pass(built):
    from orchestration.definitions import defs
    from orchestration.defs.dbt import dbt_manifest, planning_models

    on_forecast = {props["name"] for props in dbt_manifest()["nodes"].values()
                   if props["resource_type"] == "test"
                   and any(parent.startswith("source.control_tower.forecast.")
                           for parent in props["depends_on"]["nodes"])}
    assert on_forecast == {key.name for key in FORECAST_CHECKS}
    checks = {key for key in defs.resolve_asset_graph().asset_check_keys
              if key.asset_key in (WEEKLY_KEY, MONTHLY_KEY)}
    assert checks == FORECAST_CHECKS
    # the planning step runs them, blocking: a failure holds back what reads the forecast
    specs = {spec.key: spec for spec in planning_models.check_specs}
    assert all(specs[key].blocking for key in FORECAST_CHECKS)
    # the session's build ran every one of them, and each passed
    instance = dg.DagsterInstance.from_config(str(built.settings.data_dir / "dagster_home"))
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        list(FORECAST_CHECKS))
    assert {key.name: record.status.value for key, record in latest.items()} == \
        {key.name: "SUCCEEDED" for key in FORECAST_CHECKS}
    assert all(record.event.asset_check_evaluation.passed for record in latest.values())


def test_a_negative_forecast_fails_its_check_and_holds_back_the_planning_marts(
        built, forecast_again):
    from orchestration.definitions import defs
    from orchestration.delivery.alerts import run_failures
    from orchestration.stale import with_downstream

    settings, result = forecast_again
    assert not result.success
    assert [e.step_key for e in result.all_events if e.is_step_failure] == ["planning_models"]
    evaluations = {dg.AssetCheckKey(e.asset_key, e.check_name): e
                   for e in result.get_asset_check_evaluations()}
    assert FORECAST_CHECKS <= set(evaluations)
    failed = {key for key in FORECAST_CHECKS if not evaluations[key].passed}
    assert failed == {dg.AssetCheckKey(WEEKLY_KEY, "demand_forecast_non_negative")}
    broken = evaluations[dg.AssetCheckKey(WEEKLY_KEY, "demand_forecast_non_negative")]
    assert broken.metadata["dagster_dbt/failed_row_count"].value == 1
    # the alert line names the check and the forecast asset
    instance = dg.DagsterInstance.from_config(str(settings.data_dir / "dagster_home"))
    assert [f.name for f in run_failures(instance, result.run_id) if f.kind == "check"] == \
        ["demand_forecast_non_negative on forecast/demand_forecast"]
    # the run selected the planning models that read the forecast: dbt skipped every
    # one, none was materialized, the marts are as the session's build left them
    downstream = with_downstream(defs, [WEEKLY_KEY],
                                 defs.resolve_asset_graph().get_all_asset_keys()) - {WEEKLY_KEY}
    selected = result.dagster_run.asset_selection
    marts = {dg.AssetKey(["marts", name]) for name in (
        "forecast_accuracy", "forecast_accuracy_summary", "inventory_policy",
        "replenishment_proposals")}
    assert marts <= downstream & selected
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {WEEKLY_KEY, MONTHLY_KEY}
    checksums = mart_checksums(settings.warehouse)
    assert {m.path[1]: checksums[m.path[1]] for m in marts} == \
        {m.path[1]: built.checksums_second[m.path[1]] for m in marts}


def test_the_monthly_forecast_equals_the_weekly_aggregate_where_they_overlap(built, warehouse):
    cutoff = _cutoff(built)
    weekly = warehouse.execute(
        "SELECT family, site_id, week, forecast FROM forecast.demand_forecast "
        "WHERE cutoff = ?", [cutoff]).df()
    weekly = weekly.groupby(["family", "site_id", "week"], as_index=False)["forecast"].sum()
    # the cutoff week's own orders count in the first month when the week runs into it
    orders = warehouse.execute(
        "SELECT family, site_id, week, CAST(sum(demand_qty) AS DOUBLE) AS forecast "
        "FROM marts.demand_history WHERE week = ? GROUP BY ALL", [cutoff]).df()
    days = reconcile.split_weeks_by_day(
        pd.concat([weekly, orders]).assign(week=lambda f: pd.to_datetime(f["week"])),
        ["family", "site_id"], ["forecast"])
    days["month"] = reconcile.month_start(days["day"])
    expected = days.groupby(["family", "site_id", "month"])["forecast"].sum()
    monthly = warehouse.execute(
        "SELECT family, site_id, month, forecast, weekly_share, lag_months "
        "FROM forecast.demand_forecast_monthly WHERE cutoff = ?", [cutoff]).df()
    monthly["month"] = pd.to_datetime(monthly["month"])
    overlap = monthly[monthly.weekly_share >= 1]
    # at least the four months after the cutoff's month are inside 26 weeks
    assert (overlap.groupby(["family", "site_id"]).size() >= 4).all()
    assert set(overlap.lag_months) >= {1, 2, 3, 4}
    got = overlap.set_index(["family", "site_id", "month"])["forecast"]
    assert (got - expected.reindex(got.index)).abs().max() < 1e-6
    # the family x site pairs are those of the weekly forecast, 18 months each
    assert len(monthly) == 18 * len(weekly[["family", "site_id"]].drop_duplicates())


def _current_sales_lines(landing) -> pd.DataFrame:
    """Latest version per sales line from the delivered files (docs/conventions.md:
    highest extracted_at, then the later file, then the later row)."""
    frames = []
    for i, path in enumerate(sorted((landing / "sales_order_lines").iterdir())):
        f = pd.read_csv(path, dtype=str)
        frames.append(f.assign(_file=i, _row=range(len(f))))
    lines = pd.concat(frames, ignore_index=True)
    lines["extracted_at"] = pd.to_datetime(lines["extracted_at"])
    lines = lines.sort_values(["extracted_at", "_file", "_row"]) \
        .drop_duplicates(["so_id", "so_line"], keep="last")
    if "is_deleted" in lines:
        lines = lines[lines["is_deleted"].fillna("false").str.lower() != "true"]
    lines["order_date"] = pd.to_datetime(lines["order_date"])
    lines["qty_ordered"] = lines["qty_ordered"].astype(float)
    return lines


def test_demand_history_holds_the_ordered_quantity_less_customer_cancellations(built,
                                                                              warehouse):
    lines = _current_sales_lines(built.settings.landing_dir)
    cutoff = pd.Timestamp(_cutoff(built))
    first = lines["order_date"].min()
    first_week = first + pd.Timedelta(days=(7 - first.weekday()) % 7)   # Monday on/after
    customer = (lines["status"] == "cancelled") & (lines["cancel_reason"] == "customer")
    own = (lines["status"] == "cancelled") & ~customer
    assert customer.any() and own.any()
    counted = lines[~customer & (lines["order_date"] >= first_week)
                    & (lines["order_date"] < cutoff + pd.Timedelta(days=7))]
    expected = counted.groupby(["item_id", "site_id"]).agg(
        qty=("qty_ordered", "sum"), lines=("qty_ordered", "size"))
    mart = warehouse.execute(
        "SELECT item_id, site_id, CAST(sum(demand_qty) AS DOUBLE) AS qty, "
        "sum(order_lines) AS lines, min(week) AS first, max(week) AS last, count(*) AS weeks "
        "FROM marts.demand_history GROUP BY ALL").df().set_index(["item_id", "site_id"])
    assert sorted(mart.index) == sorted(expected.index)
    assert (mart.qty - expected.qty.reindex(mart.index)).abs().max() < 1e-6
    assert (mart.lines == expected.lines.reindex(mart.index)).all()
    # zero-filled: every series runs without a hole to the cutoff
    assert (pd.to_datetime(mart["last"]) == cutoff).all()
    span = (pd.to_datetime(mart["last"]) - pd.to_datetime(mart["first"])).dt.days // 7 + 1
    assert (mart.weeks == span).all()


def test_the_snapshot_publishes_the_forecasts(built, warehouse):
    snap = duckdb.connect(str(built.settings.published), read_only=True)
    try:
        for table in ("demand_forecast", "demand_forecast_monthly"):
            live = warehouse.execute(f"SELECT count(*) FROM forecast.{table}").fetchall()
            assert snap.execute(f"SELECT count(*) FROM forecast.{table}").fetchall() == live
            parquet = built.settings.exports_dir / "parquet" / "forecast" / f"{table}.parquet"
            assert duckdb.sql(f"SELECT count(*) FROM '{parquet}'").fetchall() == live
        assert snap.execute("SELECT count(*) FROM marts.forecast_accuracy").fetchall()[0][0] > 0
    finally:
        snap.close()


def test_the_forecast_asset_reports_models_cutoffs_and_plots(built):
    meta = _materializations(built.settings, WEEKLY_KEY)[-1]
    assert meta["cutoff"].value == str(_cutoff(built))
    assert meta["series"].value > 0 and meta["snapshots_total"].value == 14
    assert "| demand_class | model | series |" in meta["models_by_demand_class"].value
    assert meta["forecast_plots"].value.count("data:image/png;base64,") >= 1
    assert "total" in meta["wall_seconds"].value
    monthly = _materializations(built.settings, MONTHLY_KEY)[-1]
    assert monthly["family_sites"].value > 0
