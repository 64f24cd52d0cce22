"""The inventory and inventory-finance marts against what the simulator planted in the
tiny company: stock-out days, the manual journals on the stock account, the cycle-count
differences, and valuation consistent with the daily stock."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def _truth(built, name: str) -> pd.DataFrame:
    return pd.read_parquet(built.settings.truth_dir / f"{name}.parquet")


def test_stocked_and_stock_out_days_equal_the_simulated_ones(built, warehouse):
    truth = _truth(built, "item_sites")[["item_id", "site_id", "stocked_days", "stockout_days"]]
    mart = warehouse.execute(
        "SELECT item_id, site_id, sum(stocked_days) AS stocked, sum(stock_out_days) AS outs "
        "FROM marts.kpi_inventory_monthly GROUP BY ALL").df()
    merged = truth.merge(mart, on=["item_id", "site_id"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert (merged.stocked_days == merged.stocked).all()
    assert (merged.stockout_days == merged.outs).all()
    rate = round(100 * merged.outs.sum() / merged.stocked.sum(), 2)
    assert rate == built.generated["stockout_item_site_days_pct"]


def test_planted_stock_account_journals_are_the_reconciliation_differences(built, warehouse):
    planted = _truth(built, "reconciliation_differences")
    assert {"inventory_gl_vs_subledger"} <= set(planted["what"])
    # the other planted differences (AR posting, AP invoice not posted) miss the stock account
    assert (planted[planted.what != "inventory_gl_vs_subledger"].account != "1400").all()
    journals = planted[planted.what == "inventory_gl_vs_subledger"].assign(
        site_id=lambda f: f.cost_center.str.removeprefix("CC-"),
        month=lambda f: pd.to_datetime(f.month).dt.date)
    expected = journals.groupby(["site_id", "month"]).amount.sum().round(2)
    mart = warehouse.execute(
        "SELECT site_id, month, difference_in_month, difference, currency "
        "FROM marts.fin_inventory_reconciliation_monthly").df()
    mart["month"] = pd.to_datetime(mart["month"]).dt.date
    found = mart[mart.difference_in_month != 0].set_index(["site_id", "month"])
    assert sorted(found.index) == sorted(expected.index)
    for key, amount in expected.items():
        assert float(found.loc[key, "difference_in_month"]) == pytest.approx(amount, abs=1e-9)
    currency = journals.set_index("site_id").currency.to_dict()
    assert all(mart[mart.site_id == s].currency.eq(c).all() for s, c in currency.items())
    # the difference carries on: each month-end holds every journal so far
    last = mart.sort_values("month").groupby("site_id").difference.last()
    for site, total in journals.groupby("site_id").amount.sum().round(2).items():
        assert float(last[site]) == pytest.approx(total, abs=1e-9)


def test_cycle_count_accuracy_counts_the_planted_differences(built, warehouse):
    differences = _truth(built, "cycle_counts")
    differences["month"] = pd.to_datetime(differences.count_date).dt.to_period("M") \
        .dt.to_timestamp().dt.date
    expected = differences.groupby(["site_id", "month"]).size()
    mart = warehouse.execute(
        "SELECT site_id, month, cycle_counts - counts_within_tolerance AS misses, cycle_counts "
        "FROM marts.fin_inventory_reconciliation_monthly WHERE cycle_counts > 0").df()
    mart["month"] = pd.to_datetime(mart["month"]).dt.date
    misses = mart.set_index(["site_id", "month"]).misses
    assert misses[misses > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    assert mart.cycle_counts.sum() > expected.sum()


def test_valuation_is_the_daily_stock_at_month_end(built, warehouse):
    joined = warehouse.execute(
        "SELECT v.item_id, v.qty_on_hand, d.qty_on_hand AS daily_qty, "
        "       v.value_at_standard, d.value AS daily_value "
        "FROM marts.fin_inventory_valuation_monthly v "
        "JOIN marts.fct_inventory_daily d ON d.item_id = v.item_id "
        " AND d.site_id = v.site_id AND d.date_day = v.month_end_date").df()
    rows = warehouse.execute(
        "SELECT count(*) FROM marts.fin_inventory_valuation_monthly").fetchall()[0][0]
    assert len(joined) == rows > 0
    assert (joined.qty_on_hand == joined.daily_qty).all()
    same = (joined.value_at_standard == joined.daily_value) \
        | (joined.value_at_standard.isna() & joined.daily_value.isna())
    assert same.all()
    kpi = warehouse.execute(
        "SELECT count(*), count(*) FILTER (WHERE inventory_value IS NOT DISTINCT FROM v.value_at_standard) "
        "FROM marts.kpi_inventory_monthly k JOIN marts.fin_inventory_valuation_monthly v "
        "USING (item_id, site_id, month)").fetchall()[0]
    assert kpi[0] == rows and kpi[1] == rows
