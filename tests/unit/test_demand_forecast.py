"""The demand forecast engine without Dagster or dbt: snapshots keyed by cutoff on a
synthetic demand_history, and the monthly reconciliation on hand rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.planning import demand_forecast as engine
from orchestration.planning import reconcile
from orchestration.planning.cycle import cycle_of, first_working_day

CUTOFF = date(2024, 6, 3)   # a Monday


def _history(weeks: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    start = CUTOFF - timedelta(weeks=weeks - 1)
    rows = []
    for item, site, family, level, first in (("A", "S1", "Pumps", 20, 0),
                                              ("B", "S1", "Pumps", 5, 0),
                                              ("C", "S2", "Valves", 2, 0),
                                              ("D", "S1", "Valves", 8, weeks - 5)):
        for w in range(first, weeks):
            rows.append((item, site, family, start + timedelta(weeks=w),
                         float(rng.poisson(level))))
    return pd.DataFrame(rows, columns=["item_id", "site_id", "family", "week", "demand_qty"])


def _warehouse(history: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.register("h", history)
    con.execute("CREATE TABLE marts.demand_history AS SELECT item_id, site_id, family, "
                "CAST(week AS DATE) AS week, CAST(demand_qty AS DECIMAL(18, 4)) AS demand_qty "
                "FROM h")
    con.unregister("h")
    return con


def _snapshots(con) -> dict:
    return dict(con.execute("SELECT cutoff, min(created_at) FROM forecast.demand_forecast "
                            "GROUP BY cutoff").fetchall())


def test_a_fresh_install_writes_14_snapshots_and_a_rerun_none():
    con = _warehouse(_history())
    first = engine.run(con, n_jobs=1, now=datetime(2024, 6, 5, 8))
    expected = [CUTOFF - timedelta(weeks=k) for k in range(13, -1, -1)]
    assert first.cutoff == CUTOFF and first.written == expected and first.kept == []
    assert sorted(_snapshots(con)) == expected
    months = con.execute("SELECT DISTINCT cutoff FROM forecast.demand_forecast_monthly "
                         "ORDER BY 1").fetchall()
    assert [m[0] for m in months] == expected
    # D started 5 weeks before the cutoff: in the last 5 snapshots only
    d = con.execute("SELECT min(cutoff), count(DISTINCT cutoff) FROM forecast.demand_forecast "
                    "WHERE item_id = 'D'").fetchall()[0]
    assert d == (CUTOFF - timedelta(weeks=4), 5)
    # every series of every snapshot: 26 weeks, lags 1-26, bounds ordered around a
    # non-negative forecast; every family x site: 18 months (the dbt tests on the
    # forecast source check the same in the pipeline)
    weekly = con.execute("""
        SELECT DISTINCT count(*), count(DISTINCT week), min(lag_weeks), max(lag_weeks),
               bool_and(least(forecast_lo_95, seasonal_naive) >= 0
                        AND forecast_lo_95 <= forecast_lo_80 AND forecast_lo_80 <= forecast
                        AND forecast <= forecast_hi_80 AND forecast_hi_80 <= forecast_hi_95)
        FROM forecast.demand_forecast GROUP BY cutoff, item_id, site_id""").fetchall()
    assert weekly == [(26, 26, 1, 26, True)]
    monthly = con.execute("""
        SELECT DISTINCT count(*), count(DISTINCT month)
        FROM forecast.demand_forecast_monthly GROUP BY cutoff, family, site_id""").fetchall()
    assert monthly == [(18, 18)]

    before = con.execute("SELECT * FROM forecast.demand_forecast ORDER BY ALL").df()
    second = engine.run(con, n_jobs=1, now=datetime(2024, 6, 6, 8))
    assert second.written == [] and second.kept == [CUTOFF] and second.series == 4
    pd.testing.assert_frame_equal(
        con.execute("SELECT * FROM forecast.demand_forecast ORDER BY ALL").df(), before)


def test_new_orders_in_the_cutoff_week_replace_only_that_snapshot():
    con = _warehouse(_history())
    engine.run(con, n_jobs=1, now=datetime(2024, 6, 5, 8))
    con.execute("UPDATE marts.demand_history SET demand_qty = demand_qty + 50 "
                "WHERE item_id = 'A' AND week = ?", [CUTOFF])
    run = engine.run(con, n_jobs=1, now=datetime(2024, 6, 6, 8))
    assert run.written == [CUTOFF]
    created = _snapshots(con)
    assert len(created) == 14 and created[CUTOFF] == datetime(2024, 6, 6, 8)
    assert all(v == datetime(2024, 6, 5, 8) for k, v in created.items() if k != CUTOFF)


def test_a_later_cutoff_adds_one_snapshot_and_keeps_the_others():
    history = _history()
    con = _warehouse(history)
    engine.run(con, n_jobs=1, now=datetime(2024, 6, 5, 8))
    next_week = history[history.week == CUTOFF].assign(week=CUTOFF + timedelta(weeks=1))
    con.register("n", next_week)
    con.execute("INSERT INTO marts.demand_history SELECT item_id, site_id, family, "
                "CAST(week AS DATE), CAST(demand_qty AS DECIMAL(18, 4)) FROM n")
    run = engine.run(con, n_jobs=1, now=datetime(2024, 6, 12, 8))
    assert run.written == [CUTOFF + timedelta(weeks=1)]
    assert len(_snapshots(con)) == 15


def test_each_snapshot_sees_only_the_history_up_to_its_cutoff():
    con = _warehouse(_history())
    engine.run(con, n_jobs=1)
    past = CUTOFF - timedelta(weeks=13)
    stored = con.execute("SELECT item_id, site_id, week, forecast, seasonal_naive FROM "
                         "forecast.demand_forecast WHERE cutoff = ? ORDER BY ALL",
                         [past]).df()
    history = engine.load_history(con)
    alone = engine.forecast_weekly(
        [engine.Snapshot(past, engine.CV_WINDOWS_PAST,
                         history[pd.to_datetime(history.week) <= pd.Timestamp(past)], "")],
        n_jobs=1)
    alone = alone.assign(week=pd.to_datetime(alone.week)).sort_values(
        ["item_id", "site_id", "week"])[["item_id", "site_id", "week", "forecast",
                                         "seasonal_naive"]].reset_index(drop=True)
    stored["week"] = pd.to_datetime(stored["week"])
    pd.testing.assert_frame_equal(stored, alone, check_dtype=False)
    assert set(stored.item_id) == {"A", "B", "C"}     # D starts after that cutoff


def test_weeks_split_by_days_into_months():
    weekly = pd.DataFrame({"k": ["x", "x"], "week": pd.to_datetime(["2024-01-29",
                                                                    "2024-02-05"]),
                           "demand": [7.0, 14.0]})
    months = reconcile.weeks_to_months(weekly, ["k"], ["demand"])
    # 29, 30, 31 January; 1-4 February; then a whole week of February
    assert months["demand"].tolist() == [3.0, 4.0 + 14.0]
    assert months["days"].tolist() == [3, 11]
    assert reconcile.complete_months(months).empty


def test_reconcile_keeps_the_weekly_level_and_the_monthly_shape():
    cutoff = date(2024, 1, 29)           # its week runs to Sunday 4 February
    weeks = pd.date_range("2024-02-05", periods=26, freq="7D")
    weekly = pd.DataFrame({"cutoff": cutoff, "family": "F", "site_id": "S",
                           "week": weeks, "forecast": 70.0, "forecast_lo_80": 56.0,
                           "forecast_hi_80": 84.0, "forecast_lo_95": 49.0,
                           "forecast_hi_95": 91.0})
    cutoff_week = pd.DataFrame({"cutoff": [cutoff], "family": ["F"], "site_id": ["S"],
                                "demand": [35.0]})
    months = pd.date_range("2024-02-01", periods=19, freq="MS")
    model = pd.DataFrame({"cutoff": cutoff, "family": "F", "site_id": "S",
                          "month": months, "forecast": 200.0, "forecast_lo_80": 150.0,
                          "forecast_hi_80": 250.0, "forecast_lo_95": 100.0,
                          "forecast_hi_95": 300.0, "model": "Theta"})
    out = reconcile.reconcile(weekly, cutoff_week, model, 18).set_index("month")
    assert list(out.index[:2]) == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    assert out["lag_months"].tolist() == list(range(1, 19))
    # February 2024 (29 days): 1-4 from the cutoff week's orders (35 / 7 a day), 5-29
    # from the weekly forecast (10 a day) = 20 + 250
    assert out.loc["2024-02-01", "forecast"] == pytest.approx(20 + 250)
    # March-July are inside the horizon (it ends Sunday 4 August): 10 a day
    for m in ("2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01"):
        assert out.loc[m, "forecast"] == pytest.approx(10 * pd.Timestamp(m).days_in_month)
        assert out.loc[m, "weekly_share"] == 1
    # k = weekly over full months / model over the same months
    full = out[out.weekly_share >= 1]
    k = full["forecast"].sum() / (200.0 * len(full))
    # August: 4 weekly days (40) + 27/31 of the scaled model
    assert out.loc["2024-08-01", "forecast"] == pytest.approx(40 + 27 / 31 * 200 * k)
    assert out.loc["2025-01-01", "forecast"] == pytest.approx(200 * k)
    # intervals: the model's relative width around the reconciled point
    assert out.loc["2025-01-01", "forecast_lo_80"] == pytest.approx(150 * k)
    assert out.loc["2024-03-01", "forecast_hi_95"] == pytest.approx(310 * 1.5)
    assert (out["model"] == "Theta").all()


def test_reconcile_without_a_model_extends_the_weekly_rate():
    cutoff = date(2024, 1, 29)
    weeks = pd.date_range("2024-02-05", periods=26, freq="7D")
    weekly = pd.DataFrame({"cutoff": cutoff, "family": "F", "site_id": "S", "week": weeks,
                           "forecast": 7.0, "forecast_lo_80": 0.0, "forecast_hi_80": 14.0,
                           "forecast_lo_95": 0.0, "forecast_hi_95": 21.0})
    cutoff_week = pd.DataFrame({"cutoff": [cutoff], "family": ["F"], "site_id": ["S"],
                                "demand": [7.0]})
    model = pd.DataFrame(columns=["cutoff", "family", "site_id", "month",
                                  *reconcile.VALUES, "model"])
    model["month"] = pd.to_datetime(model["month"])
    out = reconcile.reconcile(weekly, cutoff_week, model, 18).set_index("month")
    assert out.loc["2025-01-01", "forecast"] == pytest.approx(31.0)   # 1 a day
    # the bounds extend the same way: over the full months February (4 days of orders,
    # no interval: 1 a day; 25 days at 3) and March-July (153 days at 3)
    assert out.loc["2025-01-01", "forecast_hi_95"] == pytest.approx(
        (4 * 1 + 25 * 3 + 153 * 3) / (29 + 153) * 31)
    assert (out["model"] == "WeeklyOnly").all()
    ordered = (out.forecast_lo_95 <= out.forecast_lo_80) & (out.forecast_lo_80 <= out.forecast) \
        & (out.forecast <= out.forecast_hi_80) & (out.forecast_hi_80 <= out.forecast_hi_95)
    assert ordered.all()


def test_sop_cycle_calendar(tmp_path):
    from orchestration.defs.dbt import sop_cycle_vars

    assert sop_cycle_vars("2026-11") == {"sop_cycle": "2026-11-01"}
    assert cycle_of(date(2026, 11, 20)) == date(2026, 11, 1)
    # no snapshot yet: Monday-Friday (1 August 2026 is a Saturday)
    assert first_working_day(date(2026, 8, 1), tmp_path / "none.duckdb") == date(2026, 8, 3)
    published = tmp_path / "published.duckdb"
    con = duckdb.connect(str(published))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.dim_date AS SELECT CAST(d AS DATE) AS date_day, "
                "CAST(date_trunc('month', d) AS DATE) AS month, "
                "isodow(d) < 6 AND CAST(d AS DATE) <> DATE '2026-01-01' AS is_working_day "
                "FROM range(DATE '2026-01-01', DATE '2026-02-01', INTERVAL 1 DAY) t(d)")
    con.close()
    # 1 January 2026 is a Thursday and a holiday: the cycle runs on Friday the 2nd
    assert first_working_day(date(2026, 1, 15), published) == date(2026, 1, 2)
