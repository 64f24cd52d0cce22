{#
    Did a sales order line wait for stock at its site, and from when? One row per line
    whose deadline is on or before the as-of date and that the customer did not
    cancel. Read from the warehouse only: deliveries, shipments and the daily stock
    balance.

    Latest ship date: the deadline minus the customer's planned transit (planned
    delivery - planned pickup of its outbound shipments), not before the order date:
    the last day the line can leave and still arrive on time. A site releases a line
    to the warehouse by that day (0-2 days earlier when it can) and ships from stock
    first come first served: lines due to ship earlier are served first, and a line
    waiting for stock keeps its place.

    A line waited for stock when:
    - it first shipped after its latest ship date, or never shipped, and at the end of
      the day before it first shipped (never shipped: its latest ship date) the open
      quantity of the lines queued up to it - every line of the item x site due to
      ship by then, by latest ship date, not yet fully shipped, itself included - was
      more than the stock on hand. Lines we cancelled stay queued at most var
      stock_wait_max_days (30) after their latest ship date, closed lines until their
      last shipment. Unless it was overtaken: a line due to ship more than 2 days
      after it (later in the queue whatever the 0-2 days early) shipped between its
      latest ship date and the day before it first shipped (never shipped: the as-of
      date; for a line we cancelled, the first var stock_wait_min_days (7), the
      shortest a backorder is kept) - a waiting line would have been served first, so
      it was released late, or cancelled without waiting;
    - or its first shipment was partial and left the site without stock at the end of
      that day (a partial shipment of what there was; a short pick leaves stock).
    first_stock_out_date: the day it started waiting, its latest ship date (the day of
    the partial shipment when earlier). The data does not show a release 1-2 days
    early: a line already short then is dated 1-2 days late.
#}
{%- set min_wait_days = var('stock_wait_min_days') | int %}
{%- set max_wait_days = var('stock_wait_max_days') | int %}
with

lines as (

    select
        so_id,
        so_line,
        customer_id,
        site_id,
        item_id,
        order_date,
        deadline,
        qty_ordered,
        status,
        is_customer_cancelled,
        is_own_cancelled
    from {{ ref('int_sales_order_lines') }}
    where deadline is not null

),

customer_transit as (

    select
        freight.customer_id,
        min(shipments.planned_transit_days) as transit_days
    from {{ ref('int_delivery_line_freight') }} as freight
    inner join {{ ref('int_shipments') }} as shipments
        on freight.shipment_id = shipments.shipment_id
    where shipments.planned_transit_days >= 0
    group by freight.customer_id

),

ship_plans as (

    select
        lines.*,
        cast(customer_transit.transit_days as integer) as transit_days,
        greatest(
            lines.deadline - cast(coalesce(customer_transit.transit_days, 0) as integer),
            lines.order_date) as latest_ship_date,
        deliveries.first_shipped_date,
        deliveries.qty_shipped_first_day,
        deliveries.fully_shipped_date,
        deliveries.last_shipped_date
    from lines
    left join customer_transit
        on lines.customer_id = customer_transit.customer_id
    left join {{ ref('int_sales_order_line_deliveries') }} as deliveries
        on lines.so_id = deliveries.so_id
        and lines.so_line = deliveries.so_line

),

{# every line in the queue of its item x site, and until when it could be waiting #}
queue as (

    select
        so_id,
        so_line,
        site_id,
        item_id,
        latest_ship_date,
        qty_ordered,
        case
            when fully_shipped_date is not null then fully_shipped_date
            when status = 'closed' then coalesce(last_shipped_date, latest_ship_date)
            when is_own_cancelled then latest_ship_date + {{ max_wait_days }}
        end as queued_until
    from ship_plans
    where not is_customer_cancelled

),

evaluated as (

    select
        *,
        case
            when first_shipped_date is null then least(latest_ship_date, {{ as_of_date() }})
            when first_shipped_date > latest_ship_date then first_shipped_date - 1
        end as stock_checked_on,
        case
            when first_shipped_date is not null then first_shipped_date - 1
            when is_own_cancelled then least(latest_ship_date + {{ min_wait_days - 1 }}, {{ as_of_date() }})
            else {{ as_of_date() }}
        end as overtaken_until
    from ship_plans
    where deadline <= {{ as_of_date() }}
      and not is_customer_cancelled

),

queued_ahead as (

    select
        evaluated.so_id,
        evaluated.so_line,
        evaluated.stock_checked_on,
        queue.so_id as queued_so_id,
        queue.so_line as queued_so_line,
        queue.qty_ordered
    from evaluated
    inner join queue
        on evaluated.item_id = queue.item_id
        and evaluated.site_id = queue.site_id
        and queue.latest_ship_date <= evaluated.latest_ship_date
        and queue.latest_ship_date <= evaluated.stock_checked_on
        and (
            coalesce(queue.queued_until > evaluated.stock_checked_on, true)
            or (queue.so_id = evaluated.so_id and queue.so_line = evaluated.so_line)
        )
    where evaluated.stock_checked_on is not null

),

shipped_ahead as (

    select
        queued_ahead.so_id,
        queued_ahead.so_line,
        sum(deliveries.qty_shipped) as qty_shipped
    from queued_ahead
    inner join {{ ref('stg_deliveries') }} as deliveries
        on queued_ahead.queued_so_id = deliveries.so_id
        and queued_ahead.queued_so_line = deliveries.so_line
        and deliveries.shipped_on <= queued_ahead.stock_checked_on
    group by queued_ahead.so_id, queued_ahead.so_line

),

queued as (

    select
        queued_ahead.so_id,
        queued_ahead.so_line,
        sum(queued_ahead.qty_ordered) - coalesce(any_value(shipped_ahead.qty_shipped), 0) as qty_queued
    from queued_ahead
    left join shipped_ahead
        on queued_ahead.so_id = shipped_ahead.so_id
        and queued_ahead.so_line = shipped_ahead.so_line
    group by queued_ahead.so_id, queued_ahead.so_line

),

overtaken as (

    select distinct
        evaluated.so_id,
        evaluated.so_line
    from evaluated
    inner join ship_plans as later
        on evaluated.item_id = later.item_id
        and evaluated.site_id = later.site_id
        and later.latest_ship_date > evaluated.latest_ship_date + 2
        and later.first_shipped_date between evaluated.latest_ship_date and evaluated.overtaken_until
    where evaluated.stock_checked_on is not null

),

judged as (

    select
        evaluated.*,
        cast(queued.qty_queued as decimal(18, 4)) as qty_queued,
        cast(coalesce(checked.qty_on_hand, 0) as decimal(18, 4)) as qty_on_hand_checked,
        overtaken.so_id is not null as is_overtaken,
        case
            when evaluated.stock_checked_on is not null
                then coalesce(queued.qty_queued > coalesce(checked.qty_on_hand, 0), false)
                    and overtaken.so_id is null
            when evaluated.qty_shipped_first_day < evaluated.qty_ordered
                then coalesce(shipped.qty_on_hand, 0) <= 0
            else false
        end as waited_for_stock
    from evaluated
    left join queued
        on evaluated.so_id = queued.so_id
        and evaluated.so_line = queued.so_line
    left join overtaken
        on evaluated.so_id = overtaken.so_id
        and evaluated.so_line = overtaken.so_line
    left join {{ ref('int_inventory_daily') }} as checked
        on evaluated.item_id = checked.item_id
        and evaluated.site_id = checked.site_id
        and evaluated.stock_checked_on = checked.date_day
    left join {{ ref('int_inventory_daily') }} as shipped
        on evaluated.item_id = shipped.item_id
        and evaluated.site_id = shipped.site_id
        and evaluated.first_shipped_date = shipped.date_day

)

select
    so_id,
    so_line,
    site_id,
    item_id,
    transit_days,
    latest_ship_date,
    stock_checked_on,
    qty_queued,
    qty_on_hand_checked,
    is_overtaken,
    waited_for_stock,
    case
        when waited_for_stock then least(coalesce(first_shipped_date, latest_ship_date), latest_ship_date)
    end as first_stock_out_date

from judged
