"""Procurement and procure-to-pay marts on the tiny demo company, against the truth the
simulator planted and the general ledger it wrote: the chase list, supplier risk, spend,
PPV, GR/IR and three-way match."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def _truth(built, name: str) -> pd.DataFrame:
    return pd.read_parquet(built.settings.truth_dir / f"{name}.parquet")


def _keys(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame.po_id, frame.po_line))


def test_chase_list_holds_exactly_the_overdue_open_lines_and_never_a_closed_one(warehouse):
    as_of = warehouse.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0]
    lines = warehouse.execute(
        "SELECT po_id, po_line, status, qty_open, deadline "
        "FROM marts.fct_purchase_order_lines").df()
    chase = warehouse.execute("SELECT * FROM marts.po_chase_list").df()
    overdue_open = lines[(lines.status == "open") & (lines.qty_open > 0)
                         & (pd.to_datetime(lines.deadline).dt.date < as_of)]
    assert len(overdue_open) > 0
    assert _keys(chase[chase.is_overdue]) == _keys(overdue_open)
    status = lines.set_index(["po_id", "po_line"]).status
    assert {status[k] for k in _keys(chase)} == {"open"}
    assert (chase.qty_open > 0).all()
    assert sorted(chase.priority_rank) == list(range(1, len(chase) + 1))
    ranked = chase.sort_values("priority_rank")
    assert ranked.priority_score.is_monotonic_decreasing
    assert chase.supplier_contact_email.notna().all()


def test_spend_shares_add_up_to_100_per_month_and_hhi_is_bounded(warehouse):
    spend = warehouse.execute("SELECT * FROM marts.fin_procurement_spend_monthly").df()
    assert len(spend) > 0
    per_month = spend.groupby("month").agg(share=("share_of_spend_pct", "sum"),
                                           rows=("share_of_spend_pct", "size"))
    # each share is rounded half to even to 2 decimals
    assert ((per_month.share.astype(float) - 100).abs() <= 0.005 * per_month.rows).all()
    assert warehouse.execute(
        "SELECT count(*) FROM marts.fin_procurement_spend_monthly "
        "WHERE spend_on_contract_cc + spend_off_contract_cc <> spend_cc").fetchall()[0][0] == 0
    risk = warehouse.execute("SELECT * FROM marts.supplier_risk").df()
    assert risk.category_hhi.dropna().between(0, 10000).all()
    assert risk.category_spend_share_pct.dropna().between(0, 100).all()
    assert risk.risk_score.between(0, 100).all()
    # a category's HHI is at least the square of any supplier's share (cent rounding)
    top = risk.dropna(subset=["category_hhi"])
    assert (top.category_hhi.astype(float) + 1
            >= top.category_spend_share_pct.astype(float) ** 2).all()


def test_the_unposted_ap_invoice_is_the_gl_vs_subledger_grir_difference(built, warehouse):
    """GR/IR of the ledger (account 2150: receipts credit it, invoices debit it at the PO
    price) plus the sub-ledger balance of fin_grir_reconciliation at the as-of month is,
    per currency, minus the invoices the simulator left out of the ledger, valued at the
    PO price: its planted ap_invoice_not_posted, found with the right amount."""
    planted = _truth(built, "reconciliation_differences")
    planted = planted[planted.what == "ap_invoice_not_posted"]
    assert len(planted) >= 1
    ids = "', '".join(planted.ref_doc_id)
    missing_at_po = warehouse.execute(
        "SELECT i.currency, sum(i.qty_invoiced * p.unit_price) AS at_po, sum(i.amount) AS total "
        "FROM staging.stg_supplier_invoices i JOIN staging.stg_purchase_order_lines p "
        f"USING (po_id, po_line) WHERE i.invoice_id IN ('{ids}') GROUP BY 1").df()
    gl = warehouse.execute(
        "SELECT currency, sum(amount) AS gl FROM staging.stg_gl_entries "
        "WHERE account = '2150' GROUP BY 1").df()
    subledger = warehouse.execute(
        "SELECT currency, sum(grir_balance) AS subledger FROM marts.fin_grir_reconciliation "
        "WHERE month = (SELECT max(month) FROM marts.fin_grir_reconciliation) GROUP BY 1").df()
    merged = gl.merge(subledger, on="currency", how="outer").merge(
        missing_at_po, on="currency", how="left").fillna(0)
    merged["difference"] = merged.gl.astype(float) + merged.subledger.astype(float)
    # the ledger rounds each document to cents, the sub-ledger keeps 4 decimals: over
    # thousands of documents that leaves well under one unit of a currency
    tolerance = 0.5
    assert ((merged.difference + merged.at_po.astype(float)).abs() < tolerance).all(), merged
    by_currency = planted.groupby("currency").amount.sum()
    for currency, amount in by_currency.items():
        found = merged.set_index("currency").difference[currency]
        total = float(missing_at_po.set_index("currency").total[currency])
        assert abs(amount + total) < 0.01          # truth: minus the invoice total
        if abs(total - float(missing_at_po.set_index("currency").at_po[currency])) < 0.005:
            assert abs(found - amount) < tolerance, (currency, found, amount)
    # the unposted invoice is in the sub-ledger: matched, not a three-way exception
    exceptions = warehouse.execute(
        f"SELECT * FROM marts.fin_three_way_match_exceptions WHERE invoice_id IN ('{ids}') "
        "AND exception_type <> 'price_mismatch'").df()
    assert exceptions.empty


def test_ppv_equals_the_ledgers_ppv_postings_document_by_document(built, warehouse):
    """The ledger posts stock at the (real) standard cost against GR/IR at the PO price,
    the difference to PPV (account 5200), and invoice price differences to PPV too. Where
    the item-site master has a standard cost, int_purchase_price_variances gives the same
    PPV per receipt and per invoice document (cent rounding of the ledger aside)."""
    planted = _truth(built, "reconciliation_differences")
    unposted = set(planted[planted.what == "ap_invoice_not_posted"].ref_doc_id)
    compared = warehouse.execute("""
        WITH gl AS (
            SELECT ref_doc_id AS document_id, sum(amount_company) AS gl_ppv
            FROM staging.stg_gl_entries WHERE account = '5200'
            GROUP BY 1),
        mine AS (
            SELECT ppv_leg, document_id, sum(ppv_cc) AS ppv, count(*) AS lines,
                   bool_or(is_missing_standard_cost) AS missing_cost
            FROM intermediate.int_purchase_price_variances GROUP BY 1, 2)
        SELECT mine.*, coalesce(gl.gl_ppv, 0) AS gl_ppv
        FROM mine LEFT JOIN gl USING (document_id)""").df()
    known = compared[~compared.missing_cost & ~compared.document_id.isin(unposted)]
    assert len(known[known.ppv_leg == "po_vs_standard"]) > 100
    assert len(known[known.ppv_leg == "invoice_vs_po"]) > 100
    # the ledger rounds every line of a document to cents
    off = (known.ppv.astype(float) - known.gl_ppv.astype(float)).abs() > 0.01 * (known.lines + 1)
    assert not off.any(), known[off]
    # standard costs are missing exactly where the simulator planted a missing cost
    errors = _truth(built, "master_data_errors")
    planted_missing = set(errors[errors.rule == "missing_cost"].key)
    missing = warehouse.execute(
        "SELECT DISTINCT item_id || '|' || site_id FROM "
        "intermediate.int_purchase_price_variances WHERE is_missing_standard_cost").fetchall()
    assert {m[0] for m in missing} <= planted_missing
    kpi = warehouse.execute("SELECT sum(ppv_cc) FROM marts.kpi_supplier_performance_monthly"
                            ).fetchall()[0][0]
    fin = warehouse.execute("SELECT sum(ppv_cc) FROM marts.fin_ppv_monthly").fetchall()[0][0]
    assert kpi == fin


def test_planted_contract_price_jumps_leave_purchases_off_contract(built, warehouse):
    """A planted price jump makes the contract record wrong while buyers keep paying the
    real price: every PO line of that supplier x item ordered under the wrong version is
    off contract."""
    errors = _truth(built, "master_data_errors")
    jumps = errors[errors.rule == "price_jump"].key.str.split("|", expand=True)
    jumps.columns = ["supplier_id", "item_id", "valid_from"]
    lines = warehouse.execute(
        "SELECT p.supplier_id, p.item_id, p.order_date, c.contract_valid_from, c.is_on_contract "
        "FROM intermediate.int_purchase_order_lines p "
        "JOIN intermediate.int_purchase_order_line_contract_prices c USING (po_id, po_line)"
    ).df()
    lines["contract_valid_from"] = pd.to_datetime(lines.contract_valid_from).dt.strftime(
        "%Y-%m-%d")
    under_jump = lines.merge(jumps, left_on=["supplier_id", "item_id", "contract_valid_from"],
                             right_on=["supplier_id", "item_id", "valid_from"])
    assert len(under_jump) > 0 and not under_jump.is_on_contract.any()
    assert lines.is_on_contract.mean() > 0.8


def test_the_least_reliable_supplier_ranks_among_the_riskiest(built, warehouse):
    suppliers = _truth(built, "suppliers")
    worst = suppliers.sort_values("p_on_time").supplier_id.iloc[0]
    risk = warehouse.execute(
        "SELECT supplier_id, avg(risk_score) AS risk_score FROM marts.supplier_risk "
        "GROUP BY 1 ORDER BY 2 DESC, 1").df()
    assert worst in set(risk.supplier_id.head(2)), risk
    # and the planted reliability orders the risk overall
    merged = risk.merge(suppliers[["supplier_id", "p_on_time"]], on="supplier_id")
    assert merged.risk_score.astype(float).corr(merged.p_on_time, method="spearman") < -0.5
