{#
    The demand side of the cycle, family x site x month (int_sop_months: history and
    the 18-month horizon). Families come from the item master ('unassigned' when
    missing, as demand_history).
    - actual_orders_qty / _value_cc: ordered quantity and value of sales lines by the
      month of their order date, customer cancellations removed (the demand_history
      rule); history months only, NULL before the first month of the order history.
      actual_shipments_qty: quantity shipped (deliveries) by month of shipment.
    - statistical_forecast_qty (horizon months): forecast.demand_forecast_monthly from
      the latest cutoff up to the cycle's forecast cutoff whose snapshot holds the
      month (month 0 usually comes from a cutoff of the month before); its cutoff in
      forecast_cutoff.
    - override_qty: the planners' adjustment for the cycle (stg_plan_overrides). It is a
      DELTA added to the statistical forecast, as the extract is written (planners key
      +/- units, docs/extracts.md, the simulator's plan_overrides).
    - consensus_qty = max(statistical forecast + override, 0) on horizon months.
    - forecast_lag1_qty / forecast_lag3_qty (history months): the statistical forecast
      of the month made 1 / 3 months before (lag_months = 1 / 3, latest such cutoff
      up to the cycle's forecast cutoff), for accuracy and bias.
#}
with

cycle as (

    select * from {{ ref('int_sop_cycle') }}

),

months as (

    select * from {{ ref('int_sop_months') }}

),

items as (

    select item_id, {{ item_family('family') }} as family
    from {{ ref('stg_items') }}

),

order_lines as (

    select
        {{ item_family('items.family') }} as family,
        lines.site_id,
        cast(date_trunc('month', lines.order_date) as date) as month,
        lines.qty_ordered,
        lines.ordered_value_cc
    from {{ ref('int_sales_order_lines') }} as lines
    left join items
        on lines.item_id = items.item_id
    where not lines.is_customer_cancelled

),

order_history_start as (

    select min(month) as first_month from order_lines

),

orders as (

    select
        order_lines.family,
        order_lines.site_id,
        order_lines.month,
        sum(order_lines.qty_ordered) as actual_orders_qty,
        sum(order_lines.ordered_value_cc) as actual_orders_value_cc
    from order_lines
    cross join cycle
    where order_lines.month >= cycle.first_month
      and order_lines.month < cycle.cycle
    group by all

),

shipments as (

    select
        {{ item_family('items.family') }} as family,
        deliveries.site_id,
        cast(date_trunc('month', deliveries.shipped_on) as date) as month,
        sum(deliveries.qty_shipped) as actual_shipments_qty
    from {{ ref('stg_deliveries') }} as deliveries
    cross join cycle
    left join items
        on deliveries.item_id = items.item_id
    where deliveries.shipped_on >= cycle.first_month
      and deliveries.shipped_on < cycle.cycle
    group by all

),

snapshots as (

    select snapshots.*
    from {{ forecast_snapshots('demand_forecast_monthly') }} as snapshots
    cross join cycle
    where snapshots.cutoff <= cycle.forecast_cutoff
      and snapshots.month >= cycle.first_month
      and snapshots.month <= cycle.last_month

),

statistical as (

    select family, site_id, month, cutoff, forecast
    from (
        select
            snapshots.*,
            row_number() over (
                partition by snapshots.family, snapshots.site_id, snapshots.month
                order by snapshots.cutoff desc
            ) as recency
        from snapshots
        cross join cycle
        where snapshots.month >= cycle.cycle
    ) as ranked
    where recency = 1

),

lagged as (

    select
        family,
        site_id,
        month,
        max(case when lag_months = 1 then forecast end) as forecast_lag1,
        max(case when lag_months = 3 then forecast end) as forecast_lag3
    from (
        select
            snapshots.*,
            row_number() over (
                partition by snapshots.family, snapshots.site_id, snapshots.month, snapshots.lag_months
                order by snapshots.cutoff desc
            ) as recency
        from snapshots
        cross join cycle
        where snapshots.month < cycle.cycle
          and snapshots.lag_months in (1, 3)
    ) as ranked
    where recency = 1
    group by family, site_id, month

),

overrides as (

    select
        overrides.family,
        overrides.site_id,
        overrides.month,
        overrides.qty as override_qty,
        overrides.reason as override_reason
    from {{ ref('stg_plan_overrides') }} as overrides
    inner join cycle
        on overrides.cycle = cycle.cycle
    where overrides.month between cycle.cycle and cycle.last_month

),

pairs as (

    select family, site_id from orders
    union
    select family, site_id from statistical
    union
    select family, site_id from lagged
    union
    select family, site_id from overrides

),

grid as (

    select
        months.cycle,
        pairs.family,
        pairs.site_id,
        months.month,
        months.months_from_cycle,
        months.zone,
        months.days_in_month
    from pairs
    cross join months

)

select
    grid.cycle,
    cast(grid.family as varchar) as family,
    cast(grid.site_id as varchar) as site_id,
    grid.month,
    grid.months_from_cycle,
    grid.zone,
    grid.days_in_month,
    case when grid.zone = 'history' and grid.month >= order_history_start.first_month
        then cast(coalesce(orders.actual_orders_qty, 0) as decimal(18, 4)) end as actual_orders_qty,
    case when grid.zone = 'history' and grid.month >= order_history_start.first_month
        then cast(coalesce(orders.actual_orders_value_cc, 0) as decimal(18, 4)) end as actual_orders_value_cc,
    case when grid.zone = 'history' and grid.month >= order_history_start.first_month
        then cast(coalesce(shipments.actual_shipments_qty, 0) as decimal(18, 4)) end as actual_shipments_qty,
    statistical.cutoff as forecast_cutoff,
    case when grid.zone <> 'history'
        then {{ round4('coalesce(greatest(statistical.forecast, 0), 0)') }} end as statistical_forecast_qty,
    cast(overrides.override_qty as decimal(18, 4)) as override_qty,
    cast(overrides.override_reason as varchar) as override_reason,
    case when grid.zone <> 'history'
        then greatest(
            {{ round4('coalesce(greatest(statistical.forecast, 0), 0)') }} + coalesce(overrides.override_qty, 0),
            0) end as consensus_qty,
    {{ round4('case when lagged.forecast_lag1 > 0 then lagged.forecast_lag1 when lagged.forecast_lag1 is not null then 0 end') }} as forecast_lag1_qty,
    {{ round4('case when lagged.forecast_lag3 > 0 then lagged.forecast_lag3 when lagged.forecast_lag3 is not null then 0 end') }} as forecast_lag3_qty

from grid
cross join order_history_start
left join orders
    on grid.family = orders.family
    and grid.site_id = orders.site_id
    and grid.month = orders.month
left join shipments
    on grid.family = shipments.family
    and grid.site_id = shipments.site_id
    and grid.month = shipments.month
left join statistical
    on grid.family = statistical.family
    and grid.site_id = statistical.site_id
    and grid.month = statistical.month
left join lagged
    on grid.family = lagged.family
    and grid.site_id = lagged.site_id
    and grid.month = lagged.month
left join overrides
    on grid.family = overrides.family
    and grid.site_id = overrides.site_id
    and grid.month = overrides.month
