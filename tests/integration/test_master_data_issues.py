"""master_data_issues against the master-data errors the simulator planted in the tiny
company: every planted error is found, and nothing else is reported."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

# the simulator's rule names (simulator/errors.py) -> the mart's
RULES = {
    "missing_cost": "missing_standard_cost",
    "missing_lead_time": "missing_planned_lead_time",
    "price_jump": "contract_price_jump",
    "duplicate_partner_tax_id": "duplicate_partner_tax_id",
    "supplier_without_payment_terms": "supplier_without_payment_terms",
    "bom_component_unknown": "bom_component_not_in_item_master",
}


def _planted(built) -> pd.DataFrame:
    truth = pd.read_parquet(built.settings.truth_dir / "master_data_errors.parquet")
    truth["rule"] = truth["rule"].map(RULES)
    return truth


def _issues(warehouse) -> pd.DataFrame:
    return warehouse.execute(
        "SELECT entity, record_key, rule, column_name, column_value, first_seen_at "
        "FROM marts.master_data_issues").df()


def test_every_planted_error_is_found_and_nothing_else(built, warehouse):
    planted = _planted(built)
    assert planted["rule"].notna().all(), "a planted rule has no mart rule"
    assert set(planted["rule"]) == set(RULES.values()), "the tiny company plants every kind"
    expected = set(planted[["entity", "key", "rule"]].itertuples(index=False, name=None))
    found = set(_issues(warehouse)[["entity", "record_key", "rule"]]
                .itertuples(index=False, name=None))
    assert found == expected


def test_the_issue_names_the_planted_column_and_value(built, warehouse):
    planted = _planted(built).rename(columns={"key": "record_key"})
    merged = planted.merge(_issues(warehouse), on=["entity", "record_key", "rule"])
    assert len(merged) == len(planted)
    assert (merged["column"] == merged["column_name"]).all()
    same_value = (merged["planted_value"].isna() & merged["column_value"].isna()) \
        | (merged["planted_value"] == merged["column_value"])
    assert same_value.all(), merged[~same_value]


def test_first_seen_is_the_first_master_data_delivery(built, warehouse):
    # the errors are in both master-data deliveries: the cut-off and the as-of date
    cutoff = pd.Timestamp(built.generated["cutoff"]).date()
    first_seen = _issues(warehouse)["first_seen_at"]
    assert first_seen.notna().all()
    assert {ts.date() for ts in first_seen} == {cutoff}
