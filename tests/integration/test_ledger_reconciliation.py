"""GL vs sub-ledger reconciliation on the tiny demo company: every difference the
simulator planted on the receivable and payable accounts is in
fin_ledger_reconciliation_exceptions with its amount to the cent, and nothing else is.
Planted inventory differences (manual journals on the stock account) belong to
fin_inventory_reconciliation_monthly and must not show up here."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

# planted categories reconciled here: AR postings and AP invoices
MINE = {"ar_posting_differs_from_invoice", "ap_invoice_not_posted"}
# reconciled in other marts (inventory: fin_inventory_reconciliation_monthly)
ELSEWHERE = {"inventory_gl_vs_subledger"}


def _cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def planted(built) -> pd.DataFrame:
    return pd.read_parquet(built.settings.truth_dir / "reconciliation_differences.parquet")


@pytest.fixture
def exceptions(warehouse) -> pd.DataFrame:
    return warehouse.execute(
        "SELECT account, ref_doc_type, ref_doc_id, exception_type, partner_id, month, "
        "currency, difference, difference_cc FROM marts.fin_ledger_reconciliation_exceptions"
    ).df()


def test_the_simulator_planted_each_kind_of_difference(planted):
    assert set(planted.what) <= MINE | ELSEWHERE, set(planted.what) - MINE - ELSEWHERE
    assert MINE <= set(planted.what)


def test_every_planted_ledger_difference_is_found_with_its_amount(planted, exceptions):
    mine = planted[planted.what.isin(MINE)]
    found = exceptions.set_index(["account", "ref_doc_type", "ref_doc_id"])
    for row in mine.itertuples():
        key = (row.account, row.ref_doc_type, row.ref_doc_id)
        assert key in found.index, f"{row.what} {key} not reported"
        hit = found.loc[key]
        assert hit.partner_id == row.partner_id
        assert hit.currency == row.currency
        assert pd.Timestamp(hit.month) == pd.Timestamp(row.month)
        assert _cents(hit.difference) == _cents(row.amount), key
        assert _cents(hit.difference_cc) == _cents(row.amount_company), key
        expected_type = "amount_differs" if row.what.startswith("ar_") else "not_in_ledger"
        assert hit.exception_type == expected_type


def test_nothing_else_is_reported(planted, exceptions):
    mine = planted[planted.what.isin(MINE)]
    planted_keys = set(zip(mine.account, mine.ref_doc_type, mine.ref_doc_id))
    reported = set(zip(exceptions.account, exceptions.ref_doc_type, exceptions.ref_doc_id))
    assert reported == planted_keys
    # the planted manual journals on the stock account are not this mart's
    journals = planted[planted.what.isin(ELSEWHERE)]
    assert not set(journals.ref_doc_id) & set(exceptions.ref_doc_id.dropna())


def test_every_other_document_agrees_with_its_sub_ledger(planted, warehouse):
    compared = warehouse.execute(
        "SELECT document_class, count(*), count(*) FILTER (WHERE has_difference) "
        "FROM intermediate.int_ledger_subledger_comparison GROUP BY document_class").fetchall()
    by_class = {name: (total, differing) for name, total, differing in compared}
    # invoices, credit notes, payments and freight invoices of both sides were compared
    assert {"customer_invoice", "customer_payment", "supplier_invoice", "supplier_payment",
            "freight_invoice", "carrier_payment"} <= set(by_class)
    assert sum(total for total, _ in by_class.values()) > 1000
    planted_per_class = planted.what.map({"ar_posting_differs_from_invoice": "customer_invoice",
                                          "ap_invoice_not_posted": "supplier_invoice"})
    assert {name: differing for name, (_, differing) in by_class.items() if differing} == \
        planted_per_class.dropna().value_counts().to_dict()
