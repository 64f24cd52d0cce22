{#
    Weekly demand of every planned item x site (stg_item_sites) over the last 52
    complete weeks (ending on the forecast cutoff week), the basis of the ABC class
    and of the demand mean / std when there is no forecast:
    - items with orders at the site: demand_history (orders, customer cancellations
      removed; demand_basis 'orders');
    - other items (components, raw materials, spares): usage = consuming stock
      outflows of the week (sale, consumption, issue, transfer_out from
      int_inventory_daily; demand_basis 'usage').
    A series covers its own weeks only (no weeks before it started).
#}
with

window_weeks as (

    select
        {{ forecast_cutoff() }} as last_week,
        {{ forecast_cutoff() }} - 51 * 7 as first_week

),

orders as (

    select history.item_id, history.site_id, history.week, history.demand_qty
    from {{ ref('demand_history') }} as history
    cross join window_weeks
    where history.week between window_weeks.first_week and window_weeks.last_week

),

ordered_series as (

    select distinct item_id, site_id from {{ ref('demand_history') }}

),

usage as (

    select
        daily.item_id,
        daily.site_id,
        cast(date_trunc('week', daily.date_day) as date) as week,
        sum(daily.qty_demand) as demand_qty
    from {{ ref('int_inventory_daily') }} as daily
    cross join window_weeks
    where daily.date_day >= window_weeks.first_week
      and daily.date_day < window_weeks.last_week + 7
    group by all

),

planned as (

    select item_id, site_id from {{ ref('stg_item_sites') }}

)

select
    planned.item_id,
    planned.site_id,
    orders.week,
    'orders' as demand_basis,
    cast(orders.demand_qty as decimal(18, 4)) as demand_qty
from planned
inner join orders
    on planned.item_id = orders.item_id
    and planned.site_id = orders.site_id

union all

select
    planned.item_id,
    planned.site_id,
    usage.week,
    'usage' as demand_basis,
    cast(usage.demand_qty as decimal(18, 4)) as demand_qty
from planned
inner join usage
    on planned.item_id = usage.item_id
    and planned.site_id = usage.site_id
left join ordered_series
    on planned.item_id = ordered_series.item_id
    and planned.site_id = ordered_series.site_id
where ordered_series.item_id is null
