{#
    forecast.demand_forecast_monthly: every family x site that the weekly snapshot of a
    cutoff forecasts, and no other, has the var('forecast_horizon_months') months from
    the month after the cutoff's month, once each, with bounds ordered and non-negative
    (0 <= lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95). Fails with one row per family x
    site of a snapshot that breaks it. It reads the weekly snapshots too, so meta
    checked_source says which asset it checks.
#}
{%- set horizon = var('forecast_horizon_months') | int %}
{{ config(meta={'checked_source': 'forecast.demand_forecast_monthly',
                'description': 'Every family x site of the weekly snapshot has the ' ~ horizon
                    ~ ' months from the month after the cutoff\'s month, once each, and no other;'
                    ~ ' bounds ordered and non-negative.'}) }}

with

monthly_series as (

    select
        cutoff,
        family,
        site_id,
        count(*) as months,
        count(distinct month) as distinct_months,
        min(month) as first_month,
        bool_and(
            0 <= forecast_lo_95 and forecast_lo_95 <= forecast_lo_80
            and forecast_lo_80 <= forecast and forecast <= forecast_hi_80
            and forecast_hi_80 <= forecast_hi_95
        ) as bounds_ordered
    from {{ source('forecast', 'demand_forecast_monthly') }}
    group by cutoff, family, site_id

),

weekly_series as (

    select distinct cutoff, family, site_id
    from {{ source('forecast', 'demand_forecast') }}

)

select
    cutoff,
    family,
    site_id,
    weekly_series.cutoff is not null as in_weekly,
    monthly_series.months,
    monthly_series.distinct_months,
    monthly_series.first_month,
    monthly_series.bounds_ordered
from monthly_series
full outer join weekly_series using (cutoff, family, site_id)
where monthly_series.cutoff is null
   or weekly_series.cutoff is null
   or monthly_series.months <> {{ horizon }}
   or monthly_series.distinct_months <> {{ horizon }}
   or monthly_series.first_month <> cast(date_trunc('month', cutoff) + interval 1 month as date)
   or not monthly_series.bounds_ordered
