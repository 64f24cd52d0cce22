{#
    One row: the S&OP cycle being computed (macro sop_cycle(): var sop_cycle, else the
    month of the as-of date) and its as-of date. cycle_as_of = the as-of date, capped
    at the last day of the cycle month, so a past cycle re-run later sees its inputs
    as they stood at the end of its month where the warehouse keeps their history
    (forecast snapshots by cutoff, overrides by cycle, daily stock). A cycle after
    the month of the as-of date is refused.
    - forecast_cutoff: the forecast cutoff of cycle_as_of (Monday of the last complete
      ISO week before it, the rule of macros/planning.sql forecast_cutoff()): the
      newest snapshot the cycle may read.
    - month_zero_days_left / days_in_cycle_month: the days of the cycle month after
      cycle_as_of: month 0 of the inventory projection counts only that share of its
      demand (0 for a past cycle, whose month is over).
#}
with

cycle as (

    select
        {{ sop_cycle() }} as cycle,
        as_of_date
    from {{ ref('int_as_of') }}

),

checked as (

    select
        cycle,
        as_of_date,
        least(as_of_date, last_day(cycle)) as cycle_as_of
    from cycle
    where case
        when cycle > cast(date_trunc('month', as_of_date) as date)
            then error('S&OP cycle ' || cast(cycle as varchar) || ' is after the month of the as-of date '
                || cast(as_of_date as varchar))
        else true
    end

)

select
    cast(cycle as date) as cycle,
    cast(as_of_date as date) as as_of_date,
    cast(cycle_as_of as date) as cycle_as_of,
    cast(date_trunc('week', cycle_as_of) as date) - 7 as forecast_cutoff,
    cast(cycle - interval {{ var('sop_history_months') | int }} month as date) as first_month,
    cast(cycle + interval 17 month as date) as last_month,
    cast({{ dbt.datediff('cycle_as_of', 'last_day(cycle)', 'day') }} as integer) as month_zero_days_left,
    cast({{ dbt.datediff('cycle', 'last_day(cycle)', 'day') }} + 1 as integer) as days_in_cycle_month

from checked
