{#
    One row per current sales order line: service deadline, deliveries and the
    customer-service flags (docs/conventions.md, "Sales order lines"). A line is
    counted when its deadline is on or before the as-of date and the customer did not
    cancel it; on_time / in_full / otif / backorder_qty / is_perfect_line are judged on
    counted lines only and are NULL on the others. A line we cancelled ourselves is a
    miss: on_time and in_full are false. delay_reason (counted lines not OTIF only) is
    the root cause of int_sales_order_line_delay_reasons, 'other' when it has none.
#}
with

lines as (

    select * from {{ ref('int_sales_order_lines') }}

),

deliveries as (

    select * from {{ ref('int_sales_order_line_deliveries') }}

),

claims as (

    select * from {{ ref('int_sales_order_line_claims') }}

),

delay_reasons as (

    select so_id, so_line, delay_reason from {{ ref('int_sales_order_line_delay_reasons') }}

),

joined as (

    select
        lines.*,
        deliveries.first_delivery_date,
        deliveries.last_delivery_date,
        coalesce(deliveries.qty_delivered, 0) as qty_delivered,
        coalesce(deliveries.qty_delivered_by_deadline, 0) as qty_delivered_by_deadline,
        coalesce(claims.is_returned_damaged, false) as is_returned_damaged,
        coalesce(claims.is_invoice_credited, false) as is_invoice_credited,
        delay_reasons.delay_reason as attributed_delay_reason,
        coalesce(lines.deadline <= {{ as_of_date() }}, false)
            and not lines.is_customer_cancelled as is_counted

    from lines
    left join deliveries
        on lines.so_id = deliveries.so_id
        and lines.so_line = deliveries.so_line
    left join claims
        on lines.so_id = claims.so_id
        and lines.so_line = claims.so_line
    left join delay_reasons
        on lines.so_id = delay_reasons.so_id
        and lines.so_line = delay_reasons.so_line

),

flagged as (

    select
        *,
        case when is_counted
            then not is_own_cancelled and coalesce(first_delivery_date <= deadline, false)
        end as on_time,
        case when is_counted
            then not is_own_cancelled
                and qty_delivered_by_deadline >= {{ in_full_threshold('qty_ordered', 'in_full_tolerance_sales') }}
        end as in_full,
        case when is_counted
            then greatest(qty_ordered - qty_delivered_by_deadline, 0)
        end as backorder_qty

    from joined

)

select
    cast(so_id as varchar) as so_id,
    cast(so_line as varchar) as so_line,
    cast(customer_id as varchar) as customer_id,
    cast(site_id as varchar) as site_id,
    cast(item_id as varchar) as item_id,
    cast(channel as varchar) as channel,
    cast(status as varchar) as status,
    cast(cancel_reason as varchar) as cancel_reason,
    cast(is_customer_cancelled as boolean) as is_customer_cancelled,
    cast(order_date as date) as order_date,
    cast(requested_date as date) as requested_date,
    cast(committed_date as date) as committed_date,
    cast(latest_committed_date as date) as latest_committed_date,
    cast(repromise_count as integer) as repromise_count,
    cast(deadline as date) as deadline,
    cast({{ dbt.date_trunc('month', 'deadline') }} as date) as month,
    cast(first_delivery_date as date) as first_delivery_date,
    cast(last_delivery_date as date) as last_delivery_date,
    cast(qty_ordered as decimal(18, 4)) as qty_ordered,
    cast(qty_delivered as decimal(18, 4)) as qty_delivered,
    cast(qty_delivered_by_deadline as decimal(18, 4)) as qty_delivered_by_deadline,
    cast(is_counted as boolean) as is_counted,
    cast(on_time as boolean) as on_time,
    cast(in_full as boolean) as in_full,
    cast(on_time and in_full as boolean) as otif,
    cast(backorder_qty as decimal(18, 4)) as backorder_qty,
    cast({{ dbt.datediff('order_date', 'last_delivery_date', 'day') }} as integer) as cycle_time_days,
    cast(unit_price as decimal(18, 4)) as unit_price,
    cast(currency as varchar) as currency,
    cast(ordered_value as decimal(18, 4)) as ordered_value,
    cast(ordered_value_cc as decimal(18, 4)) as ordered_value_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate,
    cast(is_returned_damaged as boolean) as is_returned_damaged,
    cast(is_invoice_credited as boolean) as is_invoice_credited,
    cast(
        case when is_counted
            then on_time and in_full and not is_returned_damaged and not is_invoice_credited
        end
        as boolean) as is_perfect_line,
    cast(
        case when is_counted and not (on_time and in_full)
            then coalesce(attributed_delay_reason, 'other')
        end
        as varchar) as delay_reason

from flagged
