{#
    Why a sales order line was late: one row per counted line that is not OTIF
    (fct_sales_order_lines), with the root cause and its evidence from
    int_sales_order_line_delay_reasons (rules in docs/kpi_catalog.md).
#}
with

late_lines as (

    select *
    from {{ ref('fct_sales_order_lines') }}
    where is_counted and not otif

)

select
    cast(late_lines.so_id as varchar) as so_id,
    cast(late_lines.so_line as varchar) as so_line,
    cast(late_lines.customer_id as varchar) as customer_id,
    cast(late_lines.site_id as varchar) as site_id,
    cast(late_lines.item_id as varchar) as item_id,
    cast(late_lines.month as date) as month,
    cast(late_lines.order_date as date) as order_date,
    cast(late_lines.deadline as date) as deadline,
    cast(late_lines.first_delivery_date as date) as first_delivery_date,
    cast(late_lines.qty_ordered as decimal(18, 4)) as qty_ordered,
    cast(late_lines.qty_delivered_by_deadline as decimal(18, 4)) as qty_delivered_by_deadline,
    cast(late_lines.on_time as boolean) as on_time,
    cast(late_lines.in_full as boolean) as in_full,
    cast(coalesce(reasons.delay_reason, 'other') as varchar) as delay_reason,
    cast(reasons.evidence_shipment_id as varchar) as evidence_shipment_id,
    cast(reasons.evidence_po_id as varchar) as evidence_po_id,
    cast(reasons.evidence_po_line as varchar) as evidence_po_line,
    cast(reasons.evidence_mo_id as varchar) as evidence_mo_id,
    cast(reasons.first_stock_out_date as date) as first_stock_out_date,
    cast(reasons.latest_ship_date as date) as latest_ship_date

from late_lines
left join {{ ref('int_sales_order_line_delay_reasons') }} as reasons
    on late_lines.so_id = reasons.so_id
    and late_lines.so_line = reasons.so_line
