{#
    Forecast accuracy at lag: item x site x week x lag (1..26 weeks), the actual orders
    of the week and the forecast made lag weeks before (int_forecast_accuracy).
#}
select
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(family as varchar) as family,
    cast(week as date) as week,
    cast(lag_weeks as integer) as lag_weeks,
    cast(cutoff as date) as cutoff,
    cast(demand_class as varchar) as demand_class,
    cast(model as varchar) as model,
    cast(actual_qty as decimal(18, 4)) as actual_qty,
    cast(forecast_qty as decimal(18, 4)) as forecast_qty,
    cast(error_qty as decimal(18, 4)) as error_qty,
    cast(abs_error_qty as decimal(18, 4)) as abs_error_qty,
    cast(seasonal_naive_qty as decimal(18, 4)) as seasonal_naive_qty,
    cast(seasonal_naive_error_qty as decimal(18, 4)) as seasonal_naive_error_qty,
    cast(seasonal_naive_abs_error_qty as decimal(18, 4)) as seasonal_naive_abs_error_qty,
    cast(is_within_80 as boolean) as is_within_80,
    cast(is_within_95 as boolean) as is_within_95

from {{ ref('int_forecast_accuracy') }}
