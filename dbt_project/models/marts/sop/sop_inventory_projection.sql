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
    Projected stock of the cycle, family x site x horizon month: opening + supply -
    demand = closing, opening of month 0 = on hand, target (safety stock), max
    (order-up-to), days of supply, below-target and above-max flags, values at
    standard cost (int_sop_inventory_projection). Append-only by cycle.
#}
select
    cast(cycle as date) as cycle,
    cast(family as varchar) as family,
    cast(site_id as varchar) as site_id,
    cast(month as date) as month,
    cast(months_from_cycle as integer) as months_from_cycle,
    cast(zone as varchar) as zone,
    cast(opening_qty as decimal(18, 4)) as opening_qty,
    cast(supply_qty as decimal(18, 4)) as supply_qty,
    cast(demand_qty as decimal(18, 4)) as demand_qty,
    cast(closing_qty as decimal(18, 4)) as closing_qty,
    cast(target_qty as decimal(18, 4)) as target_qty,
    cast(max_qty as decimal(18, 4)) as max_qty,
    cast(projected_days_of_supply as decimal(18, 2)) as projected_days_of_supply,
    cast(is_below_target as boolean) as is_below_target,
    cast(is_above_max as boolean) as is_above_max,
    cast(standard_cost_cc as decimal(18, 4)) as standard_cost_cc,
    cast(opening_value_cc as decimal(18, 4)) as opening_value_cc,
    cast(supply_value_cc as decimal(18, 4)) as supply_value_cc,
    cast(demand_value_cc as decimal(18, 4)) as demand_value_cc,
    cast(closing_value_cc as decimal(18, 4)) as closing_value_cc,
    cast(target_value_cc as decimal(18, 4)) as target_value_cc

from {{ ref('int_sop_inventory_projection') }}
