"""kpi_production_monthly against the simulator's truth of the tiny demo company: orders
due and late per site x work centre x month of the planned finish, exactly."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def test_production_orders_due_and_late_equal_the_planted_truth(built, warehouse):
    truth = pd.read_parquet(built.settings.truth_dir / "production_orders.parquet")
    truth["month"] = pd.to_datetime(truth.planned_finish).dt.to_period("M").dt.start_time
    expected = truth.groupby(["site_id", "work_center", "month"]).agg(
        orders_due=("is_due", "sum"), orders_late=("is_late", "sum")).reset_index()
    mart = warehouse.execute(
        "SELECT site_id, work_center, month, orders_due, orders_late, orders_on_time, "
        "schedule_adherence_pct FROM marts.kpi_production_monthly").df()
    mart["month"] = pd.to_datetime(mart.month)
    merged = expected.merge(mart, on=["site_id", "work_center", "month"], how="outer",
                            indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged.orders_due_x == merged.orders_due_y).all()
    assert (merged.orders_late_x == merged.orders_late_y).all()
    assert merged.orders_late_y.sum() > 0 and merged.orders_due_y.sum() > merged.orders_late_y.sum()
    due = merged[merged.orders_due_y > 0]
    adherence = (100 * (due.orders_due_y - due.orders_late_y) / due.orders_due_y).round(2)
    assert (adherence - due.schedule_adherence_pct.astype(float)).abs().max() < 1e-9
