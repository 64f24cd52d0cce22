{#
    The months of the cycle: var sop_history_months (12) of history before the cycle
    month, then the 18-month horizon from the cycle month. zone by months from the
    cycle month: history (< 0), frozen (0-2), slushy (3-5), liquid (6-17).
#}
with

cycle as (

    select * from {{ ref('int_sop_cycle') }}

),

months as (

    select
        cycle.cycle,
        cast(month_start as date) as month
    from cycle
    cross join range(
        cast(cycle.first_month as timestamp),
        cast(cycle.last_month as timestamp) + interval 1 month,
        interval 1 month
    ) as spine(month_start)

)

select
    cycle,
    month,
    cast({{ dbt.datediff('cycle', 'month', 'month') }} as integer) as months_from_cycle,
    case
        when month < cycle then 'history'
        when {{ dbt.datediff('cycle', 'month', 'month') }} <= 2 then 'frozen'
        when {{ dbt.datediff('cycle', 'month', 'month') }} <= 5 then 'slushy'
        else 'liquid'
    end as zone,
    cast(last_day(month) - month + 1 as integer) as days_in_month

from months
