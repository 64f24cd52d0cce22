{#
    Week-by-week projected available stock of every item x site of inventory_policy,
    over the 26 weeks from the week of the as-of date:
        projected available (end of week) = available now
            + scheduled receipts available by then - forecast demand by then
    - available now = on hand - allocated - blocked of the latest inventory snapshot
      (int_item_availability_timeline; 0 without one);
    - scheduled receipts = open PO lines and production orders (int_scheduled_receipts)
      in the week of their available date (overdue supply arrives on the as-of date);
    - demand = the latest weekly forecast snapshot's forecast of the week, or the
      policy's demand per week where the snapshot has no row for it; the week of the
      as-of date counts only its days after the as-of date ((7 - ISO weekday) / 7).
    projection_date = the week's Monday, or the as-of date in its own week.
#}
with

as_of as (

    select
        as_of_date,
        cast(date_trunc('week', as_of_date) as date) as first_week,
        cast(7 - isodow(as_of_date) as decimal(18, 4)) / 7 as first_week_share
    from {{ ref('int_as_of') }}

),

weeks as (

    select
        calendar.date_day as week,
        calendar.date_day = as_of.first_week as is_first_week
    from {{ ref('int_calendar') }} as calendar
    cross join as_of
    where calendar.iso_day_of_week = 1
      and calendar.date_day between as_of.first_week and as_of.first_week + 25 * 7

),

policy as (

    select item_id, site_id, demand_per_week
    from {{ ref('inventory_policy') }}

),

available as (

    select distinct item_id, site_id, qty_available_now
    from {{ ref('int_item_availability_timeline') }}

),

receipts as (

    select
        item_id,
        site_id,
        cast(date_trunc('week', available_on) as date) as week,
        sum(qty_open) as receipts_qty
    from {{ ref('int_scheduled_receipts') }}
    group by all

),

forecast as (

    select item_id, site_id, week, forecast
    from {{ ref('int_demand_forecast_latest') }}

),

weekly as (

    select
        policy.item_id,
        policy.site_id,
        weeks.week,
        greatest(weeks.week, as_of.as_of_date) as projection_date,
        coalesce(available.qty_available_now, 0) as qty_available_now,
        coalesce(receipts.receipts_qty, 0) as receipts_qty,
        forecast.forecast is not null as is_forecast,
        {{ round4(
            'coalesce(forecast.forecast, cast(policy.demand_per_week as double))'
            ~ ' * case when weeks.is_first_week then cast(as_of.first_week_share as double) else 1 end') }} as demand_qty
    from policy
    cross join weeks
    cross join as_of
    left join available
        on policy.item_id = available.item_id
        and policy.site_id = available.site_id
    left join receipts
        on policy.item_id = receipts.item_id
        and policy.site_id = receipts.site_id
        and weeks.week = receipts.week
    left join forecast
        on policy.item_id = forecast.item_id
        and policy.site_id = forecast.site_id
        and weeks.week = forecast.week

)

select
    item_id,
    site_id,
    week,
    projection_date,
    cast(qty_available_now as decimal(18, 4)) as qty_available_now,
    cast(receipts_qty as decimal(18, 4)) as receipts_qty,
    is_forecast,
    demand_qty,
    cast(sum(receipts_qty) over w as decimal(18, 4)) as cumulative_receipts_qty,
    cast(sum(demand_qty) over w as decimal(18, 4)) as cumulative_demand_qty,
    cast(qty_available_now + sum(receipts_qty) over w - sum(demand_qty) over w as decimal(18, 4)) as projected_available_qty

from weekly
window w as (partition by item_id, site_id order by week rows between unbounded preceding and current row)
