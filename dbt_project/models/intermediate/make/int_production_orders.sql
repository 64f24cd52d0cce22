{#
    Current production orders with their schedule outcome, written once. A production
    order's month is the month of its planned finish. Due: planned finish on or before
    the as-of date and not cancelled. On time: due and finished (actual_finish) on or
    before the planned finish; late: due and not finished by then (still unfinished at
    the as-of date counts as late). Cycle time: actual start -> actual finish in days,
    on finished orders. Orders without a work centre are grouped under 'unassigned'.
#}
with

production_orders as (

    select * from {{ ref('stg_production_orders') }}

),

flagged as (

    select
        mo_id,
        item_id,
        site_id,
        coalesce(work_center, 'unassigned') as work_center,
        status,
        planned_start,
        planned_finish,
        actual_start,
        actual_finish,
        qty_planned,
        qty_produced,
        qty_scrapped,
        coalesce(status = 'cancelled', false) as is_cancelled,
        actual_finish is not null as is_finished,
        coalesce(planned_finish <= {{ as_of_date() }}, false)
            and coalesce(status <> 'cancelled', true) as is_due

    from production_orders

)

select
    cast(mo_id as varchar) as mo_id,
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(work_center as varchar) as work_center,
    cast(status as varchar) as status,
    cast(planned_start as date) as planned_start,
    cast(planned_finish as date) as planned_finish,
    cast(actual_start as date) as actual_start,
    cast(actual_finish as date) as actual_finish,
    cast({{ dbt.date_trunc('month', 'planned_finish') }} as date) as month,
    cast(qty_planned as decimal(18, 4)) as qty_planned,
    cast(qty_produced as decimal(18, 4)) as qty_produced,
    cast(qty_scrapped as decimal(18, 4)) as qty_scrapped,
    cast(is_cancelled as boolean) as is_cancelled,
    cast(is_finished as boolean) as is_finished,
    cast(is_due as boolean) as is_due,
    cast(case when is_due then coalesce(actual_finish <= planned_finish, false) end as boolean) as is_on_time,
    cast(case when is_due then not coalesce(actual_finish <= planned_finish, false) end as boolean) as is_late,
    cast({{ dbt.datediff('actual_start', 'actual_finish', 'day') }} as integer) as cycle_time_days

from flagged
