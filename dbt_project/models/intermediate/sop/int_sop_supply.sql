{#
    The supply side of the cycle, family x site x horizon month, for the family x site
    pairs of the demand plan (int_sop_demand: families with independent demand;
    components and raw materials are left to MRP):
    - planned receipts: open PO lines (int_scheduled_receipts) in the month of their
      expected date - the latest confirmed date, else the need date (unconfirmed part
      in unconfirmed_receipts_qty); overdue lines count on the as-of date.
    - planned production: open production orders (planned, released, in progress)
      in the month of their planned finish (overdue: the as-of date).
    - A past cycle (cycle_as_of before the as-of date) cannot see the order book as it
      stood then: its supply adds the receipts and production posted after
      cycle_as_of (stock movements receipt / production_in, in their posting month;
      posted_after_cycle_qty). For the current cycle that part is empty.
    - Capacity view (made families): demonstrated_capacity_qty = the largest monthly
      output (qty_produced of production orders by actual finish month) of the family
      at the site in the 12 months before the cycle; production_load_pct = planned
      production / it; demand_load_pct = consensus demand / it.
#}
with

cycle as (

    select * from {{ ref('int_sop_cycle') }}

),

demand as (

    select * from {{ ref('int_sop_demand') }}
    where zone <> 'history'

),

items as (

    select item_id, {{ item_family('family') }} as family
    from {{ ref('stg_items') }}

),

open_supply as (

    select
        items.family,
        receipts.site_id,
        cast(date_trunc('month', receipts.available_on) as date) as month,
        sum(case when receipts.supply_type = 'purchase_order' then receipts.qty_open else 0 end) as receipts_qty,
        sum(case when receipts.supply_type = 'purchase_order' and not receipts.is_confirmed
            then receipts.qty_open else 0 end) as unconfirmed_receipts_qty,
        sum(case when receipts.supply_type = 'production_order' then receipts.qty_open else 0 end) as production_qty
    from {{ ref('int_scheduled_receipts') }} as receipts
    inner join items
        on receipts.item_id = items.item_id
    group by all

),

posted as (

    select
        items.family,
        movements.site_id,
        cast(date_trunc('month', movements.posted_on) as date) as month,
        sum(case when movements.movement_type = 'receipt' then movements.qty else 0 end) as receipts_qty,
        sum(case when movements.movement_type = 'production_in' then movements.qty else 0 end) as production_qty
    from {{ ref('stg_inventory_movements') }} as movements
    cross join cycle
    inner join items
        on movements.item_id = items.item_id
    where movements.movement_type in ('receipt', 'production_in')
      and movements.posted_on > cycle.cycle_as_of
      and movements.posted_on <= cycle.as_of_date
    group by all

),

output as (

    select
        items.family,
        orders.site_id,
        cast(date_trunc('month', orders.actual_finish) as date) as month,
        sum(orders.qty_produced) as produced_qty
    from {{ ref('stg_production_orders') }} as orders
    cross join cycle
    inner join items
        on orders.item_id = items.item_id
    where orders.actual_finish >= cycle.cycle - interval 12 month
      and orders.actual_finish < cycle.cycle
      and orders.qty_produced > 0
    group by all

),

capacity as (

    select family, site_id, max(produced_qty) as demonstrated_capacity_qty
    from output
    group by family, site_id

),

supply as (

    select
        demand.cycle,
        demand.family,
        demand.site_id,
        demand.month,
        demand.months_from_cycle,
        demand.zone,
        demand.consensus_qty,
        coalesce(open_supply.receipts_qty, 0) + coalesce(posted.receipts_qty, 0) as planned_receipts_qty,
        coalesce(open_supply.unconfirmed_receipts_qty, 0) as unconfirmed_receipts_qty,
        coalesce(open_supply.production_qty, 0) + coalesce(posted.production_qty, 0) as planned_production_qty,
        coalesce(posted.receipts_qty, 0) + coalesce(posted.production_qty, 0) as posted_after_cycle_qty,
        capacity.demonstrated_capacity_qty
    from demand
    left join open_supply
        on demand.family = open_supply.family
        and demand.site_id = open_supply.site_id
        and demand.month = open_supply.month
    left join posted
        on demand.family = posted.family
        and demand.site_id = posted.site_id
        and demand.month = posted.month
    left join capacity
        on demand.family = capacity.family
        and demand.site_id = capacity.site_id

)

select
    cycle,
    family,
    site_id,
    month,
    months_from_cycle,
    zone,
    cast(planned_receipts_qty as decimal(18, 4)) as planned_receipts_qty,
    cast(unconfirmed_receipts_qty as decimal(18, 4)) as unconfirmed_receipts_qty,
    cast(planned_production_qty as decimal(18, 4)) as planned_production_qty,
    cast(planned_receipts_qty + planned_production_qty as decimal(18, 4)) as total_supply_qty,
    cast(posted_after_cycle_qty as decimal(18, 4)) as posted_after_cycle_qty,
    cast(demonstrated_capacity_qty as decimal(18, 4)) as demonstrated_capacity_qty,
    {{ pct('planned_production_qty', 'demonstrated_capacity_qty') }} as production_load_pct,
    {{ pct('consensus_qty', 'demonstrated_capacity_qty') }} as demand_load_pct

from supply
