{#
    Root cause of a sales order line missing its deadline, with the evidence. Computed
    for every line whose deadline is on or before the as-of date; the marts keep the
    lines that are counted and not OTIF. The first rule that holds wins:

    1. carrier_late   - a shipment of the line planned to deliver by the deadline
                        arrived after its planned delivery because transit took longer
                        than planned (evidence: shipment_id, the earliest such).
    2. supplier_late / production_late - the item was out of stock at the site
                        (end-of-day on hand <= 0) on some day from the order date to the
                        deadline, and a replenishment that should have covered it was
                        late: a PO line of the item and site (not cancelled) with need
                        date on or before the deadline, received after its need date
                        and after the stock-out began (or not yet received), or a
                        production order (not cancelled) planned to finish by the
                        deadline, finished after its planned finish and after the
                        stock-out began (or not finished). The earliest need date /
                        planned finish is the evidence (po_id + po_line, mo_id). A
                        `make` item looks at production first, any other at POs first.
    3. stock_out_at_site - the stock-out of rule 2 without a late replenishment.
    4. short_shipment - something was delivered by the deadline but less than
                        ordered (evidence: the line's first shipment).
    5. other          - anything else (dispatched late with stock, cancelled by us);
                        evidence: the line's first shipment when there is one.
#}
with

lines as (

    select so_id, so_line, site_id, item_id, order_date, deadline, qty_ordered, is_own_cancelled
    from {{ ref('int_sales_order_lines') }}
    where deadline <= {{ as_of_date() }}

),

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

line_shipments as (

    select
        deliveries.so_id,
        deliveries.so_line,
        deliveries.shipment_id,
        deliveries.delivered_on,
        deliveries.qty_shipped,
        shipments.planned_delivery,
        shipments.actual_delivery,
        coalesce(
            shipments.planned_delivery <= lines.deadline
            and shipments.actual_delivery > shipments.planned_delivery
            and {{ dbt.datediff('shipments.actual_pickup', 'shipments.actual_delivery', 'day') }}
                > {{ dbt.datediff('shipments.planned_pickup', 'shipments.planned_delivery', 'day') }},
            false) as is_carrier_late,
        lines.deadline
    from {{ ref('stg_deliveries') }} as deliveries
    inner join lines
        on deliveries.so_id = lines.so_id
        and deliveries.so_line = lines.so_line
    left join {{ ref('stg_shipments') }} as shipments
        on deliveries.shipment_id = shipments.shipment_id

),

shipment_evidence as (

    select
        so_id,
        so_line,
        arg_min(case when is_carrier_late then shipment_id end, case when is_carrier_late then cast(planned_delivery as varchar) || '|' || shipment_id end) as carrier_late_shipment_id,
        arg_min(shipment_id, coalesce(cast(delivered_on as varchar), '9999-12-31') || '|' || shipment_id) as first_shipment_id,
        sum(case when delivered_on <= deadline then qty_shipped else 0 end) as qty_delivered_by_deadline
    from line_shipments
    group by so_id, so_line

),

stock_outs as (

    select
        lines.so_id,
        lines.so_line,
        min(greatest(periods.stock_out_start, lines.order_date)) as first_stock_out_date
    from lines
    inner join {{ ref('int_stock_out_periods') }} as periods
        on lines.item_id = periods.item_id
        and lines.site_id = periods.site_id
        and periods.stock_out_start <= lines.deadline
        and periods.stock_out_end >= lines.order_date
    group by lines.so_id, lines.so_line

),

late_purchases as (

    select
        po.po_id,
        po.po_line,
        po.item_id,
        po.site_id,
        po.requested_date as need_date,
        coalesce(receipts.first_receipt_date, as_of.as_of_date + 1) as arrived_or_open
    from {{ ref('int_purchase_order_lines') }} as po
    cross join as_of
    left join {{ ref('int_purchase_order_line_receipts') }} as receipts
        on po.po_id = receipts.po_id
        and po.po_line = receipts.po_line
    where po.status <> 'cancelled'
      and coalesce(receipts.first_receipt_date, as_of.as_of_date + 1) > po.requested_date

),

late_production as (

    select
        mo.mo_id,
        mo.item_id,
        mo.site_id,
        mo.planned_finish,
        coalesce(mo.actual_finish, as_of.as_of_date + 1) as finished_or_open
    from {{ ref('stg_production_orders') }} as mo
    cross join as_of
    where mo.status <> 'cancelled'
      and coalesce(mo.actual_finish, as_of.as_of_date + 1) > mo.planned_finish

),

po_evidence as (

    select
        stock_outs.so_id,
        stock_outs.so_line,
        arg_min(late_purchases.po_id, cast(late_purchases.need_date as varchar) || '|' || late_purchases.po_id || '|' || late_purchases.po_line) as po_id,
        arg_min(late_purchases.po_line, cast(late_purchases.need_date as varchar) || '|' || late_purchases.po_id || '|' || late_purchases.po_line) as po_line
    from stock_outs
    inner join lines
        on stock_outs.so_id = lines.so_id
        and stock_outs.so_line = lines.so_line
    inner join late_purchases
        on lines.item_id = late_purchases.item_id
        and lines.site_id = late_purchases.site_id
        and late_purchases.need_date <= lines.deadline
        and late_purchases.arrived_or_open > stock_outs.first_stock_out_date
    group by stock_outs.so_id, stock_outs.so_line

),

mo_evidence as (

    select
        stock_outs.so_id,
        stock_outs.so_line,
        arg_min(late_production.mo_id, cast(late_production.planned_finish as varchar) || '|' || late_production.mo_id) as mo_id
    from stock_outs
    inner join lines
        on stock_outs.so_id = lines.so_id
        and stock_outs.so_line = lines.so_line
    inner join late_production
        on lines.item_id = late_production.item_id
        and lines.site_id = late_production.site_id
        and late_production.planned_finish <= lines.deadline
        and late_production.finished_or_open > stock_outs.first_stock_out_date
    group by stock_outs.so_id, stock_outs.so_line

),

evidence as (

    select
        lines.*,
        item_sites.make_or_buy,
        shipment_evidence.carrier_late_shipment_id,
        shipment_evidence.first_shipment_id,
        coalesce(shipment_evidence.qty_delivered_by_deadline, 0) as qty_delivered_by_deadline,
        stock_outs.first_stock_out_date,
        po_evidence.po_id as late_po_id,
        po_evidence.po_line as late_po_line,
        mo_evidence.mo_id as late_mo_id
    from lines
    left join {{ ref('stg_item_sites') }} as item_sites
        on lines.item_id = item_sites.item_id
        and lines.site_id = item_sites.site_id
    left join shipment_evidence
        on lines.so_id = shipment_evidence.so_id
        and lines.so_line = shipment_evidence.so_line
    left join stock_outs
        on lines.so_id = stock_outs.so_id
        and lines.so_line = stock_outs.so_line
    left join po_evidence
        on lines.so_id = po_evidence.so_id
        and lines.so_line = po_evidence.so_line
    left join mo_evidence
        on lines.so_id = mo_evidence.so_id
        and lines.so_line = mo_evidence.so_line

),

attributed as (

    select
        *,
        case
            when carrier_late_shipment_id is not null then 'carrier_late'
            when first_stock_out_date is not null and make_or_buy = 'make' and late_mo_id is not null then 'production_late'
            when first_stock_out_date is not null and late_po_id is not null then 'supplier_late'
            when first_stock_out_date is not null and late_mo_id is not null then 'production_late'
            when first_stock_out_date is not null then 'stock_out_at_site'
            when not is_own_cancelled
                and qty_delivered_by_deadline > 0
                and qty_delivered_by_deadline < {{ in_full_threshold('qty_ordered', 'in_full_tolerance_sales') }}
                then 'short_shipment'
            else 'other'
        end as delay_reason
    from evidence

)

select
    so_id,
    so_line,
    delay_reason,
    case
        when delay_reason = 'carrier_late' then carrier_late_shipment_id
        when delay_reason in ('short_shipment', 'other') then first_shipment_id
    end as evidence_shipment_id,
    case when delay_reason = 'supplier_late' then late_po_id end as evidence_po_id,
    case when delay_reason = 'supplier_late' then late_po_line end as evidence_po_line,
    case when delay_reason = 'production_late' then late_mo_id end as evidence_mo_id,
    first_stock_out_date

from attributed
