"""The simulator's own declaration of the files it writes.

The simulator is an outside "source system": it does not import the pipeline. It
declares the column order of every extract here; a unit test keeps it equal to the
landing contract (orchestration/ingestion/contracts.yml), envelope columns included.

Column types drive the conversion to Arrow: text, integer, decimal, money, rate, date,
timestamp, boolean, currency.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extract:
    name: str
    kind: str                        # snapshot | delta
    source_system: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]   # business columns (name, type), in file order

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every column of a file, envelope included, in file order."""
        envelope = ("source_system", "extracted_at") + (
            ("is_deleted",) if self.kind == "delta" else ())
        return tuple(c for c, _ in self.columns) + envelope

    @property
    def types(self) -> dict[str, str]:
        out = dict(self.columns)
        out.update(source_system="text", extracted_at="timestamp")
        if self.kind == "delta":
            out["is_deleted"] = "boolean"
        return out


def _x(name: str, kind: str, system: str, key: str, columns: str) -> Extract:
    cols = tuple(tuple(c.split(":")) for c in columns.split())
    return Extract(name, kind, system, tuple(key.split()), cols)  # type: ignore[arg-type]


_ALL = [
    # --- master data (snapshot) ---------------------------------------------------------
    _x("sites", "snapshot", "erp", "site_id",
       "site_id:text name:text country:text site_type:text currency:currency"),
    _x("items", "snapshot", "erp", "item_id",
       "item_id:text description:text item_type:text family:text category:text "
       "base_uom:text unit_weight_kg:decimal unit_volume_m3:decimal "
       "lifecycle_status:text introduced_on:date"),
    _x("item_sites", "snapshot", "erp", "item_id site_id",
       "item_id:text site_id:text make_or_buy:text planned_lead_time_days:integer "
       "safety_stock_qty:decimal min_order_qty:decimal standard_cost:money "
       "list_price:money currency:currency planner_id:text"),
    _x("partners", "snapshot", "erp", "partner_id",
       "partner_id:text role:text name:text country:text currency:currency "
       "payment_terms_days:integer tax_id:text segment:text contact_name:text "
       "contact_email:text"),
    _x("supplier_items", "snapshot", "erp", "supplier_id item_id valid_from",
       "supplier_id:text item_id:text valid_from:date unit_price:money currency:currency "
       "min_qty:decimal lead_time_days:integer"),
    _x("bom_lines", "snapshot", "erp", "parent_item_id component_item_id valid_from",
       "parent_item_id:text component_item_id:text valid_from:date qty_per:decimal "
       "scrap_pct:decimal valid_to:date"),
    _x("budgets", "snapshot", "finance", "period site_id category",
       "period:date site_id:text category:text amount:money currency:currency"),
    _x("plan_overrides", "snapshot", "planning", "cycle family site_id month",
       "cycle:date family:text site_id:text month:date qty:decimal reason:text "
       "planner_id:text"),
    # --- transactions (delta) -----------------------------------------------------------
    _x("purchase_order_lines", "delta", "erp", "po_id po_line",
       "po_id:text po_line:text supplier_id:text site_id:text item_id:text buyer_id:text "
       "order_date:date requested_date:date qty_ordered:decimal uom:text "
       "unit_price:money currency:currency status:text"),
    _x("supplier_confirmations", "delta", "supplier_portal", "po_id po_line confirmation_id",
       "po_id:text po_line:text confirmation_id:text confirmed_at:timestamp "
       "confirmed_date:date confirmed_qty:decimal channel:text"),
    _x("goods_receipts", "delta", "erp", "receipt_id receipt_line",
       "receipt_id:text receipt_line:text po_id:text po_line:text item_id:text "
       "site_id:text received_on:date qty_received:decimal qty_rejected:decimal "
       "movement:text"),
    _x("supplier_invoices", "delta", "erp", "invoice_id invoice_line",
       "invoice_id:text invoice_line:text supplier_id:text po_id:text po_line:text "
       "invoice_date:date due_date:date qty_invoiced:decimal unit_price:money "
       "amount:money currency:currency paid_on:date paid_amount:money"),
    _x("sales_order_lines", "delta", "erp", "so_id so_line",
       "so_id:text so_line:text customer_id:text site_id:text item_id:text channel:text "
       "order_date:date requested_date:date committed_date:date qty_ordered:decimal "
       "unit_price:money currency:currency status:text cancel_reason:text"),
    _x("deliveries", "delta", "erp", "delivery_id delivery_line",
       "delivery_id:text delivery_line:text so_id:text so_line:text shipment_id:text "
       "item_id:text site_id:text shipped_on:date delivered_on:date qty_shipped:decimal"),
    _x("customer_invoices", "delta", "erp", "invoice_id invoice_line",
       "invoice_id:text invoice_line:text customer_id:text so_id:text so_line:text "
       "invoice_date:date due_date:date amount:money currency:currency paid_on:date "
       "paid_amount:money"),
    _x("returns", "delta", "erp", "return_id return_line",
       "return_id:text return_line:text so_id:text so_line:text customer_id:text "
       "item_id:text returned_on:date qty_returned:decimal reason_code:text "
       "disposition:text credit_amount:money currency:currency"),
    _x("production_orders", "delta", "erp", "mo_id",
       "mo_id:text item_id:text site_id:text work_center:text planned_start:date "
       "planned_finish:date actual_start:date actual_finish:date qty_planned:decimal "
       "qty_produced:decimal qty_scrapped:decimal status:text"),
    _x("inventory_movements", "delta", "erp", "movement_id",
       "movement_id:text item_id:text site_id:text movement_type:text qty:decimal "
       "value:money currency:currency posted_on:date ref_doc_type:text ref_doc_id:text "
       "ref_line:text"),
    _x("inventory_snapshots", "delta", "erp", "snapshot_date item_id site_id",
       "snapshot_date:date item_id:text site_id:text qty_on_hand:decimal "
       "qty_allocated:decimal qty_blocked:decimal value:money currency:currency"),
    _x("cycle_counts", "delta", "erp", "count_id",
       "count_id:text count_date:date item_id:text site_id:text qty_system:decimal "
       "qty_counted:decimal"),
    _x("shipments", "delta", "tms", "shipment_id",
       "shipment_id:text direction:text carrier_id:text mode:text origin_site_id:text "
       "destination_country:text destination_region:text planned_pickup:date "
       "actual_pickup:date planned_delivery:date actual_delivery:date "
       "gross_weight_kg:decimal volume_m3:decimal incoterm:text"),
    _x("shipment_events", "delta", "tms", "shipment_id event_at event_code",
       "shipment_id:text event_at:timestamp event_code:text location:text "
       "is_exception:boolean"),
    _x("freight_invoices", "delta", "tms", "freight_invoice_id line",
       "freight_invoice_id:text line:text carrier_id:text shipment_id:text "
       "invoice_date:date charge_type:text amount:money currency:currency"),
    _x("gl_entries", "delta", "gl", "entry_id line",
       "entry_id:text line:text posting_date:date account:text account_type:text "
       "cost_center:text amount:money currency:currency amount_company:money "
       "partner_id:text ref_doc_type:text ref_doc_id:text"),
    _x("fx_rates", "delta", "treasury", "rate_date from_currency to_currency",
       "rate_date:date from_currency:currency to_currency:currency rate:rate"),
]

EXTRACTS: dict[str, Extract] = {e.name: e for e in _ALL}
