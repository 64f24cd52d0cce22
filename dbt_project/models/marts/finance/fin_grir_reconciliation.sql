{#
    GR/IR open items by PO line and month-end (int_grir_balances): received and
    invoiced value at the PO price cumulative to the month-end, the balance and its
    age. Rows: months where the line's balance is not zero or it had a receipt or an
    invoice (filter grir_balance <> 0 for the open items).
#}
select
    cast(po_id as varchar) as po_id,
    cast(po_line as varchar) as po_line,
    cast(month as date) as month,
    cast(month_end as date) as month_end,
    cast(supplier_id as varchar) as supplier_id,
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(unit_price as decimal(18, 4)) as unit_price,
    cast(currency as varchar) as currency,
    cast(qty_received_net as decimal(18, 4)) as qty_received_net,
    cast(qty_invoiced as decimal(18, 4)) as qty_invoiced,
    cast(qty_balance as decimal(18, 4)) as qty_balance,
    cast(received_value as decimal(18, 4)) as received_value,
    cast(invoiced_value as decimal(18, 4)) as invoiced_value,
    cast(grir_balance as decimal(18, 4)) as grir_balance,
    cast(received_value_cc as decimal(18, 4)) as received_value_cc,
    cast(invoiced_value_cc as decimal(18, 4)) as invoiced_value_cc,
    cast(grir_balance_cc as decimal(18, 4)) as grir_balance_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate,
    cast(unmatched_side as varchar) as unmatched_side,
    cast(oldest_unmatched_date as date) as oldest_unmatched_date,
    cast(age_days as integer) as age_days,
    cast(has_activity as boolean) as has_activity

from {{ ref('int_grir_balances') }}
