{#
    The weekly forecast snapshot the planning models use: the rows of the latest
    cutoff in forecast.demand_forecast that is not after the forecast cutoff of the
    as-of date (so a run with an earlier CT_AS_OF reads the snapshot of that time).
    One row per item x site x forecast week (lag 1 ... 26).
#}
with

snapshots as (

    select * from {{ forecast_snapshots('demand_forecast') }}

),

latest as (

    select max(cutoff) as cutoff
    from snapshots
    where cutoff <= {{ forecast_cutoff() }}

)

select
    snapshots.cutoff,
    snapshots.item_id,
    snapshots.site_id,
    snapshots.week,
    cast(snapshots.lag_weeks as integer) as lag_weeks,
    cast(greatest(snapshots.forecast, 0) as double) as forecast

from snapshots
inner join latest
    on snapshots.cutoff = latest.cutoff
