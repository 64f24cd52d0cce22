"""The forecast assets on the session's tiny company (`built`: two core runs on the same
files; the second builds nothing, so a copy materializes the forecast once more):
snapshots by cutoff, idempotency, the checks, the monthly reconciliation, and
demand_history against the delivered order lines."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.planning import reconcile
from orchestration.planning.checks import CHECKS, MONTHLY, run_checks

pytestmark = pytest.mark.slow

WEEKLY_KEY = dg.AssetKey(["forecast", "demand_forecast"])
MONTHLY_KEY = dg.AssetKey(["forecast", "demand_forecast_monthly"])


def _cutoff(built) -> date:
    as_of = date.fromisoformat(built.generated["as_of"])
    return as_of - timedelta(days=as_of.weekday() + 7)   # Monday of the week before


def _materializations(settings, key: dg.AssetKey) -> list:
    instance = dg.DagsterInstance.from_config(str(settings.data_dir / "dagster_home"))
    records = instance.fetch_materializations(key, limit=10).records
    return [r.asset_materialization.metadata for r in reversed(records)]


@pytest.fixture(scope="module")
def forecast_again(built, session_env, tmp_path_factory):
    """A copy of the session's company whose forecast asset is materialized once more on
    the same history (what the daily schedule's full run does)."""
    from orchestration.definitions import defs
    from orchestration.defs.forecast import demand_forecast
    from orchestration.instance import instance
    from tests.conftest import copy_of_built

    settings = copy_of_built(built, session_env, tmp_path_factory, "forecast_again")
    result = defs.resolve_job_def("core").execute_in_process(
        instance=instance(settings), asset_selection=list(demand_forecast.keys),
        raise_on_error=False)
    assert result.success
    return settings


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


def test_the_forecast_checks_pass(built, warehouse, forecast_again):
    results = run_checks(warehouse, _cutoff(built))
    assert [(r.check.name, r.example) for r in results if not r.passed] == []
    instance = dg.DagsterInstance.from_config(str(forecast_again.data_dir / "dagster_home"))
    for check in CHECKS:
        key = dg.AssetCheckKey(MONTHLY_KEY if check.table == MONTHLY else WEEKLY_KEY,
                               check.name)
        history = instance.event_log_storage.get_asset_check_execution_history(key, limit=2)
        assert len(history) == 2, check.name
        assert all(r.event.asset_check_evaluation.passed for r in history), check.name


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
