{#
    The buyer's chase list: open PO lines needing action as of the as-of date, most
    urgent first (int_purchase_order_line_chases holds the rules and the score;
    docs/kpi_catalog.md, po_chase_list).
#}
select
    cast(priority_rank as bigint) as priority_rank,
    cast(po_id as varchar) as po_id,
    cast(po_line as varchar) as po_line,
    cast(supplier_id as varchar) as supplier_id,
    cast(supplier_name as varchar) as supplier_name,
    cast(supplier_contact_name as varchar) as supplier_contact_name,
    cast(supplier_contact_email as varchar) as supplier_contact_email,
    cast(site_id as varchar) as site_id,
    cast(item_id as varchar) as item_id,
    cast(buyer_id as varchar) as buyer_id,
    cast(as_of_date as date) as as_of_date,
    cast(chase_reason as varchar) as chase_reason,
    cast(chase_reasons as varchar) as chase_reasons,
    cast(reason_count as integer) as reason_count,
    cast(is_overdue as boolean) as is_overdue,
    cast(is_confirmed_after_need_date as boolean) as is_confirmed_after_need_date,
    cast(is_date_slipped as boolean) as is_date_slipped,
    cast(is_qty_short as boolean) as is_qty_short,
    cast(is_unconfirmed as boolean) as is_unconfirmed,
    cast(suggested_action as varchar) as suggested_action,
    cast(order_date as date) as order_date,
    cast(requested_date as date) as need_date,
    cast(deadline as date) as deadline,
    cast(latest_confirmed_date as date) as latest_confirmed_date,
    cast(previous_confirmed_date as date) as previous_confirmed_date,
    cast(expected_date as date) as expected_date,
    cast(days_late as integer) as days_late,
    cast(qty_ordered as decimal(18, 4)) as qty_ordered,
    cast(latest_confirmed_qty as decimal(18, 4)) as latest_confirmed_qty,
    cast(qty_open as decimal(18, 4)) as qty_open,
    cast(unit_price as decimal(18, 4)) as unit_price,
    cast(currency as varchar) as currency,
    cast(value_at_risk as decimal(18, 4)) as value_at_risk,
    cast(value_at_risk_cc as decimal(18, 4)) as value_at_risk_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate,
    cast(shortage_sales_lines as bigint) as shortage_sales_lines,
    cast(shortage_qty as decimal(18, 4)) as shortage_qty,
    cast(shortage_value_cc as decimal(18, 4)) as shortage_value_cc,
    cast(priority_score as decimal(9, 2)) as priority_score

from {{ ref('int_purchase_order_line_chases') }}
