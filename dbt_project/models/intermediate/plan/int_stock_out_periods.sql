{#
    Stock-out periods of every item x site: consecutive days with on hand <= 0 at the
    end of the day (int_inventory_daily), one row per period. A period still running
    on the as-of date has stock_out_end = the as-of date and is_open = true.
#}
with

flagged as (

    select
        item_id,
        site_id,
        date_day,
        qty_on_hand <= 0 as is_stock_out,
        row_number() over (partition by item_id, site_id order by date_day)
            - row_number() over (partition by item_id, site_id, qty_on_hand <= 0 order by date_day) as island
    from {{ ref('int_inventory_daily') }}

)

select
    item_id,
    site_id,
    min(date_day) as stock_out_start,
    max(date_day) as stock_out_end,
    count(*) as stock_out_days,
    max(date_day) = {{ as_of_date() }} as is_open

from flagged
where is_stock_out
group by item_id, site_id, island
