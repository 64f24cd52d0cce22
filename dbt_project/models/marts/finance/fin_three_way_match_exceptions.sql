{#
    Supplier invoice lines failing the three-way match (PO vs receipt vs invoice)
    beyond the tolerances (int_three_way_match holds the rules; vars
    three_way_match_qty_tolerance_pct, three_way_match_price_tolerance_pct).
#}
select
    cast(invoice_id as varchar) as invoice_id,
    cast(invoice_line as varchar) as invoice_line,
    cast(invoice_date as date) as invoice_date,
    cast(month as date) as month,
    cast(supplier_id as varchar) as supplier_id,
    cast(po_id as varchar) as po_id,
    cast(po_line as varchar) as po_line,
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(exception_type as varchar) as exception_type,
    cast(exception_types as varchar) as exception_types,
    cast(is_no_po_line as boolean) as is_no_po_line,
    cast(is_currency_mismatch as boolean) as is_currency_mismatch,
    cast(is_qty_over_received as boolean) as is_qty_over_received,
    cast(is_qty_over_ordered as boolean) as is_qty_over_ordered,
    cast(is_price_mismatch as boolean) as is_price_mismatch,
    cast(qty_ordered as decimal(18, 4)) as qty_ordered,
    cast(qty_received_by_invoice_date as decimal(18, 4)) as qty_received,
    cast(qty_invoiced as decimal(18, 4)) as qty_invoiced,
    cast(qty_invoiced_cumulative as decimal(18, 4)) as qty_invoiced_cumulative,
    cast(qty_excess as decimal(18, 4)) as qty_excess,
    cast(po_unit_price as decimal(18, 4)) as po_unit_price,
    cast(unit_price as decimal(18, 4)) as invoice_unit_price,
    cast(price_variance_pct as decimal(18, 2)) as price_variance_pct,
    cast(po_currency as varchar) as po_currency,
    cast(currency as varchar) as currency,
    cast(amount as decimal(18, 4)) as amount,
    cast(amount_at_stake as decimal(18, 4)) as amount_at_stake,
    cast(amount_at_stake_cc as decimal(18, 4)) as amount_at_stake_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate

from {{ ref('int_three_way_match') }}
where has_exception
