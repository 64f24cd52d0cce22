{#
    Production schedule adherence, yield and cycle time by site x work centre x month
    (the month of the planned finish), from int_production_orders: one row per group
    with at least one order that has a planned finish. Schedule adherence = due orders
    finished by their planned finish / due orders. Yield = produced / (produced +
    scrapped) over the finished orders of the month (a scrapped-only order yields 0).
    Cycle time = mean days actual start -> actual finish over finished orders.
#}
with

orders as (

    select *
    from {{ ref('int_production_orders') }}
    where month is not null

),

measures as (

    select
        site_id,
        work_center,
        month,
        sum(case when not is_cancelled then 1 else 0 end) as orders_planned,
        sum(case when is_cancelled then 1 else 0 end) as orders_cancelled,
        sum(case when is_due then 1 else 0 end) as orders_due,
        sum(case when is_on_time then 1 else 0 end) as orders_on_time,
        sum(case when is_late then 1 else 0 end) as orders_late,
        sum(case when is_late and not is_finished then 1 else 0 end) as orders_late_unfinished,
        sum(case when is_finished then 1 else 0 end) as orders_finished,
        sum(case when not is_cancelled then qty_planned else 0 end) as qty_planned,
        sum(case when is_finished then coalesce(qty_produced, 0) else 0 end) as qty_produced,
        sum(case when is_finished then coalesce(qty_scrapped, 0) else 0 end) as qty_scrapped,
        count(cycle_time_days) as orders_with_cycle_time,
        sum(cycle_time_days) as cycle_time_days_sum

    from orders
    group by site_id, work_center, month

)

select
    cast(site_id as varchar) as site_id,
    cast(work_center as varchar) as work_center,
    cast(month as date) as month,
    cast(orders_planned as bigint) as orders_planned,
    cast(orders_cancelled as bigint) as orders_cancelled,
    cast(orders_due as bigint) as orders_due,
    cast(orders_on_time as bigint) as orders_on_time,
    cast(orders_late as bigint) as orders_late,
    cast(orders_late_unfinished as bigint) as orders_late_unfinished,
    cast(orders_finished as bigint) as orders_finished,
    {{ pct('orders_on_time', 'orders_due') }} as schedule_adherence_pct,
    cast(qty_planned as decimal(18, 4)) as qty_planned,
    cast(qty_produced as decimal(18, 4)) as qty_produced,
    cast(qty_scrapped as decimal(18, 4)) as qty_scrapped,
    {{ pct('qty_produced', 'qty_produced + qty_scrapped') }} as yield_pct,
    cast({{ ratio('cycle_time_days_sum', 'orders_with_cycle_time', 4) }} as decimal(18, 4)) as cycle_time_mean_days

from measures
