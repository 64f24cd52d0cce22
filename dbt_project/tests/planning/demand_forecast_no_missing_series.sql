{#
    forecast.demand_forecast: every demand_history series with orders in the 26 weeks up
    to the cutoff has a forecast in the current snapshot. The current cutoff is the last
    week of demand_history, as for the forecast asset. Fails with the series left out.
    It reads demand_history too, so meta checked_source says which asset it checks.
#}
{%- set recent_weeks = 26 %}
{{ config(meta={'checked_source': 'forecast.demand_forecast',
                'description': 'Every demand_history series with orders in the '
                    ~ recent_weeks ~ ' weeks up to the cutoff has a forecast in the current snapshot.'}) }}

with

history as (

    select * from {{ ref('demand_history') }}

),

current_cutoff as (

    select max(week) as cutoff from history

),

recent_series as (

    select distinct history.item_id, history.site_id
    from history
    cross join current_cutoff
    where history.demand_qty > 0
      and history.week > current_cutoff.cutoff - 7 * {{ recent_weeks }}

),

forecast_series as (

    select distinct snapshots.item_id, snapshots.site_id
    from {{ source('forecast', 'demand_forecast') }} as snapshots
    inner join current_cutoff
        on snapshots.cutoff = current_cutoff.cutoff

)

select
    current_cutoff.cutoff,
    recent_series.item_id,
    recent_series.site_id
from recent_series
cross join current_cutoff
left join forecast_series
    on recent_series.item_id = forecast_series.item_id
    and recent_series.site_id = forecast_series.site_id
where forecast_series.item_id is null
