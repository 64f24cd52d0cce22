"""The planning and S&OP marts on the tiny demo company, built once in their own
directory: the inventory identity on every row, append-only cycles (two cycles kept,
a re-run replaces only its own cycle), and the consensus rule against the planners'
overrides as the landing zone delivered them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import copy_of_built

pytestmark = pytest.mark.slow

SOP_MARTS = ("sop_demand_plan", "sop_supply_plan", "sop_inventory_projection", "sop_gap_risk",
             "sop_financial_reconciliation", "sop_kpi_scorecard")
KEYS = {
    "sop_financial_reconciliation": ("cycle", "site_id", "category", "month"),
    "sop_kpi_scorecard": ("cycle", "site_id"),
}


def _has_forecasts(warehouse: Path) -> bool:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'forecast' "
            "AND table_name = 'demand_forecast_monthly'").fetchall()[0][0]
        return bool(exists) and bool(con.execute(
            "SELECT count(*) FROM forecast.demand_forecast_monthly").fetchall()[0][0])
    finally:
        con.close()


def _fabricate_forecasts(warehouse: Path, weekly_cutoffs: int = 6) -> None:
    """Stand-in for the forecasting asset when the core run has not filled the
    forecast tables: snapshots of forecasting.forecast on marts.demand_history, in the
    pinned layout (models/marts/planning/_forecast__sources.yml)."""
    import forecasting

    con = duckdb.connect(str(warehouse))
    try:
        history = con.execute(
            "SELECT item_id, site_id, family, week, demand_qty FROM marts.demand_history").df()
        history["week"] = pd.to_datetime(history["week"])
        history["demand_qty"] = history["demand_qty"].astype(float)
        weekly, monthly = [], []
        last = history.week.max()
        for cutoff in (last - pd.Timedelta(weeks=k) for k in range(weekly_cutoffs - 1, -1, -1)):
            past = history[history.week <= cutoff]
            panel = pd.DataFrame({"unique_id": past.item_id + "@" + past.site_id,
                                  "ds": past.week, "y": past.demand_qty})
            panel = panel[panel.groupby("unique_id").y.transform("sum") > 0]
            fc = forecasting.forecast(panel, 26, "W-MON", n_jobs=1, cv_windows=1)
            fc[["item_id", "site_id"]] = fc.unique_id.str.split("@", expand=True)
            fc = fc.assign(cutoff=cutoff.date(), week=fc.ds.dt.date,
                           lag_weeks=((fc.ds - cutoff).dt.days // 7).astype(int),
                           seasonal_naive=fc.forecast, created_at=pd.Timestamp("2000-01-01"))
            weekly.append(fc[["cutoff", "item_id", "site_id", "week", "lag_weeks", "forecast",
                              "forecast_lo_80", "forecast_hi_80", "forecast_lo_95",
                              "forecast_hi_95", "seasonal_naive", "model", "demand_class",
                              "created_at"]])
            month0 = cutoff.to_period("M").to_timestamp()
            by_month = past.assign(month=past.week.dt.to_period("M").dt.to_timestamp())
            by_month = by_month[by_month.month < month0].groupby(
                ["family", "site_id", "month"], as_index=False).demand_qty.sum()
            panel = pd.DataFrame({"unique_id": by_month.family + "@" + by_month.site_id,
                                  "ds": by_month.month, "y": by_month.demand_qty})
            panel = panel[panel.groupby("unique_id").y.transform("sum") > 0]
            fm = forecasting.forecast(panel, 19, "MS", n_jobs=1)
            fm = fm[fm.ds > month0]
            fm[["family", "site_id"]] = fm.unique_id.str.split("@", expand=True)
            fm = fm.assign(cutoff=cutoff.date(), month=fm.ds.dt.date,
                           lag_months=((fm.ds.dt.year - month0.year) * 12
                                       + fm.ds.dt.month - month0.month).astype(int),
                           created_at=pd.Timestamp("2000-01-01"))
            monthly.append(fm[["cutoff", "family", "site_id", "month", "lag_months", "forecast",
                               "forecast_lo_80", "forecast_hi_80", "forecast_lo_95",
                               "forecast_hi_95", "created_at"]])
        con.register("weekly_frame", pd.concat(weekly))
        con.register("monthly_frame", pd.concat(monthly))
        con.execute("CREATE SCHEMA IF NOT EXISTS forecast")
        con.execute("CREATE OR REPLACE TABLE forecast.demand_forecast AS "
                    "SELECT * FROM weekly_frame")
        con.execute("CREATE OR REPLACE TABLE forecast.demand_forecast_monthly AS "
                    "SELECT * FROM monthly_frame")
    finally:
        con.close()


def _dbt_build(settings, cycle: str) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    out = subprocess.run(
        [str(dbt), "--no-use-colors", "build", "--select", "tag:planning", "tag:sop",
         "--exclude-resource-type", "unit_test", "--vars", json.dumps({"sop_cycle": cycle}),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR)],
        env={**os.environ, **settings.dbt_env()}, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def _snapshot(warehouse: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {mart: con.execute(f"SELECT * FROM marts.{mart}").df() for mart in SOP_MARTS}
    finally:
        con.close()


@pytest.fixture(scope="module")
def sop_company(built, session_env, tmp_path_factory):
    settings = copy_of_built(built, session_env, tmp_path_factory, "sop")
    if not _has_forecasts(settings.warehouse):
        _fabricate_forecasts(settings.warehouse)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    as_of = con.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0]
    con.close()
    current = pd.Timestamp(as_of).to_period("M").to_timestamp()
    previous = (current - pd.DateOffset(months=1)).strftime("%Y-%m-%d")
    current = current.strftime("%Y-%m-%d")
    _dbt_build(settings, previous)
    _dbt_build(settings, current)
    two_cycles = _snapshot(settings.warehouse)
    _dbt_build(settings, previous)
    rerun = _snapshot(settings.warehouse)
    return {"settings": settings, "cycles": (previous, current), "two_cycles": two_cycles,
            "rerun": rerun}


def _cycle(frame: pd.DataFrame, cycle: str) -> pd.DataFrame:
    return frame[pd.to_datetime(frame.cycle) == pd.Timestamp(cycle)]


def test_inventory_identity_on_every_row_and_months_chain(sop_company):
    con = duckdb.connect(str(sop_company["settings"].warehouse), read_only=True)
    try:
        rows, broken = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE opening_qty + supply_qty - demand_qty "
            "<> closing_qty) FROM marts.sop_inventory_projection").fetchall()[0]
        chain = con.execute("""
            SELECT count(*) FILTER (WHERE opening_qty <> previous_closing),
                   count(*) FILTER (WHERE months_from_cycle <> position),
                   count(DISTINCT cycle)
            FROM (SELECT *, lag(closing_qty) OVER w AS previous_closing,
                         row_number() OVER w - 1 AS position
                  FROM marts.sop_inventory_projection
                  WINDOW w AS (PARTITION BY cycle, family, site_id ORDER BY month))
            """).fetchall()[0]
        months = con.execute(
            "SELECT DISTINCT count(*) FROM marts.sop_inventory_projection "
            "GROUP BY cycle, family, site_id").fetchall()
    finally:
        con.close()
    assert rows > 0 and broken == 0
    assert chain == (0, 0, 2)
    assert months == [(18,)]


def test_two_cycles_are_kept(sop_company):
    previous, current = sop_company["cycles"]
    for mart, frame in sop_company["two_cycles"].items():
        cycles = set(pd.to_datetime(frame.cycle))
        assert {pd.Timestamp(previous), pd.Timestamp(current)} <= cycles, mart
        key = list(KEYS.get(mart, ("cycle", "family", "site_id", "month")))
        assert not frame.duplicated(key).any(), mart


def test_rerunning_a_cycle_replaces_only_its_rows(sop_company):
    previous, current = sop_company["cycles"]
    for mart in SOP_MARTS:
        before, after = sop_company["two_cycles"][mart], sop_company["rerun"][mart]
        assert len(_cycle(after, previous)) == len(_cycle(before, previous)) > 0, mart
        key = list(KEYS.get(mart, ("cycle", "family", "site_id", "month")))
        assert not after.duplicated(key).any(), mart
        untouched = [_cycle(frame, current).sort_values(key).reset_index(drop=True)
                     for frame in (before, after)]
        pd.testing.assert_frame_equal(*untouched, check_dtype=False)
    demand = _cycle(sop_company["rerun"]["sop_demand_plan"], current)
    horizon = demand[demand.zone != "history"]
    # the current cycle, built after the previous one, compares with it
    assert (pd.to_datetime(horizon.last_cycle) == pd.Timestamp(previous)).any()


def test_consensus_is_statistical_plus_the_landed_override(sop_company):
    settings = sop_company["settings"]
    landed = duckdb.sql(
        f"SELECT * FROM read_csv('{settings.landing_dir}/plan_overrides/*.csv', header=true, "
        "union_by_name=true)").df()
    landed = landed[landed.extracted_at == landed.extracted_at.max()]
    for cycle in sop_company["cycles"]:
        demand = _cycle(sop_company["rerun"]["sop_demand_plan"], cycle)
        horizon = demand[demand.zone != "history"].copy()
        horizon["month"] = pd.to_datetime(horizon.month)
        overrides = landed[pd.to_datetime(landed.cycle) == pd.Timestamp(cycle)].copy()
        overrides["month"] = pd.to_datetime(overrides.month)
        merged = overrides.merge(horizon, on=["family", "site_id", "month"], how="inner",
                                 suffixes=("_landed", ""))
        in_horizon = overrides[overrides.month >= pd.Timestamp(cycle)]
        assert len(merged) == len(in_horizon) > 0, cycle
        assert (merged.override_qty.astype(float) == merged.qty.astype(float)).all()
        expected = (merged.statistical_forecast_qty.astype(float)
                    + merged.qty.astype(float)).clip(lower=0)
        assert (merged.consensus_qty.astype(float) - expected).abs().max() < 1e-9
        plain = horizon[horizon.override_qty.isna()]
        assert (plain.consensus_qty == plain.statistical_forecast_qty).all()
