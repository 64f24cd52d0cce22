{#
    Weekly demand per item x site from ORDERS (shipments are censored by stock-outs:
    an order we could not fill was still demand). A line counts in the ISO week
    (Monday) of its order_date with its qty_ordered.
    - Lines cancelled by the customer are removed (the customer withdrew the demand);
      lines we cancelled ourselves stay (the demand was real, we failed to serve it).
    - Returns are not netted: a return is a service / quality event, not negative
      demand, and netting it would move demand to the week of the return.
    - Zeros are filled: every series runs without holes from its start to the forecast
      cutoff (the last complete week before the as-of date). Its start is the week of
      its first order, or the week the item was introduced when that is earlier
      (weeks of no demand after a launch are information), but never before the first
      complete week of the order history: a week the extract only partly covers would
      look like a demand drop. Orders outside that window are left out.
    - One series per item x site with at least one order in the window; family from
      the item master, 'unassigned' when it has none (so the family x site monthly
      forecast has a key for every series).
#}
with

order_lines as (

    select item_id, site_id, order_date, qty_ordered, is_customer_cancelled
    from {{ ref('int_sales_order_lines') }}

),

history_window as (

    -- Monday on or after the first order date .. the cutoff week
    select
        cast(date_trunc('week', min(order_date) + 6) as date) as first_week,
        {{ forecast_cutoff() }} as last_week
    from order_lines

),

weekly_orders as (

    select
        order_lines.item_id,
        order_lines.site_id,
        cast(date_trunc('week', order_lines.order_date) as date) as week,
        sum(order_lines.qty_ordered) as demand_qty,
        count(*) as order_lines
    from order_lines
    cross join history_window
    where not order_lines.is_customer_cancelled
        and order_lines.order_date >= history_window.first_week
        and order_lines.order_date < history_window.last_week + 7
    group by all

),

series as (

    select
        weekly_orders.item_id,
        weekly_orders.site_id,
        {{ item_family('items.family') }} as family,
        greatest(
            history_window.first_week,
            least(min(weekly_orders.week), cast(date_trunc('week', items.introduced_on) as date))
        ) as first_week,
        history_window.last_week
    from weekly_orders
    cross join history_window
    left join {{ ref('dim_item') }} as items
        on weekly_orders.item_id = items.item_id
    group by
        weekly_orders.item_id, weekly_orders.site_id, items.family, items.introduced_on,
        history_window.first_week, history_window.last_week

),

weeks as (

    select date_day as week
    from {{ ref('int_calendar') }}
    where iso_day_of_week = 1

)

select
    cast(series.item_id as varchar) as item_id,
    cast(series.site_id as varchar) as site_id,
    cast(series.family as varchar) as family,
    cast(weeks.week as date) as week,
    cast(coalesce(weekly_orders.demand_qty, 0) as decimal(18, 4)) as demand_qty,
    cast(coalesce(weekly_orders.order_lines, 0) as integer) as order_lines

from series
inner join weeks
    on weeks.week between series.first_week and series.last_week
left join weekly_orders
    on series.item_id = weekly_orders.item_id
    and series.site_id = weekly_orders.site_id
    and weeks.week = weekly_orders.week
