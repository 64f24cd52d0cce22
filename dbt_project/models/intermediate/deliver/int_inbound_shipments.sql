{#
    Inbound shipments (a supplier's consignment to one of our sites), one row per
    current inbound shipment. The TMS books a consignment under the receiving site
    (origin_site_id) and names the supplier's country only as the location of its
    PICKED_UP event ("Supplier, <country>"): supplier_country is read from there.

    Once delivered, the goods-receipt document it brought (one consignment per receipt
    document, a PO x day). The TMS carries no receipt id, so they are matched on what
    both sides know: the receiving site, the delivery date = the receipt date, the
    supplier's country and the gross weight (sum of qty received x the item's unit
    weight, reversed typos netted out, 3 decimals); identical candidates on that key
    are paired in id order, so the match is one to one. units_received = the
    document's quantity received (rejects included: they travelled).
#}
with

receipt_documents as (

    select
        receipts.receipt_id,
        any_value(receipts.site_id) as site_id,
        min(receipts.received_on) as received_on,
        any_value(po.supplier_id) as supplier_id,
        any_value(suppliers.country) as supplier_country,
        sum(case when receipts.movement = 'reversal' then -receipts.qty_received else receipts.qty_received end) as units_received,
        round(sum(
            case when receipts.movement = 'reversal' then -receipts.qty_received else receipts.qty_received end
            * items.unit_weight_kg), 3) as gross_weight_kg
    from {{ ref('stg_goods_receipts') }} as receipts
    inner join {{ ref('stg_purchase_order_lines') }} as po
        on receipts.po_id = po.po_id
        and receipts.po_line = po.po_line
    left join {{ ref('stg_partners') }} as suppliers
        on po.supplier_id = suppliers.partner_id
    left join {{ ref('stg_items') }} as items
        on receipts.item_id = items.item_id
    where receipts.movement in ('receipt', 'reversal')
    group by receipts.receipt_id

),

inbound as (

    select
        shipments.shipment_id,
        shipments.origin_site_id as site_id,
        shipments.actual_delivery,
        round(shipments.gross_weight_kg, 3) as gross_weight_kg,
        nullif(trim(regexp_extract(pickup.location, '^Supplier,(.*)$', 1)), '') as supplier_country
    from {{ ref('stg_shipments') }} as shipments
    left join {{ ref('stg_shipment_events') }} as pickup
        on shipments.shipment_id = pickup.shipment_id
        and pickup.event_code = 'PICKED_UP'
    where shipments.direction = 'inbound'

),

ranked_documents as (

    select
        *,
        row_number() over (
            partition by site_id, received_on, supplier_country, gross_weight_kg
            order by receipt_id) as pair_rank
    from receipt_documents

),

ranked_shipments as (

    select
        *,
        row_number() over (
            partition by site_id, actual_delivery, supplier_country, gross_weight_kg
            order by shipment_id) as pair_rank
    from inbound

)

select
    ranked_shipments.shipment_id,
    ranked_shipments.site_id,
    ranked_shipments.supplier_country,
    ranked_documents.receipt_id,
    ranked_documents.supplier_id,
    cast(ranked_documents.units_received as decimal(18, 4)) as units_received

from ranked_shipments
left join ranked_documents
    on ranked_shipments.site_id = ranked_documents.site_id
    and ranked_shipments.actual_delivery = ranked_documents.received_on
    and ranked_shipments.supplier_country = ranked_documents.supplier_country
    and ranked_shipments.gross_weight_kg = ranked_documents.gross_weight_kg
    and ranked_shipments.pair_rank = ranked_documents.pair_rank
