{#
    How each item x site is replenished, one row per item x site known to the item
    master or seen receiving a transfer:
    - transfer: the site receives the item by transfer (a transfer_in movement of a
      transfer order): source_site_id is the site that sends it (most transfers, then
      the lowest id) and transfer_days the shortest transfer_out -> transfer_in seen
      on that lane (the planned lane time; a longer one waited somewhere);
    - make: produced at the site (item_sites.make_or_buy = make);
    - buy: anything else, bought from suppliers.
    A site both making and receiving transfers of an item counts as make.
#}
with

item_sites as (

    select item_id, site_id, make_or_buy
    from {{ ref('stg_item_sites') }}

),

movements as (

    select item_id, site_id, movement_type, ref_doc_id, posted_on
    from {{ ref('stg_inventory_movements') }}
    where ref_doc_type = 'transfer_order'
      and movement_type in ('transfer_out', 'transfer_in')

),

transfers as (

    select
        received.item_id,
        received.site_id,
        sent.site_id as source_site_id,
        {{ dbt.datediff('sent.posted_on', 'received.posted_on', 'day') }} as transfer_days
    from movements as received
    inner join movements as sent
        on received.ref_doc_id = sent.ref_doc_id
        and received.item_id = sent.item_id
        and sent.movement_type = 'transfer_out'
    where received.movement_type = 'transfer_in'

),

lanes as (

    select
        item_id,
        site_id,
        source_site_id,
        count(*) as transfer_count,
        min(transfer_days) as transfer_days
    from transfers
    group by item_id, site_id, source_site_id

),

main_lane as (

    select
        item_id,
        site_id,
        arg_max(source_site_id, (transfer_count, -transfer_days, source_site_id)) as source_site_id,
        arg_max(transfer_days, (transfer_count, -transfer_days, source_site_id)) as transfer_days
    from lanes
    group by item_id, site_id

),

keys as (

    select item_id, site_id from item_sites
    union
    select item_id, site_id from main_lane

)

select
    keys.item_id,
    keys.site_id,
    case
        when item_sites.make_or_buy = 'make' then 'make'
        when main_lane.source_site_id is not null then 'transfer'
        else 'buy'
    end as supply_type,
    case
        when item_sites.make_or_buy = 'make' then keys.site_id
        when main_lane.source_site_id is not null then main_lane.source_site_id
    end as source_site_id,
    cast(case
        when item_sites.make_or_buy = 'make' then 0
        when main_lane.source_site_id is not null then main_lane.transfer_days
    end as integer) as transfer_days

from keys
left join item_sites
    on keys.item_id = item_sites.item_id
    and keys.site_id = item_sites.site_id
left join main_lane
    on keys.item_id = main_lane.item_id
    and keys.site_id = main_lane.site_id
