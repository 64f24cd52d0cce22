-- depends_on: {{ ref('dim_site') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='cycle',
        on_schema_change='fail',
        full_refresh=false,
    )
}}
{#
    The S&OP demand plan of the cycle, family x site x month: history months with
    actual orders, shipments and the accuracy of the lag-1 / lag-3 statistical
    forecasts; horizon months with the statistical forecast, the planners' override
    (a delta), the consensus and the change against the last cycle (int_sop_demand).
    Append-only by cycle: a run replaces the rows of its own cycle only
    (delete+insert on cycle). The last cycle's consensus is read from this table:
    the latest earlier cycle present in it.
    - accuracy_lag<k>_pct = max(0, 100 - 100 x |F - A| / A); bias_lag<k>_pct =
      100 x (F - A) / A (positive = over-forecast); NULL when A = 0 or no forecast.
#}
with

demand as (

    select * from {{ ref('int_sop_demand') }}

),

measured as (

    select
        demand.*,
        {{ pct('abs(demand.forecast_lag1_qty - demand.actual_orders_qty)', 'demand.actual_orders_qty') }} as ape_lag1_pct,
        {{ pct('abs(demand.forecast_lag3_qty - demand.actual_orders_qty)', 'demand.actual_orders_qty') }} as ape_lag3_pct
    from demand

),

last_cycle as (

    {% if is_incremental() -%}
    select family, site_id, month, cycle, consensus_qty
    from {{ this }}
    where cycle = (
        select max(cycle)
        from {{ this }}
        where cycle < (select min(cycle) from demand)
    )
    {%- else -%}
    select
        cast(null as varchar) as family,
        cast(null as varchar) as site_id,
        cast(null as date) as month,
        cast(null as date) as cycle,
        cast(null as decimal(18, 4)) as consensus_qty
    where false
    {%- endif %}

)

select
    cast(demand.cycle as date) as cycle,
    cast(demand.family as varchar) as family,
    cast(demand.site_id as varchar) as site_id,
    cast(demand.month as date) as month,
    cast(demand.months_from_cycle as integer) as months_from_cycle,
    cast(demand.zone as varchar) as zone,
    cast(demand.actual_orders_qty as decimal(18, 4)) as actual_orders_qty,
    cast(demand.actual_orders_value_cc as decimal(18, 4)) as actual_orders_value_cc,
    cast(demand.actual_shipments_qty as decimal(18, 4)) as actual_shipments_qty,
    cast(demand.forecast_cutoff as date) as forecast_cutoff,
    cast(demand.statistical_forecast_qty as decimal(18, 4)) as statistical_forecast_qty,
    cast(demand.override_qty as decimal(18, 4)) as override_qty,
    cast(demand.override_reason as varchar) as override_reason,
    cast(demand.consensus_qty as decimal(18, 4)) as consensus_qty,
    cast(last_cycle.cycle as date) as last_cycle,
    cast(last_cycle.consensus_qty as decimal(18, 4)) as last_cycle_consensus_qty,
    cast(demand.consensus_qty - last_cycle.consensus_qty as decimal(18, 4)) as consensus_change_qty,
    cast(demand.forecast_lag1_qty as decimal(18, 4)) as forecast_lag1_qty,
    cast(demand.forecast_lag1_qty - demand.actual_orders_qty as decimal(18, 4)) as forecast_error_lag1_qty,
    cast(case when 100 - demand.ape_lag1_pct < 0 then 0 else 100 - demand.ape_lag1_pct end as decimal(9, 2)) as accuracy_lag1_pct,
    {{ pct('demand.forecast_lag1_qty - demand.actual_orders_qty', 'demand.actual_orders_qty') }} as bias_lag1_pct,
    cast(demand.forecast_lag3_qty as decimal(18, 4)) as forecast_lag3_qty,
    cast(demand.forecast_lag3_qty - demand.actual_orders_qty as decimal(18, 4)) as forecast_error_lag3_qty,
    cast(case when 100 - demand.ape_lag3_pct < 0 then 0 else 100 - demand.ape_lag3_pct end as decimal(9, 2)) as accuracy_lag3_pct,
    {{ pct('demand.forecast_lag3_qty - demand.actual_orders_qty', 'demand.actual_orders_qty') }} as bias_lag3_pct

from measured as demand
left join last_cycle
    on demand.family = last_cycle.family
    and demand.site_id = last_cycle.site_id
    and demand.month = last_cycle.month
    and demand.zone <> 'history'
