{#
    forecast.demand_forecast: every item x site of every snapshot has the
    var('forecast_horizon_weeks') weeks after its cutoff, once each: lag_weeks 1 ... 26,
    week = cutoff + 7 x lag_weeks. The table has no primary key (a snapshot is replaced
    by delete + insert), so this is what holds its key. Fails with one row per series of
    a snapshot that breaks it.
#}
{%- set horizon = var('forecast_horizon_weeks') | int %}
{{ config(meta={'description': 'Every series of every snapshot has the ' ~ horizon
    ~ ' weeks after its cutoff, once each (lag 1..' ~ horizon ~ ', week = cutoff + 7 x lag).'}) }}

select
    cutoff,
    item_id,
    site_id,
    count(*) as weeks,
    count(distinct week) as distinct_weeks,
    min(lag_weeks) as first_lag,
    max(lag_weeks) as last_lag
from {{ source('forecast', 'demand_forecast') }}
group by cutoff, item_id, site_id
having count(*) <> {{ horizon }}
    or count(distinct week) <> {{ horizon }}
    or bool_or(week <> cutoff + 7 * lag_weeks)
    or min(lag_weeks) <> 1
    or max(lag_weeks) <> {{ horizon }}
