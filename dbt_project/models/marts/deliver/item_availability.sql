{#
    "When will item Z be available?" - one row per item x site with stock or
    scheduled supply: on hand, allocated, blocked and available now (latest inventory
    snapshot on or before the as-of date), scheduled receipts (open PO lines at their
    latest confirmed date, else need date; open production orders at planned finish;
    overdue supply counted on the as-of date), and the earliest date each threshold of
    var availability_thresholds units is available (NULL when the scheduled supply
    never reaches it). For any other N, query item_availability_timeline.
#}
{%- set thresholds = var('availability_thresholds') %}
with

timeline as (

    select * from {{ ref('int_item_availability_timeline') }}

),

receipts as (

    select
        item_id,
        site_id,
        sum(qty_open) as qty_scheduled,
        sum(case when supply_type = 'purchase_order' then qty_open else 0 end) as qty_scheduled_purchase,
        sum(case when supply_type = 'production_order' then qty_open else 0 end) as qty_scheduled_production,
        sum(case when not is_confirmed then qty_open else 0 end) as qty_scheduled_unconfirmed,
        sum(case when is_overdue then qty_open else 0 end) as qty_scheduled_overdue,
        min(available_on) as next_receipt_date
    from {{ ref('int_scheduled_receipts') }}
    group by item_id, site_id

),

per_key as (

    select
        item_id,
        site_id,
        any_value(qty_available_now) as qty_available_now,
        {%- for n in thresholds %}
        min(case when cumulative_available_qty >= {{ n }} then available_on end) as earliest_date_{{ n }}_units{{ "," if not loop.last }}
        {%- endfor %}
    from timeline
    group by item_id, site_id

),

stock as (

    select *
    from (
        select
            snapshots.item_id, snapshots.site_id, snapshots.snapshot_date,
            snapshots.qty_on_hand, snapshots.qty_allocated, snapshots.qty_blocked,
            row_number() over (partition by snapshots.item_id, snapshots.site_id order by snapshots.snapshot_date desc) as recency
        from {{ ref('stg_inventory_snapshots') }} as snapshots
        where snapshots.snapshot_date <= {{ as_of_date() }}
    ) as ranked
    where recency = 1

)

select
    cast(per_key.item_id as varchar) as item_id,
    cast(per_key.site_id as varchar) as site_id,
    cast({{ as_of_date() }} as date) as as_of_date,
    cast(stock.snapshot_date as date) as snapshot_date,
    cast(coalesce(stock.qty_on_hand, 0) as decimal(18, 4)) as qty_on_hand,
    cast(coalesce(stock.qty_allocated, 0) as decimal(18, 4)) as qty_allocated,
    cast(coalesce(stock.qty_blocked, 0) as decimal(18, 4)) as qty_blocked,
    cast(per_key.qty_available_now as decimal(18, 4)) as qty_available_now,
    cast(coalesce(receipts.qty_scheduled, 0) as decimal(18, 4)) as qty_scheduled_receipts,
    cast(coalesce(receipts.qty_scheduled_purchase, 0) as decimal(18, 4)) as qty_scheduled_purchase,
    cast(coalesce(receipts.qty_scheduled_production, 0) as decimal(18, 4)) as qty_scheduled_production,
    cast(coalesce(receipts.qty_scheduled_unconfirmed, 0) as decimal(18, 4)) as qty_scheduled_unconfirmed,
    cast(coalesce(receipts.qty_scheduled_overdue, 0) as decimal(18, 4)) as qty_scheduled_overdue,
    cast(receipts.next_receipt_date as date) as next_receipt_date,
    cast(per_key.qty_available_now + coalesce(receipts.qty_scheduled, 0) as decimal(18, 4)) as qty_available_after_receipts,
    {%- for n in thresholds %}
    cast(per_key.earliest_date_{{ n }}_units as date) as earliest_date_{{ n }}_units{{ "," if not loop.last }}
    {%- endfor %}

from per_key
left join stock
    on per_key.item_id = stock.item_id
    and per_key.site_id = stock.site_id
left join receipts
    on per_key.item_id = receipts.item_id
    and per_key.site_id = receipts.site_id
