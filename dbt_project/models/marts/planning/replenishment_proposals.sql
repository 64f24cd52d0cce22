{#
    What to order, when and from whom: one row per item x site whose projected
    available stock (int_replenishment_projection) falls below its reorder point
    (inventory_policy) within its lead time (projection dates up to as-of + ceil(lead
    time days)). docs/planning.md has the rules:
    - reorder_point_date: the first projection date below the reorder point;
      safety_stock_breach_date: the first projection date below the safety stock;
      shortage_date: the first projection date below zero (26 weeks; NULL when none) -
      the stock-out the order prevents;
    - order_by_date = safety-stock breach date - lead time (an order placed then
      arrives as the projection reaches the safety stock; ordering at the stock-out
      date - lead time would spend the whole safety stock), or the reorder-point date
      when the safety stock is not breached within the 26 weeks; never before the
      as-of date;
    - inventory position at the order-by date = available now + every open scheduled
      receipt - forecast demand of the weeks before the order-by date's week;
    - suggested qty = order-up-to - inventory position, rounded up to a whole unit and
      to the minimum order quantity (the larger of item_sites.min_order_qty and the
      preferred supplier's min_qty). When the position already reaches the
      order-up-to level the open supply is too late: action 'expedite', qty 0.
    - preferred supplier: rank 1 of int_supplier_offers (price x reliability score);
      made items have none.
#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

policy as (

    select
        policy.*,
        cast(ceil(policy.lead_time_mean_days) as integer) as lead_time_days,
        item_sites.min_order_qty
    from {{ ref('inventory_policy') }} as policy
    inner join {{ ref('stg_item_sites') }} as item_sites
        on policy.item_id = item_sites.item_id
        and policy.site_id = item_sites.site_id
    where policy.reorder_point_qty is not null

),

projection as (

    select * from {{ ref('int_replenishment_projection') }}

),

open_supply as (

    select item_id, site_id, sum(qty_open) as qty_scheduled_receipts
    from {{ ref('int_scheduled_receipts') }}
    group by item_id, site_id

),

signals as (

    select
        policy.item_id,
        policy.site_id,
        any_value(projection.qty_available_now) as qty_available_now,
        min(case
            when projection.projected_available_qty < policy.reorder_point_qty
                and projection.projection_date <= as_of.as_of_date + policy.lead_time_days
                then projection.projection_date
        end) as reorder_point_date,
        min(case when projection.projected_available_qty < policy.safety_stock_qty
            then projection.projection_date end) as safety_stock_breach_date,
        min(case when projection.projected_available_qty < 0 then projection.projection_date end) as shortage_date
    from policy
    cross join as_of
    inner join projection
        on policy.item_id = projection.item_id
        and policy.site_id = projection.site_id
    group by policy.item_id, policy.site_id

),

triggered as (

    select
        policy.*,
        signals.qty_available_now,
        signals.reorder_point_date,
        signals.safety_stock_breach_date,
        signals.shortage_date,
        greatest(
            as_of.as_of_date,
            coalesce(signals.safety_stock_breach_date - policy.lead_time_days, signals.reorder_point_date)
        ) as order_by_date,
        coalesce(open_supply.qty_scheduled_receipts, 0) as qty_scheduled_receipts
    from policy
    cross join as_of
    inner join signals
        on policy.item_id = signals.item_id
        and policy.site_id = signals.site_id
    left join open_supply
        on policy.item_id = open_supply.item_id
        and policy.site_id = open_supply.site_id
    where signals.reorder_point_date is not null

),

demand_before_order_by as (

    select
        triggered.item_id,
        triggered.site_id,
        sum(projection.demand_qty) as demand_qty
    from triggered
    inner join projection
        on triggered.item_id = projection.item_id
        and triggered.site_id = projection.site_id
        and projection.week < cast(date_trunc('week', triggered.order_by_date) as date)
    group by triggered.item_id, triggered.site_id

),

positioned as (

    select
        triggered.*,
        triggered.qty_available_now + triggered.qty_scheduled_receipts
            - coalesce(demand_before_order_by.demand_qty, 0) as inventory_position_qty
    from triggered
    left join demand_before_order_by
        on triggered.item_id = demand_before_order_by.item_id
        and triggered.site_id = demand_before_order_by.site_id

),

suppliers as (

    select * from {{ ref('int_supplier_offers') }}
    where supplier_rank = 1

),

sized as (

    select
        positioned.*,
        positioned.order_up_to_qty - positioned.inventory_position_qty as net_requirement_qty,
        suppliers.supplier_id,
        suppliers.unit_price,
        suppliers.currency,
        suppliers.unit_price_cc,
        suppliers.otd_share,
        suppliers.supplier_score,
        greatest(
            coalesce(positioned.min_order_qty, 0),
            case when positioned.make_or_buy = 'make' then 0 else coalesce(suppliers.min_qty, 0) end
        ) as min_order_qty_applied
    from positioned
    left join suppliers
        on positioned.item_id = suppliers.item_id
        and coalesce(positioned.make_or_buy, 'buy') <> 'make'

),

proposed as (

    select
        sized.*,
        case when net_requirement_qty > 0 then 'order' else 'expedite' end as action,
        case
            when net_requirement_qty > 0 then greatest(ceil(net_requirement_qty), min_order_qty_applied)
            else 0
        end as suggested_qty
    from sized

)

select
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(family as varchar) as family,
    cast(make_or_buy as varchar) as make_or_buy,
    cast(abc_class as varchar) as abc_class,
    cast(action as varchar) as action,
    cast(qty_available_now as decimal(18, 4)) as qty_available_now,
    cast(qty_scheduled_receipts as decimal(18, 4)) as qty_scheduled_receipts,
    cast(inventory_position_qty as decimal(18, 4)) as inventory_position_qty,
    cast(safety_stock_qty as decimal(18, 4)) as safety_stock_qty,
    cast(reorder_point_qty as decimal(18, 4)) as reorder_point_qty,
    cast(order_up_to_qty as decimal(18, 4)) as order_up_to_qty,
    cast(lead_time_days as integer) as lead_time_days,
    cast(reorder_point_date as date) as reorder_point_date,
    cast(safety_stock_breach_date as date) as safety_stock_breach_date,
    cast(shortage_date as date) as shortage_date,
    cast(order_by_date as date) as order_by_date,
    cast(order_by_date + lead_time_days as date) as expected_receipt_date,
    cast(net_requirement_qty as decimal(18, 4)) as net_requirement_qty,
    cast(min_order_qty_applied as decimal(18, 4)) as min_order_qty,
    cast(suggested_qty as decimal(18, 4)) as suggested_qty,
    cast(suggested_qty > net_requirement_qty and net_requirement_qty > 0
        and min_order_qty_applied > ceil(net_requirement_qty) as boolean) as is_rounded_to_min_order_qty,
    cast(supplier_id as varchar) as preferred_supplier_id,
    cast(unit_price as decimal(18, 4)) as unit_price,
    cast(currency as varchar) as currency,
    cast(unit_price_cc as decimal(18, 4)) as unit_price_cc,
    cast(otd_share * 100 as decimal(9, 2)) as supplier_otd_pct,
    cast(supplier_score as decimal(18, 4)) as supplier_score,
    cast({{ money_product('suggested_qty', 'unit_price_cc') }} as decimal(18, 4)) as suggested_value_cc

from proposed
