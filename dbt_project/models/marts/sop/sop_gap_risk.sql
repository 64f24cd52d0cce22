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
    Demand against supply of the cycle, family x site x horizon month, from the
    inventory projection (demand and supply as projected there):
    - gap_qty = demand - supply (positive: the month needs more than arrives);
    - uncovered_demand_qty = max(demand - max(opening, 0) - supply, 0): the part of the
      month's demand that neither the stock carried in nor the month's supply covers
      (a shortfall counted once, in the month it first appears: a negative opening
      carried from an earlier shortfall is not counted again);
    - revenue_at_risk_cc = uncovered demand x the family's average price
      (int_sop_family_values);
    - risk: 'shortage' (uncovered demand), 'below_target' (closing under the safety
      stock target), else 'ok'.
#}
with

projection as (

    select * from {{ ref('int_sop_inventory_projection') }}

),

measured as (

    select
        projection.*,
        projection.demand_qty - projection.supply_qty as gap_qty,
        greatest(projection.demand_qty - greatest(projection.opening_qty, 0) - projection.supply_qty, 0) as uncovered_demand_qty,
        values.average_price_cc
    from projection
    left join {{ ref('int_sop_family_values') }} as values
        on projection.family = values.family
        and projection.site_id = values.site_id

)

select
    cast(cycle as date) as cycle,
    cast(family as varchar) as family,
    cast(site_id as varchar) as site_id,
    cast(month as date) as month,
    cast(months_from_cycle as integer) as months_from_cycle,
    cast(zone as varchar) as zone,
    cast(demand_qty as decimal(18, 4)) as demand_qty,
    cast(supply_qty as decimal(18, 4)) as supply_qty,
    cast(gap_qty as decimal(18, 4)) as gap_qty,
    cast(sum(gap_qty) over (
        partition by family, site_id order by month
        rows between unbounded preceding and current row) as decimal(18, 4)) as cumulative_gap_qty,
    cast(opening_qty as decimal(18, 4)) as opening_qty,
    cast(closing_qty as decimal(18, 4)) as closing_qty,
    cast(uncovered_demand_qty as decimal(18, 4)) as uncovered_demand_qty,
    cast(average_price_cc as decimal(18, 4)) as average_price_cc,
    cast({{ money_product('uncovered_demand_qty', 'average_price_cc') }} as decimal(18, 4)) as revenue_at_risk_cc,
    cast(case
        when uncovered_demand_qty > 0 then 'shortage'
        when is_below_target then 'below_target'
        else 'ok'
    end as varchar) as risk

from measured
