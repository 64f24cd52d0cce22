{#
    One-step-ahead forecast error of every item x site, from the weekly snapshots kept
    by cutoff: for each snapshot, the forecast of its first week (lag_weeks = 1)
    against the orders of that week (demand_history). Only complete weeks (up to the
    forecast cutoff of the as-of date) in the last var policy_history_weeks (26) are
    used. forecast_error_rmse = sqrt(mean(error^2)); error = forecast - actual (sums
    exact in decimals, so the result does not depend on the thread count).
#}
{%- set weeks = var('policy_history_weeks') | int %}
with

lag_one as (

    select cutoff, item_id, site_id, week, greatest(forecast, 0) as forecast
    from {{ forecast_snapshots('demand_forecast') }}
    where lag_weeks = 1
      and week <= {{ forecast_cutoff() }}
      and week > {{ forecast_cutoff() }} - {{ 7 * weeks }}

),

errors as (

    select
        lag_one.item_id,
        lag_one.site_id,
        lag_one.week,
        cast(lag_one.forecast as decimal(38, 8)) - history.demand_qty as error
    from lag_one
    inner join {{ ref('demand_history') }} as history
        on lag_one.item_id = history.item_id
        and lag_one.site_id = history.site_id
        and lag_one.week = history.week

)

select
    item_id,
    site_id,
    cast(count(*) as integer) as forecast_errors,
    {{ root_mean_square('error') }} as forecast_error_rmse,
    cast(sum(error) as double) / count(*) as forecast_error_mean

from errors
group by item_id, site_id
