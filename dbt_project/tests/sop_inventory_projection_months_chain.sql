{#
    sop_inventory_projection: within a cycle, the opening of every month after the
    first is the closing of the month before, and every family x site has one row per
    horizon month from month 0. Fails with the rows that break the chain.
#}
select
    cycle,
    family,
    site_id,
    month,
    months_from_cycle,
    opening_qty,
    previous_closing_qty,
    previous_month
from (
    select
        *,
        lag(closing_qty) over w as previous_closing_qty,
        lag(month) over w as previous_month,
        row_number() over w - 1 as expected_months_from_cycle
    from {{ ref('sop_inventory_projection') }}
    window w as (partition by cycle, family, site_id order by month)
) as chained
where months_from_cycle <> expected_months_from_cycle
   or (previous_month is not null and (
        opening_qty <> previous_closing_qty
        or month <> cast(previous_month + interval 1 month as date)))
