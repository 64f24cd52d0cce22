{#
    Projected stock of every family x site of the plan, month by month over the
    horizon:  closing = opening + supply - demand;  opening of month m+1 = closing of
    month m.
    - opening of month 0 = on hand at the end of cycle_as_of (int_inventory_daily,
      the family's items at the site; the current on hand for the current cycle).
    - demand = consensus (int_sop_demand); month 0 counts only the days of the month
      after cycle_as_of (consensus x days left / days in month, 4 decimals).
    - supply = total supply of int_sop_supply.
    - target = the safety stock of inventory_policy summed over the family's items at
      the site; max = their order-up-to levels summed.
    - days of supply = max(closing, 0) / the next month's demand per day (the month's
      own for the last month); NULL when that demand is 0.
    Values = quantity x the family's standard cost (int_sop_family_values), each
    rounded to 4 decimals. Closing may go negative: a projected shortage.
#}
with

cycle as (

    select * from {{ ref('int_sop_cycle') }}

),

supply as (

    select * from {{ ref('int_sop_supply') }}

),

demand as (

    select * from {{ ref('int_sop_demand') }}
    where zone <> 'history'

),

items as (

    select item_id, {{ item_family('family') }} as family
    from {{ ref('stg_items') }}

),

on_hand as (

    select items.family, daily.site_id, sum(daily.qty_on_hand) as qty_on_hand
    from {{ ref('int_inventory_daily') }} as daily
    cross join cycle
    inner join items
        on daily.item_id = items.item_id
    where daily.date_day = cycle.cycle_as_of
    group by items.family, daily.site_id

),

policy as (

    select
        family,
        site_id,
        sum(safety_stock_qty) as target_qty,
        sum(order_up_to_qty) as max_qty
    from {{ ref('inventory_policy') }}
    group by family, site_id

),

flows as (

    select
        demand.cycle,
        demand.family,
        demand.site_id,
        demand.month,
        demand.months_from_cycle,
        demand.zone,
        demand.days_in_month,
        coalesce(on_hand.qty_on_hand, 0) as opening_qty_month_zero,
        supply.total_supply_qty as supply_qty,
        case
            when demand.months_from_cycle = 0
                then cast({{ ratio('demand.consensus_qty * cycle.month_zero_days_left', 'cycle.days_in_cycle_month', 4) }} as decimal(18, 4))
            else demand.consensus_qty
        end as demand_qty
    from demand
    cross join cycle
    inner join supply
        on demand.family = supply.family
        and demand.site_id = supply.site_id
        and demand.month = supply.month
    left join on_hand
        on demand.family = on_hand.family
        and demand.site_id = on_hand.site_id

),

running as (

    select
        flows.*,
        opening_qty_month_zero + sum(supply_qty - demand_qty) over (
            partition by family, site_id order by month
            rows between unbounded preceding and current row) as closing_qty,
        lead(demand_qty) over (partition by family, site_id order by month) as next_demand_qty,
        lead(days_in_month) over (partition by family, site_id order by month) as next_days_in_month
    from flows

),

projected as (

    select
        running.*,
        closing_qty - supply_qty + demand_qty as opening_qty,
        coalesce(next_demand_qty, demand_qty) as cover_demand_qty,
        coalesce(next_days_in_month, days_in_month) as cover_days
    from running

)

select
    projected.cycle,
    cast(projected.family as varchar) as family,
    cast(projected.site_id as varchar) as site_id,
    projected.month,
    projected.months_from_cycle,
    projected.zone,
    cast(projected.opening_qty as decimal(18, 4)) as opening_qty,
    cast(projected.supply_qty as decimal(18, 4)) as supply_qty,
    cast(projected.demand_qty as decimal(18, 4)) as demand_qty,
    cast(projected.closing_qty as decimal(18, 4)) as closing_qty,
    cast(coalesce(policy.target_qty, 0) as decimal(18, 4)) as target_qty,
    cast(policy.max_qty as decimal(18, 4)) as max_qty,
    cast({{ ratio('greatest(projected.closing_qty, 0) * projected.cover_days', 'projected.cover_demand_qty', 2) }} as decimal(18, 2)) as projected_days_of_supply,
    cast(projected.closing_qty < coalesce(policy.target_qty, 0) as boolean) as is_below_target,
    cast(coalesce(projected.closing_qty > policy.max_qty, false) as boolean) as is_above_max,
    values.standard_cost_cc,
    cast({{ money_product('projected.opening_qty', 'values.standard_cost_cc') }} as decimal(18, 4)) as opening_value_cc,
    cast({{ money_product('projected.supply_qty', 'values.standard_cost_cc') }} as decimal(18, 4)) as supply_value_cc,
    cast({{ money_product('projected.demand_qty', 'values.standard_cost_cc') }} as decimal(18, 4)) as demand_value_cc,
    cast({{ money_product('projected.closing_qty', 'values.standard_cost_cc') }} as decimal(18, 4)) as closing_value_cc,
    cast({{ money_product('coalesce(policy.target_qty, 0)', 'values.standard_cost_cc') }} as decimal(18, 4)) as target_value_cc

from projected
left join policy
    on projected.family = policy.family
    and projected.site_id = policy.site_id
left join {{ ref('int_sop_family_values') }} as values
    on projected.family = values.family
    and projected.site_id = values.site_id
