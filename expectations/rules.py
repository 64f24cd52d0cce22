"""The rules every delivery of an extract is held to, as plain data (no Great
Expectations import): the ones its contract states (orchestration/ingestion/contracts.yml)
and the business rules a contract cannot say. expectations.suites turns them into GX
expectations; a rule that needs other tables reads a lookup column that
expectations.lookups computes with DuckDB.

A CRITICAL rule blocks everything downstream of the extract (the row contradicts itself
or the books do not balance: every number built on it would be wrong); a WARNING keeps
the rows and flags them (master data may arrive later, a price may be real).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml

from orchestration.ingestion.contracts import (CURRENCIES, EARLIEST_DATE, LATEST_DATE,
                                               Contract, load_contracts)

CRITICAL = "critical"
WARNING = "warning"

# A transaction price outside [0.5x, 2x] of the median price of the same item in the same
# currency (the extract's own history) is a unit or decimal slip, not a negotiation: the
# company's contract versions move -4 % ... +9 % every ~9 months and promotions and
# customer discounts stay within -30 %, so real prices sit within 0.75x-1.3x of the
# median, while a price per dozen, per hundred or a shifted decimal lands at 1/12, 1/100
# or 10x.
PRICE_BAND = (0.5, 2.0)
# Suppliers round deliveries up to full cases and pallets; receiving up to 10 % more than
# ordered is the usual over-delivery tolerance of a purchasing system, more is a wrong
# quantity or a receipt booked against the wrong PO line.
OVER_RECEIPT_TOLERANCE = 0.10
# A general-ledger document balances to the cent in the company currency; amounts are
# DECIMAL(18,4), so the only slack is the rounding of each line's converted amount.
GL_BALANCE_TOLERANCE = 0.01

DBT_PROJECT_FILE = Path(__file__).resolve().parent.parent / "dbt_project" / "dbt_project.yml"


@cache
def contract_price_jump_pct() -> float:
    """The steward's threshold for a contract price version far above the one before:
    dbt's var `contract_price_jump_pct` (dbt_project.yml), the one source of the rule
    that marts.master_data_issues also applies."""
    return float(yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]["contract_price_jump_pct"])


@dataclass(frozen=True, eq=False)
class Rule:
    """One expectation of a suite. `name` says what is checked, `column` the business
    column a flagged row is reported under; `expectation` and `kwargs` are the GX
    expectation (class name in great_expectations.expectations)."""

    name: str
    column: str
    expectation: str
    kwargs: dict = field(default_factory=dict)
    severity: str = CRITICAL
    description: str = ""
    only_where: tuple[str, str] | None = None     # (column, value): rows the rule reads

    @property
    def rule_id(self) -> str:
        return f"{self.name}:{self.column}"


# --- rules a contract states ------------------------------------------------------------

def _day(iso: str) -> datetime:
    """A date bound as a timestamp: pandas compares datetime columns with it directly
    (a string bound makes GX convert the whole column, seconds per 200k rows)."""
    return datetime.fromisoformat(iso)


def contract_rules(contract: Contract) -> list[Rule]:
    """Required values, accepted values, minimums, currency codes, plausible dates and a
    key that appears once per delivery: what the loader enforces, checked again on what
    reached raw (a loader change that let a broken row through is caught here)."""
    rules = []
    for c in contract.columns:
        if c.required:
            rules.append(Rule("required", c.name, "ExpectColumnValuesToNotBeNull",
                              {"column": c.name},
                              description=f"{c.name} is required by the contract."))
        if c.accepted:
            rules.append(Rule("accepted_values", c.name, "ExpectColumnValuesToBeInSet",
                              {"column": c.name, "value_set": list(c.accepted)},
                              description=f"{c.name} is one of {', '.join(c.accepted)}."))
        if c.min is not None:
            rules.append(Rule("minimum", c.name, "ExpectColumnValuesToBeBetween",
                              {"column": c.name, "min_value": c.min},
                              description=f"{c.name} is at least {c.min}."))
        if c.type == "currency":
            rules.append(Rule("currency_code", c.name, "ExpectColumnValuesToBeInSet",
                              {"column": c.name, "value_set": sorted(CURRENCIES)},
                              description=f"{c.name} is an ISO 4217 code in use."))
        if c.type in ("date", "timestamp"):
            rules.append(Rule("plausible_date", c.name, "ExpectColumnValuesToBeBetween",
                              {"column": c.name, "min_value": _day(EARLIEST_DATE),
                               "max_value": _day(LATEST_DATE)},
                              description=f"{c.name} lies between {EARLIEST_DATE} and "
                                          f"{LATEST_DATE}; outside is a typing error."))
    rules.append(Rule("key_once_per_delivery", "|".join(contract.key),
                      "ExpectColumnValuesToBeBetween",
                      {"column": "_key_rows_in_delivery", "max_value": 1},
                      description=f"The key ({', '.join(contract.key)}) appears once in a "
                                  "delivery (rows per key and delivery counted in DuckDB: "
                                  "GX's compound-uniqueness check hashes every row in "
                                  "Python)."))
    return rules


# --- business rules ---------------------------------------------------------------------

def _dates_in_order(later: str, earlier: str, why: str,
                    severity: str = CRITICAL) -> Rule:
    return Rule("dates_in_order", later, "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": later, "column_B": earlier, "or_equal": True,
                 "ignore_row_if": "either_value_is_missing"},
                severity=severity, description=f"{later} is on or after {earlier}: {why}")


def _known(column: str, master: str) -> Rule:
    return Rule("known_in_master_data", column, "ExpectColumnValuesToBeNull",
                {"column": f"_unknown_{column}"}, severity=WARNING,
                description=f"{column} is in raw.{master}. Kept and flagged: master data "
                            "may arrive later.")


def _fx_known(column: str) -> Rule:
    return Rule("fx_rate_on_the_day", column, "ExpectColumnValuesToBeNull",
                {"column": "_missing_fx_rate"}, severity=WARNING,
                description=f"raw.fx_rates quotes {column} against the company currency "
                            "on the document date (the warehouse otherwise converts at an "
                            "older rate, or leaves the company-currency amount empty).")


def _price_band(column: str = "unit_price") -> Rule:
    low, high = PRICE_BAND
    return Rule("price_in_band", column, "ExpectColumnValuesToBeBetween",
                {"column": "_price_to_item_median", "min_value": low, "max_value": high},
                severity=WARNING,
                description=f"{column} lies within {low}x-{high}x of the item's median price "
                            "in the same currency (PRICE_BAND).")


def _present(column: str, why: str, only_where: tuple[str, str] | None = None) -> Rule:
    return Rule("present", column, "ExpectColumnValuesToNotBeNull", {"column": column},
                severity=WARNING, description=why, only_where=only_where)


# Master data a foreign key points at: column -> the master extract.
ITEM, SITE, PARTNER = "items", "sites", "partners"
FOREIGN_KEYS: dict[str, dict[str, str]] = {
    "item_sites": {"item_id": ITEM, "site_id": SITE},
    "supplier_items": {"supplier_id": PARTNER, "item_id": ITEM},
    "bom_lines": {"parent_item_id": ITEM, "component_item_id": ITEM},
    "budgets": {"site_id": SITE},
    "plan_overrides": {"site_id": SITE},
    "purchase_order_lines": {"supplier_id": PARTNER, "site_id": SITE, "item_id": ITEM},
    "goods_receipts": {"item_id": ITEM, "site_id": SITE},
    "supplier_invoices": {"supplier_id": PARTNER},
    "sales_order_lines": {"customer_id": PARTNER, "site_id": SITE, "item_id": ITEM},
    "deliveries": {"item_id": ITEM, "site_id": SITE},
    "customer_invoices": {"customer_id": PARTNER},
    "returns": {"customer_id": PARTNER, "item_id": ITEM},
    "production_orders": {"item_id": ITEM, "site_id": SITE},
    "inventory_movements": {"item_id": ITEM, "site_id": SITE},
    "inventory_snapshots": {"item_id": ITEM, "site_id": SITE},
    "cycle_counts": {"item_id": ITEM, "site_id": SITE},
    "shipments": {"carrier_id": PARTNER, "origin_site_id": SITE},
    "freight_invoices": {"carrier_id": PARTNER},
    "gl_entries": {"partner_id": PARTNER},
}
# The document date a currency is converted at (docs/conventions.md, money).
FX_DATES: dict[str, str] = {
    "purchase_order_lines": "order_date",
    "supplier_invoices": "invoice_date",
    "sales_order_lines": "order_date",
    "customer_invoices": "invoice_date",
    "returns": "returned_on",
    "freight_invoices": "invoice_date",
    "gl_entries": "posting_date",
    "inventory_movements": "posted_on",
    "inventory_snapshots": "snapshot_date",
}
PRICED = ("purchase_order_lines", "sales_order_lines")


def business_rules(extract: str) -> list[Rule]:
    """The rules a contract cannot say: dates in order, quantities and prices plausible
    against history, currencies convertible on the day, master data known, the ledger
    balanced, master records complete."""
    rules: list[Rule] = {
        "purchase_order_lines": [
            _dates_in_order("requested_date", "order_date",
                            "the need date cannot come before the order."),
        ],
        "sales_order_lines": [
            _dates_in_order("requested_date", "order_date",
                            "the customer cannot need it before ordering."),
            _dates_in_order("committed_date", "order_date",
                            "a promise is made on or after the order."),
        ],
        "goods_receipts": [
            _dates_in_order("received_on", "_po_order_date",
                            "goods are received on or after their PO line's order date "
                            "(raw.purchase_order_lines). A warning: the PO line may be "
                            "corrected by a later delivery.", severity=WARNING),
            Rule("received_within_ordered", "qty_received",
                 "ExpectColumnValuesToBeBetween",
                 {"column": "_received_to_ordered", "max_value": 1 + OVER_RECEIPT_TOLERANCE},
                 severity=WARNING,
                 description="The PO line's net receipts (receipts minus reversals and "
                             "returns to supplier) stay within its ordered quantity plus "
                             f"{OVER_RECEIPT_TOLERANCE:.0%} (OVER_RECEIPT_TOLERANCE)."),
        ],
        "supplier_invoices": [
            _dates_in_order("due_date", "invoice_date", "payment falls due after invoicing."),
        ],
        "customer_invoices": [
            _dates_in_order("due_date", "invoice_date", "payment falls due after invoicing."),
        ],
        "deliveries": [
            _dates_in_order("delivered_on", "shipped_on", "a delivery arrives after it ships."),
            _dates_in_order("shipped_on", "_so_order_date",
                            "a line ships on or after its sales order date "
                            "(raw.sales_order_lines). A warning: the order line may be "
                            "corrected by a later delivery.", severity=WARNING),
        ],
        "production_orders": [
            _dates_in_order("planned_finish", "planned_start", "a plan finishes after it starts."),
            _dates_in_order("actual_finish", "actual_start", "an order finishes after it starts."),
        ],
        "shipments": [
            _dates_in_order("planned_delivery", "planned_pickup",
                            "a shipment is delivered after pickup."),
            _dates_in_order("actual_delivery", "actual_pickup",
                            "a shipment is delivered after pickup."),
        ],
        "bom_lines": [
            _dates_in_order("valid_to", "valid_from", "a BOM line ends after it starts."),
        ],
        "gl_entries": [
            Rule("document_balances", "amount", "ExpectColumnValuesToBeBetween",
                 {"column": "_entry_imbalance", "min_value": -GL_BALANCE_TOLERANCE,
                  "max_value": GL_BALANCE_TOLERANCE},
                 description="The lines of a GL document (entry_id, current versions) sum "
                             "to zero in the company currency (amount_company; amount when "
                             "the document has one currency), within "
                             f"{GL_BALANCE_TOLERANCE} (GL_BALANCE_TOLERANCE)."),
        ],
        "item_sites": [
            _present("standard_cost", "Without a standard cost, stock and usage of the "
                                      "item at the site cannot be valued."),
            _present("planned_lead_time_days", "Without a planned lead time, "
                                               "replenishment cannot be planned."),
        ],
        "partners": [
            _present("payment_terms_days", "A supplier without payment terms: its invoices "
                                           "cannot be scheduled for payment.",
                     only_where=("role", "supplier")),
            Rule("tax_id_once_per_role", "tax_id", "ExpectColumnPairValuesToBeEqual",
                 {"column_A": "partner_id", "column_B": "_first_partner_with_tax_id",
                  "ignore_row_if": "either_value_is_missing"}, severity=WARNING,
                 description="A tax id belongs to one partner of a role; a later partner "
                             "id with the tax id of an earlier one is the same company "
                             "created twice (the lowest id is the original)."),
        ],
        "supplier_items": [
            Rule("contract_price_jump", "unit_price", "ExpectColumnValuesToBeBetween",
                 {"column": "_price_to_previous_version",
                  "max_value": 1 + contract_price_jump_pct() / 100}, severity=WARNING,
                 description="A contract price version at most "
                             f"{contract_price_jump_pct():g} % above the supplier's version "
                             "before for the item, same currency (dbt var "
                             "contract_price_jump_pct): more is a typo, not a negotiation."),
        ],
    }.get(extract, [])
    if extract in PRICED:
        rules.append(_price_band())
    if extract in FX_DATES:
        rules.append(_fx_known("currency"))
    for column, master in FOREIGN_KEYS.get(extract, {}).items():
        rules.append(_known(column, master))
    return rules


def suite_rules(extract: str) -> list[Rule]:
    """Every rule of the extract's suite: the contract's, then the business rules."""
    return contract_rules(load_contracts()[extract]) + business_rules(extract)
