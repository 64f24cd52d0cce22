{#
    Forecast accuracy by family x demand class x lag, over every matured forecast of
    every snapshot (int_forecast_accuracy): WAPE = sum |F - A| / sum A, bias =
    sum (F - A) / sum A (positive = over-forecast), the same for seasonal naive, and
    forecast value added = seasonal-naive WAPE - WAPE (points; positive = the forecast
    beats copying last year). The demand class is the one the snapshot forecast with.
    Percentages are NULL when nothing was ordered.
#}
with

errors as (

    select * from {{ ref('int_forecast_accuracy') }}

),

totals as (

    select
        family,
        demand_class,
        lag_weeks,
        count(distinct item_id || '|' || site_id) as series,
        count(*) as forecasts,
        count(distinct cutoff) as snapshots,
        sum(actual_qty) as actual_qty,
        sum(forecast_qty) as forecast_qty,
        sum(abs_error_qty) as abs_error_qty,
        sum(error_qty) as error_qty,
        sum(seasonal_naive_abs_error_qty) as seasonal_naive_abs_error_qty,
        sum(seasonal_naive_error_qty) as seasonal_naive_error_qty,
        count(*) filter (where is_within_80) as within_80,
        count(*) filter (where is_within_95) as within_95
    from errors
    group by family, demand_class, lag_weeks

)

select
    cast(family as varchar) as family,
    cast(demand_class as varchar) as demand_class,
    cast(lag_weeks as integer) as lag_weeks,
    cast(series as integer) as series,
    cast(forecasts as integer) as forecasts,
    cast(snapshots as integer) as snapshots,
    cast(actual_qty as decimal(18, 4)) as actual_qty,
    cast(forecast_qty as decimal(18, 4)) as forecast_qty,
    {{ pct('abs_error_qty', 'actual_qty') }} as wape_pct,
    {{ pct('error_qty', 'actual_qty') }} as bias_pct,
    {{ pct('seasonal_naive_abs_error_qty', 'actual_qty') }} as seasonal_naive_wape_pct,
    {{ pct('seasonal_naive_error_qty', 'actual_qty') }} as seasonal_naive_bias_pct,
    cast({{ pct('seasonal_naive_abs_error_qty', 'actual_qty') }}
        - {{ pct('abs_error_qty', 'actual_qty') }} as decimal(9, 2)) as fva_wape_pts,
    {{ pct('within_80', 'forecasts') }} as coverage_80_pct,
    {{ pct('within_95', 'forecasts') }} as coverage_95_pct

from totals
