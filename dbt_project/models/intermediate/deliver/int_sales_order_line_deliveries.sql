{#
    Deliveries matched to their sales order line, one row per line that has any.
    A delivery line counts once delivered (delivered_on set). Split shipments are
    summed: qty_delivered_by_deadline is the quantity delivered on or before the
    line's deadline. Deliveries of unknown lines are left out.
#}
with

deliveries as (

    select so_id, so_line, delivery_id, shipped_on, delivered_on, qty_shipped
    from {{ ref('stg_deliveries') }}

),

lines as (

    select so_id, so_line, deadline
    from {{ ref('int_sales_order_lines') }}

),

matched as (

    select deliveries.*, lines.deadline
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
    cast(sum(case when delivered_on <= deadline then qty_shipped else 0 end) as decimal(18, 4)) as qty_delivered_by_deadline

from matched
group by so_id, so_line
