"""order_delay_reasons against the causes the simulator planted (tiny company).

The simulator knows why each late line was late (simulator/truth.py `delay_causes`): a
line that waited for stock at its site is supplier_late (the PO due by the day it
waited and received later), production_late (the production order due then and
finished later; for a DC the plant's order, the lane days earlier) or stock_out; else a
short pick, a carrier delay on its first delivery, or other. The pipeline reads only
the warehouse (deliveries, shipments, daily stock, PO lines and receipts, production
orders) and must find the same.

What the data cannot show, so where the two may differ:
- a site releases a line 0-2 days before its latest ship date, at random: a line
  already short on its release day is dated from its latest ship date, so a PO or
  production order due in between can change the evidence;
- a line we cancelled (our decision, cause `other`) while its item was out of stock
  reads like a line that waited and was given up;
- a short pick that happened to empty the shelf reads like a partial shipment of the
  stock there was, and a short-picked line that later waited for the rest is dated by
  the follow-up the data does not show.
On every other late line the cause and the evidence must be exactly the truth's.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

CAUSES = ["stock_out", "supplier_late", "production_late", "carrier_late", "short_shipment",
          "other"]
EVIDENCE = ["evidence_po_id", "evidence_po_line", "evidence_mo_id", "evidence_shipment_id"]


@pytest.fixture(scope="module")
def compared(built) -> pd.DataFrame:
    con = duckdb.connect(str(built.settings.warehouse), read_only=True)
    try:
        return compare(built.settings.truth_dir, con)
    finally:
        con.close()


def compare(truth_dir, warehouse) -> pd.DataFrame:
    """One row per late line: the truth's cause and evidence beside the mart's, whether
    they agree, and whether the data determines the line (see the module docstring)."""
    truth = pd.read_parquet(truth_dir / "sales_order_lines.parquet")
    truth = truth[truth.delay_cause.notna()]
    mart = warehouse.execute("""
        SELECT reasons.*, deliveries.qty_shipped_first_day
        FROM marts.order_delay_reasons AS reasons
        LEFT JOIN intermediate.int_sales_order_line_deliveries AS deliveries
            USING (so_id, so_line)""").df()
    merged = truth.merge(mart, on=["so_id", "so_line"], how="outer",
                         suffixes=("_truth", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), \
        merged.loc[merged["_merge"] != "both", ["so_id", "so_line", "_merge"]]
    for col in EVIDENCE:
        for side in ("_truth", "_mart"):
            merged[col + side] = merged[col + side].astype(object).where(
                merged[col + side].notna(), None)
    merged["waited"] = merged.first_stock_out_date.notna()
    merged["same_cause"] = merged.delay_cause == merged.delay_reason
    truth_evidence = merged[[c + "_truth" for c in EVIDENCE]].to_numpy()
    mart_evidence = merged[[c + "_mart" for c in EVIDENCE]].to_numpy()
    # the truth names a shipment only for carrier_late; the mart also for short/other
    given = truth_evidence != None  # noqa: E711 (element-wise)
    merged["same_evidence"] = [
        all(t == m for t, m, g in zip(tr, ma, gv) if g)
        and all(ma[i] is None for i in range(3) if tr[i] is None)
        for tr, ma, gv in zip(truth_evidence, mart_evidence, given)]
    first_partial = merged.qty_shipped_first_day.astype(float) < merged.qty_ordered_mart.astype(float)
    merged["determined"] = (
        (merged.is_backordered == merged.waited)
        & (~merged.waited
           | (pd.to_datetime(merged.planned_ship_date) == pd.to_datetime(merged.first_stock_out_date)))
        & ~(merged.waited & first_partial.fillna(False)))
    return merged


def confusion(compared: pd.DataFrame) -> pd.DataFrame:
    return pd.crosstab(compared.delay_cause, compared.delay_reason).reindex(
        index=CAUSES, columns=CAUSES, fill_value=0)


def test_every_late_line_has_exactly_one_reason(compared):
    assert compared.delay_reason.isin(CAUSES).all()
    assert len(compared) > 150


def test_the_attribution_agrees_with_the_truth(compared):
    matrix = confusion(compared)
    overall = compared.same_cause.mean()
    per_cause = compared.groupby("delay_cause").same_cause.mean()
    report = f"\n{matrix}\noverall {100 * overall:.2f} %\n{(100 * per_cause).round(1)}"
    assert overall >= 0.95, report
    assert (per_cause >= 0.80).all(), report
    for cause in CAUSES:
        assert matrix.loc[cause].sum() > 0, f"the tiny company has no {cause} line{report}"
    # waiting for stock is read from the queue and the stock balance: same verdict
    assert (compared.is_backordered == compared.waited).mean() >= 0.97


def test_cause_and_evidence_are_exact_where_the_data_determines_them(compared):
    determined = compared[compared.determined]
    assert len(determined) >= 0.7 * len(compared)
    wrong = determined[~(determined.same_cause & determined.same_evidence)]
    assert wrong.empty, wrong[["so_id", "so_line", "delay_cause", "delay_reason"]
                              + [c + s for c in EVIDENCE for s in ("_truth", "_mart")]]


def test_evidence_equals_the_truth_where_the_cause_agrees(compared):
    agreeing = compared[compared.same_cause]
    for cause, column in (("supplier_late", "evidence_po_id"), ("production_late", "evidence_mo_id"),
                          ("carrier_late", "evidence_shipment_id")):
        lines = agreeing[agreeing.delay_cause == cause]
        assert lines[column + "_truth"].notna().all() and lines[column + "_mart"].notna().all()
    assert agreeing.same_evidence.mean() >= 0.97, \
        agreeing.loc[~agreeing.same_evidence, ["so_id", "so_line", "delay_cause"]]
