{#
    Cumulative availability of every item x site: one row for the as-of date (stock
    available now plus supply due by then) and one per later date with scheduled
    receipts. available now = on hand - allocated - blocked of the latest inventory
    snapshot on or before the as-of date (a missing snapshot counts as 0).
    cumulative_available_qty = available now + all scheduled receipts available on or
    before the date. The earliest date N units are available is the first row with
    cumulative_available_qty >= N. Open sales demand not yet allocated is not
    deducted (the snapshot's allocation is).
#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

latest_snapshot as (

    select *
    from (
        select
            snapshots.*,
            row_number() over (
                partition by snapshots.item_id, snapshots.site_id
                order by snapshots.snapshot_date desc
            ) as recency
        from {{ ref('stg_inventory_snapshots') }} as snapshots
        cross join as_of
        where snapshots.snapshot_date <= as_of.as_of_date
    ) as ranked
    where recency = 1

),

keys as (

    select item_id, site_id from latest_snapshot
    union
    select item_id, site_id from {{ ref('int_scheduled_receipts') }}

),

stock as (

    select
        keys.item_id,
        keys.site_id,
        latest_snapshot.snapshot_date,
        coalesce(latest_snapshot.qty_on_hand, 0) as qty_on_hand,
        coalesce(latest_snapshot.qty_allocated, 0) as qty_allocated,
        coalesce(latest_snapshot.qty_blocked, 0) as qty_blocked,
        coalesce(latest_snapshot.qty_on_hand, 0) - coalesce(latest_snapshot.qty_allocated, 0)
            - coalesce(latest_snapshot.qty_blocked, 0) as qty_available_now
    from keys
    left join latest_snapshot
        on keys.item_id = latest_snapshot.item_id
        and keys.site_id = latest_snapshot.site_id

),

receipts_by_day as (

    select
        item_id,
        site_id,
        available_on,
        sum(qty_open) as qty_receipts,
        count(*) as receipt_count
    from {{ ref('int_scheduled_receipts') }}
    group by item_id, site_id, available_on

),

dates as (

    select stock.item_id, stock.site_id, as_of.as_of_date as available_on
    from stock
    cross join as_of
    where as_of.as_of_date is not null
    union
    select item_id, site_id, available_on
    from receipts_by_day

)

select
    dates.item_id,
    dates.site_id,
    dates.available_on,
    stock.qty_available_now,
    cast(coalesce(receipts_by_day.qty_receipts, 0) as decimal(18, 4)) as qty_receipts,
    cast(coalesce(receipts_by_day.receipt_count, 0) as bigint) as receipt_count,
    cast(stock.qty_available_now + sum(coalesce(receipts_by_day.qty_receipts, 0)) over (
        partition by dates.item_id, dates.site_id order by dates.available_on
        rows between unbounded preceding and current row) as decimal(18, 4)) as cumulative_available_qty

from dates
inner join stock
    on dates.item_id = stock.item_id
    and dates.site_id = stock.site_id
left join receipts_by_day
    on dates.item_id = receipts_by_day.item_id
    and dates.site_id = receipts_by_day.site_id
    and dates.available_on = receipts_by_day.available_on
