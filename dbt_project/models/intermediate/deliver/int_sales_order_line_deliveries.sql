{#
    Deliveries matched to their sales order line, one row per line that has any.
    A delivery line counts once delivered (delivered_on set). Split shipments are
    summed: qty_delivered_by_deadline is the quantity delivered on or before the
    line's deadline. Deliveries of unknown lines are left out.

    The shipping days of the line (for the delay-reason attribution): the first day
    something left (the quantity shipped that day and its shipment, the lowest
    shipment_id when several), the last day, and fully_shipped_date = that last day
    once the quantity shipped reached the quantity ordered (NULL while short).
#}
with

deliveries as (

    select so_id, so_line, delivery_id, shipment_id, shipped_on, delivered_on, qty_shipped
    from {{ ref('stg_deliveries') }}

),

lines as (

    select so_id, so_line, deadline, qty_ordered
    from {{ ref('int_sales_order_lines') }}

),

matched as (

    select
        deliveries.*,
        lines.deadline,
        lines.qty_ordered,
        min(deliveries.shipped_on) over (
            partition by deliveries.so_id, deliveries.so_line) as first_shipped_date
    from deliveries
    inner join lines
        on deliveries.so_id = lines.so_id
        and deliveries.so_line = lines.so_line

)

select
    so_id,
    so_line,
    min(shipped_on) as first_shipped_date,
    min(delivered_on) as first_delivery_date,
    max(delivered_on) as last_delivery_date,
    count(delivered_on) as delivery_count,
    cast(sum(qty_shipped) as decimal(18, 4)) as qty_shipped,
    cast(sum(case when delivered_on is not null then qty_shipped else 0 end) as decimal(18, 4)) as qty_delivered,
    cast(sum(case when delivered_on <= deadline then qty_shipped else 0 end) as decimal(18, 4)) as qty_delivered_by_deadline,
    min(shipment_id) filter (where shipped_on = first_shipped_date) as first_shipment_id,
    cast(sum(qty_shipped) filter (where shipped_on = first_shipped_date) as decimal(18, 4)) as qty_shipped_first_day,
    case when sum(qty_shipped) >= any_value(qty_ordered) then max(shipped_on) end as fully_shipped_date,
    max(shipped_on) as last_shipped_date

from matched
group by so_id, so_line
