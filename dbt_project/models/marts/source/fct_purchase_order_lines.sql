{#
    One row per current purchase order line: supplier deadline, receipts and the
    delivery-performance flags (docs/conventions.md, "Purchase order lines").
    on_time / in_full / otif / on_time_to_need are judged on due lines only (deadline
    on or before the as-of date, not cancelled) and are NULL on the others.
#}
with

lines as (

    select * from {{ ref('int_purchase_order_lines') }}

),

receipts as (

    select * from {{ ref('int_purchase_order_line_receipts') }}

),

joined as (

    select
        lines.*,
        receipts.first_receipt_date,
        receipts.last_receipt_date,
        coalesce(receipts.qty_received, 0) as qty_received,
        coalesce(receipts.qty_rejected, 0) as qty_rejected,
        coalesce(receipts.qty_received_net, 0) as qty_received_net,
        coalesce(receipts.qty_received_net_by_deadline, 0) as qty_received_net_by_deadline,
        coalesce(lines.deadline <= {{ as_of_date() }}, false)
            and lines.status <> 'cancelled' as is_due

    from lines
    left join receipts
        on lines.po_id = receipts.po_id
        and lines.po_line = receipts.po_line

),

flagged as (

    select
        *,
        case when is_due then coalesce(first_receipt_date <= deadline, false) end as on_time,
        case when is_due
            then qty_received_net_by_deadline >= {{ in_full_threshold('qty_ordered', 'in_full_tolerance_purchase') }}
        end as in_full,
        case when is_due then coalesce(first_receipt_date <= requested_date, false) end as on_time_to_need,
        {{ dbt.datediff('order_date', 'first_receipt_date', 'day') }} as lead_time_days

    from joined

)

select
    cast(po_id as varchar) as po_id,
    cast(po_line as varchar) as po_line,
    cast(supplier_id as varchar) as supplier_id,
    cast(site_id as varchar) as site_id,
    cast(item_id as varchar) as item_id,
    cast(buyer_id as varchar) as buyer_id,
    cast(status as varchar) as status,
    cast(order_date as date) as order_date,
    cast(requested_date as date) as need_date,
    cast(first_confirmed_at as timestamp) as first_confirmed_at,
    cast(first_confirmed_date as date) as first_confirmed_date,
    cast(latest_confirmed_date as date) as latest_confirmed_date,
    cast(confirmation_count as bigint) as confirmation_count,
    cast(reconfirmation_count as bigint) as reconfirmation_count,
    cast(deadline as date) as deadline,
    cast({{ dbt.date_trunc('month', 'deadline') }} as date) as month,
    cast(first_receipt_date as date) as first_receipt_date,
    cast(last_receipt_date as date) as last_receipt_date,
    cast(qty_ordered as decimal(18, 4)) as qty_ordered,
    cast(qty_received as decimal(18, 4)) as qty_received,
    cast(qty_rejected as decimal(18, 4)) as qty_rejected,
    cast(qty_received_net as decimal(18, 4)) as qty_received_net,
    cast(qty_received_net_by_deadline as decimal(18, 4)) as qty_received_net_by_deadline,
    cast(
        case
            when status in ('closed', 'cancelled') then 0
            else greatest(qty_ordered - qty_received_net, 0)
        end
        as decimal(18, 4)) as qty_open,
    cast(is_due as boolean) as is_due,
    cast(on_time as boolean) as on_time,
    cast(in_full as boolean) as in_full,
    cast(on_time and in_full as boolean) as otif,
    cast(on_time_to_need as boolean) as on_time_to_need,
    cast(first_confirmed_at is not null as boolean) as is_confirmed,
    cast(coalesce(
        {{ dbt.datediff('order_date', 'cast(first_confirmed_at as date)', 'day') }}
            <= {{ var('confirmation_window_days', 3) | int }},
        false) as boolean) as is_confirmed_within_window,
    cast(coalesce(first_confirmed_date > requested_date, false) as boolean) as is_confirmed_after_need_date,
    cast(lead_time_days as integer) as lead_time_days,
    cast(planned_lead_time_days as integer) as planned_lead_time_days,
    cast(lead_time_days - planned_lead_time_days as integer) as lead_time_error_days,
    cast(unit_price as decimal(18, 4)) as unit_price,
    cast(currency as varchar) as currency,
    cast(amount as decimal(18, 4)) as amount,
    cast(amount_cc as decimal(18, 4)) as amount_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate

from flagged
