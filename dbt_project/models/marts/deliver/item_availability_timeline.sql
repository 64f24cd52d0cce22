{#
    Cumulative availability per item x site and date (int_item_availability_timeline):
    the earliest date N units of item Z are available at site S is
    min(available_on) where cumulative_available_qty >= N.
#}
select
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(available_on as date) as available_on,
    cast(qty_available_now as decimal(18, 4)) as qty_available_now,
    cast(qty_receipts as decimal(18, 4)) as qty_receipts,
    cast(receipt_count as bigint) as receipt_count,
    cast(cumulative_available_qty as decimal(18, 4)) as cumulative_available_qty

from {{ ref('int_item_availability_timeline') }}
