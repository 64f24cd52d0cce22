{#
    Every weekly forecast of every snapshot beside the orders of its week, once that
    week is history: item x site x week x lag. The forecast at lag L of a week is the
    one of the snapshot whose cutoff is week - 7 x L (the forecast made L weeks ahead);
    a week is history once demand_history holds it (up to the latest cutoff), so only
    matured forecasts appear. Series that left demand_history drop out; weeks a
    snapshot did not forecast (a series launched after its cutoff) have no row.
    Error = forecast - actual (positive = over-forecast), and the same for the
    snapshot's seasonal-naive baseline (forecast value added).
#}
with

forecasts as (

    select
        cutoff,
        item_id,
        site_id,
        week,
        cast((week - cutoff) / 7 as integer) as lag_weeks,
        demand_class,
        model,
        {{ round4('forecast') }} as forecast_qty,
        {{ round4('forecast_lo_80') }} as forecast_lo_80,
        {{ round4('forecast_hi_80') }} as forecast_hi_80,
        {{ round4('forecast_lo_95') }} as forecast_lo_95,
        {{ round4('forecast_hi_95') }} as forecast_hi_95,
        {{ round4('seasonal_naive') }} as seasonal_naive_qty
    from {{ source('forecast', 'demand_forecast') }}

),

actuals as (

    select item_id, site_id, family, week, demand_qty
    from {{ ref('demand_history') }}

)

select
    forecasts.item_id,
    forecasts.site_id,
    actuals.family,
    forecasts.week,
    forecasts.lag_weeks,
    forecasts.cutoff,
    forecasts.demand_class,
    forecasts.model,
    actuals.demand_qty as actual_qty,
    forecasts.forecast_qty,
    forecasts.forecast_qty - actuals.demand_qty as error_qty,
    abs(forecasts.forecast_qty - actuals.demand_qty) as abs_error_qty,
    forecasts.seasonal_naive_qty,
    forecasts.seasonal_naive_qty - actuals.demand_qty as seasonal_naive_error_qty,
    abs(forecasts.seasonal_naive_qty - actuals.demand_qty) as seasonal_naive_abs_error_qty,
    actuals.demand_qty between forecasts.forecast_lo_80 and forecasts.forecast_hi_80
        as is_within_80,
    actuals.demand_qty between forecasts.forecast_lo_95 and forecasts.forecast_hi_95
        as is_within_95

from forecasts
inner join actuals
    on forecasts.item_id = actuals.item_id
    and forecasts.site_id = actuals.site_id
    and forecasts.week = actuals.week
