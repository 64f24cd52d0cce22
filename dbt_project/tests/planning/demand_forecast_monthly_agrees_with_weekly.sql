{#
    forecast.demand_forecast_monthly, current snapshot: on the months the weekly horizon
    covers (weekly_share = 1) the monthly forecast of a family x site equals the weekly
    forecast of its items split by days into months (a week's quantity spread evenly
    over its 7 days), plus the cutoff week's orders on the days of the month it runs
    into (orchestration/planning/reconcile.py); relative tolerance 1e-6 (floating sums).
    Fails with the months that disagree. It reads the weekly snapshot and
    demand_history too, so meta checked_source says which asset it checks.
#}
{%- set tolerance = 1e-6 %}
{{ config(meta={'checked_source': 'forecast.demand_forecast_monthly',
                'description': 'On the months the weekly horizon covers (weekly_share = 1), the'
                    ~ ' monthly forecast equals the weekly forecast of the family\'s items split by'
                    ~ ' days into months (plus the cutoff week\'s orders), current snapshot.'}) }}

with

history as (

    select * from {{ ref('demand_history') }}

),

current_cutoff as (

    select max(week) as cutoff from history

),

days as (

    select
        weekly.family,
        weekly.site_id,
        weekly.week + cast(day_of_week.i as integer) as day,
        weekly.forecast / 7 as qty
    from {{ source('forecast', 'demand_forecast') }} as weekly
    inner join current_cutoff
        on weekly.cutoff = current_cutoff.cutoff
    cross join range(7) as day_of_week(i)

    union all

    select
        history.family,
        history.site_id,
        history.week + cast(day_of_week.i as integer) as day,
        cast(history.demand_qty as double) / 7 as qty
    from history
    inner join current_cutoff
        on history.week = current_cutoff.cutoff
    cross join range(7) as day_of_week(i)

),

weekly_months as (

    select
        family,
        site_id,
        cast(date_trunc('month', day) as date) as month,
        sum(qty) as qty
    from days
    group by family, site_id, cast(date_trunc('month', day) as date)

)

select
    monthly.cutoff,
    monthly.family,
    monthly.site_id,
    monthly.month,
    monthly.forecast,
    coalesce(weekly_months.qty, 0) as weekly_qty
from {{ source('forecast', 'demand_forecast_monthly') }} as monthly
inner join current_cutoff
    on monthly.cutoff = current_cutoff.cutoff
left join weekly_months
    on monthly.family = weekly_months.family
    and monthly.site_id = weekly_months.site_id
    and monthly.month = weekly_months.month
where monthly.weekly_share >= 1
  and abs(monthly.forecast - coalesce(weekly_months.qty, 0))
      > {{ tolerance }} * greatest(1, abs(coalesce(weekly_months.qty, 0)))
