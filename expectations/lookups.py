"""The batch a suite validates, read from DuckDB: the rows of some deliveries of
raw.<extract>, plus one lookup column per cross-table rule, computed in SQL against the
rest of the warehouse (known items, the day's fx rates, the item's price history, the PO
line's receipts, the document's other lines). Great Expectations then validates the
lookup column like any other, so it reports those rules with counts and sample rows.

Lookups see every delivery loaded so far; a row's "current" version follows
docs/conventions.md (latest extracted_at, then _load_seq, then _row_number; deleted keys
removed). Values reach SQL only as parameters; names come from the contracts.
"""

from __future__ import annotations

import re

from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.schema import quote

from .rules import FOREIGN_KEYS, FX_DATES, PRICED

# The key column of each master extract a foreign key points at.
MASTER_KEYS = {"items": "item_id", "sites": "site_id", "partners": "partner_id"}


def _current(extract: str, restrict_to_batch: str) -> str:
    """The current version of each key of raw.<extract>, for the keys whose
    `restrict_to_batch` column the batch holds (the key's versions are all kept)."""
    contract = load_contracts()[extract]
    key = ", ".join(quote(k) for k in contract.key)
    col = quote(restrict_to_batch)
    live = " WHERE NOT coalesce(is_deleted, false)" if contract.kind == "delta" else ""
    return (f"(SELECT * FROM (SELECT * FROM raw.{quote(extract)} "
            f"WHERE {col} IN (SELECT {col} FROM b) "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY extracted_at DESC, "
            f"_load_seq DESC, _row_number DESC) = 1){live})")


# Shared CTEs; a query includes the ones its lookups name.
CTES = {
    "fx_days": """
        SELECT from_currency AS currency, rate_date FROM raw.fx_rates
        WHERE to_currency = $company_currency AND rate > 0
        UNION
        SELECT to_currency, rate_date FROM raw.fx_rates
        WHERE from_currency = $company_currency AND rate > 0""",
    "current_po_lines": f"""
        SELECT po_id, po_line, order_date, qty_ordered
        FROM {_current('purchase_order_lines', 'po_id')}""",
    "current_so_lines": f"""
        SELECT so_id, so_line, order_date FROM {_current('sales_order_lines', 'so_id')}""",
    "received_per_po_line": f"""
        SELECT po_id, po_line,
               sum(CASE WHEN movement = 'receipt' THEN qty_received
                        ELSE -qty_received END) AS net_received
        FROM {_current('goods_receipts', 'po_id')} GROUP BY po_id, po_line""",
    "gl_balance": f"""
        SELECT entry_id,
               CASE WHEN count(amount_company) = count(*) THEN sum(amount_company)
                    WHEN count(DISTINCT currency) = 1 THEN sum(amount) END AS imbalance
        FROM {_current('gl_entries', 'entry_id')} GROUP BY entry_id""",
}


def _price_to_previous_version() -> str:
    window = ("OVER (PARTITION BY b._load_seq, b.supplier_id, b.item_id "
              "ORDER BY b.valid_from)")
    return (f"CASE WHEN lag(b.currency) {window} IS NOT DISTINCT FROM b.currency "
            f"AND lag(b.unit_price) {window} > 0 "
            f"THEN CAST(b.unit_price AS DOUBLE) / CAST(lag(b.unit_price) {window} AS DOUBLE) END")


def lookups(extract: str) -> dict[str, str]:
    """Lookup column -> SQL expression over the batch row `b` (one per cross-table rule
    of expectations.rules)."""
    key = ", ".join(f"b.{quote(k)}" for k in load_contracts()[extract].key)
    out: dict[str, str] = {
        "_key_rows_in_delivery": f"count(*) OVER (PARTITION BY b._load_seq, {key})"}
    for column, master in FOREIGN_KEYS.get(extract, {}).items():
        out[f"_unknown_{column}"] = (
            f"CASE WHEN NOT EXISTS (SELECT 1 FROM raw.{quote(master)} AS m "
            f"WHERE m.{quote(MASTER_KEYS[master])} = b.{quote(column)}) "
            f"THEN b.{quote(column)} END")
    if extract in FX_DATES:
        day = f"b.{quote(FX_DATES[extract])}"
        out["_missing_fx_rate"] = (
            f"CASE WHEN b.currency <> $company_currency AND {day} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM fx_days AS f WHERE f.currency = b.currency "
            f"AND f.rate_date = {day}) THEN b.currency || ' on ' || CAST({day} AS VARCHAR) END")
    if extract in PRICED:
        out["_price_to_item_median"] = (
            f"CAST(b.unit_price AS DOUBLE) / (SELECT CAST(median(h.unit_price) AS DOUBLE) "
            f"FROM raw.{quote(extract)} AS h WHERE h.item_id = b.item_id "
            f"AND h.currency = b.currency AND h.unit_price > 0)")
    if extract == "goods_receipts":
        line = "p.po_id = b.po_id AND p.po_line = b.po_line"
        out["_po_order_date"] = f"(SELECT p.order_date FROM current_po_lines AS p WHERE {line})"
        out["_received_to_ordered"] = (
            f"CAST((SELECT p.net_received FROM received_per_po_line AS p WHERE {line}) AS DOUBLE)"
            f" / CAST((SELECT nullif(p.qty_ordered, 0) FROM current_po_lines AS p "
            f"WHERE {line}) AS DOUBLE)")
    if extract == "deliveries":
        out["_so_order_date"] = ("(SELECT s.order_date FROM current_so_lines AS s "
                                 "WHERE s.so_id = b.so_id AND s.so_line = b.so_line)")
    if extract == "gl_entries":
        out["_entry_imbalance"] = ("CAST((SELECT g.imbalance FROM gl_balance AS g "
                                   "WHERE g.entry_id = b.entry_id) AS DOUBLE)")
    if extract == "partners":
        out["_first_partner_with_tax_id"] = (
            "CASE WHEN b.tax_id IS NOT NULL THEN min(b.partner_id) "
            "OVER (PARTITION BY b._load_seq, b.role, b.tax_id) END")
    if extract == "supplier_items":
        out["_price_to_previous_version"] = _price_to_previous_version()
    return out


def batch_query(extract: str, columns: list[str]) -> tuple[str, bool]:
    """The SELECT of a batch: `columns` of raw.<extract> (what the rules read), its
    key, _load_seq and the lookups, for the rows of the deliveries `$load_seqs`; and
    whether it takes `$company_currency`. DECIMAL columns come as DOUBLE, which pandas
    compares without a Python call per value. No ORDER BY: sorting 750k rows costs more than
    validating them, and a batch holds whole rows whatever their order."""
    contract = load_contracts()[extract]
    exprs = lookups(extract)
    wanted = [c for c in dict.fromkeys([*contract.key, *columns, "_load_seq"])
              if c not in exprs]
    body = " ".join(exprs.values())
    ctes = [f"{name} AS ({sql})" for name, sql in CTES.items() if name in body]
    read = [c for c in contract.column_names
            if c in wanted or re.search(rf'\bb\."?{c}\b', body)]
    numeric = {c.name for c in contract.columns if c.type in ("decimal", "money", "rate")}
    select = ", ".join([*(f"CAST(b.{quote(c)} AS DOUBLE) AS {quote(c)}" if c in numeric
                          else f"b.{quote(c)}" for c in wanted),
                        *(f"{sql} AS {quote(name)}" for name, sql in exprs.items())])
    sql = (f"WITH b AS (SELECT {', '.join(quote(c) for c in read)}, _load_seq "
           f"FROM raw.{quote(extract)} "
           f"WHERE _load_seq IN (SELECT unnest($load_seqs))){''.join(', ' + c for c in ctes)} "
           f"SELECT {select} FROM b")
    return sql, "$company_currency" in sql
