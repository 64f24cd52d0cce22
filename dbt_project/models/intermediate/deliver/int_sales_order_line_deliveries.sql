{#
    Deliveries matched to their sales order line, one row per line that has any.
    A delivery line counts once delivered (delivered_on set). Split shipments are
    summed: qty_delivered_by_deadline is the quantity delivered on or before the
    line's deadline. Deliveries of unknown lines are left out.

    The shipping days of the line (for the delay-reason attribution): the first day
    something left (its quantity and shipment; a line ships at most once a day from a
    site, ties go to the lowest shipment_id), the day the cumulative quantity shipped
    reached the quantity ordered (NULL while short) and the last day something left.
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

    select deliveries.*, lines.deadline, lines.qty_ordered
    from deliveries
    inner join lines
        on deliveries.so_id = lines.so_id
        and deliveries.so_line = lines.so_line

),

shipping_days as (

    select
        so_id,
        so_line,
        shipped_on,
        min(shipment_id) as shipment_id,
        sum(qty_shipped) as qty_shipped,
        sum(sum(qty_shipped)) over (
            partition by so_id, so_line order by shipped_on
            rows between unbounded preceding and current row) as qty_shipped_cumulative,
        any_value(qty_ordered) as qty_ordered
    from matched
    where shipped_on is not null
    group by so_id, so_line, shipped_on

),

shipping as (

    select
        so_id,
        so_line,
        arg_min(shipment_id, shipped_on) as first_shipment_id,
        arg_min(qty_shipped, shipped_on) as qty_shipped_first_day,
        min(case when qty_shipped_cumulative >= qty_ordered then shipped_on end) as fully_shipped_date,
        max(shipped_on) as last_shipped_date
    from shipping_days
    group by so_id, so_line

),

totals as (

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

)

select
    totals.*,
    shipping.first_shipment_id,
    cast(shipping.qty_shipped_first_day as decimal(18, 4)) as qty_shipped_first_day,
    shipping.fully_shipped_date,
    shipping.last_shipped_date

from totals
left join shipping
    on totals.so_id = shipping.so_id
    and totals.so_line = shipping.so_line
