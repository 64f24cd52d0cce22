{#
    Root cause of a sales order line missing its deadline, with the evidence. One row
    per line whose deadline is on or before the as-of date and that the customer did
    not cancel; the marts keep the counted lines that are not OTIF. The first rule that
    holds wins:

    1. the line waited for stock at its site (int_sales_order_line_stock_waits, from
       first_stock_out_date on):
       supplier_late   - a bought item: a PO line of the item x site (not cancelled)
                         due (deadline: first confirmed date, else need date) on or
                         before that day and not received by then (first receipt
                         later, or none yet). Evidence: the earliest due such line
                         (then the lowest po_id).
       production_late - an item made at the site, or transferred to it from a plant
                         (int_item_site_supply_sources): a production order of the
                         item at the making site (not cancelled) planned to finish on
                         or before that day - for a transfer, that day minus the
                         transfer days, when the goods had to leave the plant - and
                         not finished by then. Evidence: the earliest planned finish
                         (then the lowest mo_id).
       stock_out       - neither.
    2. short_shipment  - the first shipment was partial with stock left at the site
                         (a short pick).
    3. carrier_late    - the first shipment left in time to arrive by the deadline
                         (shipped + planned transit <= deadline) and the carrier
                         delivered it late (transit longer than planned, or a DELAYED
                         event while still on the way). Evidence: that shipment.
    4. other           - anything else: released late with stock on hand, cancelled by
                         us without waiting for stock, a request we could not meet in
                         the customer's transit time.
    evidence_shipment_id also names the line's first shipment for short_shipment and
    other (NULL when nothing shipped).
#}
with

waits as (

    select * from {{ ref('int_sales_order_line_stock_waits') }}

),

lines as (

    select
        waits.*,
        lines.deadline,
        lines.qty_ordered,
        deliveries.first_shipped_date,
        deliveries.first_shipment_id,
        deliveries.qty_shipped_first_day,
        sources.supply_type,
        sources.source_site_id,
        coalesce(sources.transfer_days, 0) as transfer_days
    from waits
    inner join {{ ref('int_sales_order_lines') }} as lines
        on waits.so_id = lines.so_id
        and waits.so_line = lines.so_line
    left join {{ ref('int_sales_order_line_deliveries') }} as deliveries
        on waits.so_id = deliveries.so_id
        and waits.so_line = deliveries.so_line
    left join {{ ref('int_item_site_supply_sources') }} as sources
        on waits.item_id = sources.item_id
        and waits.site_id = sources.site_id

),

late_purchases as (

    select
        lines.so_id,
        lines.so_line,
        arg_min(po.po_id, (po.deadline, po.po_id, po.po_line)) as po_id,
        arg_min(po.po_line, (po.deadline, po.po_id, po.po_line)) as po_line
    from lines
    inner join {{ ref('int_purchase_order_lines') }} as po
        on lines.item_id = po.item_id
        and lines.site_id = po.site_id
        and po.deadline <= lines.first_stock_out_date
    left join {{ ref('int_purchase_order_line_receipts') }} as receipts
        on po.po_id = receipts.po_id
        and po.po_line = receipts.po_line
    where lines.waited_for_stock
      and coalesce(lines.supply_type, 'buy') = 'buy'
      and po.status <> 'cancelled'
      and coalesce(receipts.first_receipt_date > lines.first_stock_out_date, true)
    group by lines.so_id, lines.so_line

),

late_production as (

    select
        lines.so_id,
        lines.so_line,
        arg_min(mo.mo_id, (mo.planned_finish, mo.mo_id)) as mo_id
    from lines
    inner join {{ ref('stg_production_orders') }} as mo
        on lines.item_id = mo.item_id
        and lines.source_site_id = mo.site_id
        and mo.planned_finish <= lines.first_stock_out_date - lines.transfer_days
    where lines.waited_for_stock
      and lines.supply_type in ('make', 'transfer')
      and mo.status <> 'cancelled'
      and coalesce(mo.actual_finish > lines.first_stock_out_date - lines.transfer_days, true)
    group by lines.so_id, lines.so_line

),

carrier as (

    select
        lines.so_id,
        lines.so_line,
        coalesce(
            shipments.transit_days > shipments.planned_transit_days
            or shipments.exception_event_count > 0, false)
            and lines.first_shipped_date + coalesce(lines.transit_days, 0) <= lines.deadline as is_carrier_late
    from lines
    inner join {{ ref('int_shipments') }} as shipments
        on lines.first_shipment_id = shipments.shipment_id

),

attributed as (

    select
        lines.*,
        late_purchases.po_id as late_po_id,
        late_purchases.po_line as late_po_line,
        late_production.mo_id as late_mo_id,
        case
            when lines.waited_for_stock and late_purchases.po_id is not null then 'supplier_late'
            when lines.waited_for_stock and late_production.mo_id is not null then 'production_late'
            when lines.waited_for_stock then 'stock_out'
            when lines.qty_shipped_first_day < lines.qty_ordered then 'short_shipment'
            when coalesce(carrier.is_carrier_late, false) then 'carrier_late'
            else 'other'
        end as delay_reason
    from lines
    left join late_purchases
        on lines.so_id = late_purchases.so_id
        and lines.so_line = late_purchases.so_line
    left join late_production
        on lines.so_id = late_production.so_id
        and lines.so_line = late_production.so_line
    left join carrier
        on lines.so_id = carrier.so_id
        and lines.so_line = carrier.so_line

)

select
    so_id,
    so_line,
    delay_reason,
    case
        when delay_reason in ('carrier_late', 'short_shipment', 'other') then first_shipment_id
    end as evidence_shipment_id,
    case when delay_reason = 'supplier_late' then late_po_id end as evidence_po_id,
    case when delay_reason = 'supplier_late' then late_po_line end as evidence_po_line,
    case when delay_reason = 'production_late' then late_mo_id end as evidence_mo_id,
    first_stock_out_date,
    latest_ship_date,
    supply_type

from attributed
