{#
    Supply still to arrive per item x site, one row per open PO line or open
    production order with a positive open quantity.
    - PO line (status open): qty = qty_ordered - received net; expected on the latest
      confirmed date, else the need date (is_confirmed false).
    - Production order (planned, released, in_progress): qty = qty_planned -
      qty_produced; expected on the planned finish.
    available_on = the expected date, or the as-of date when that is already past
    (is_overdue): overdue supply is counted as arriving now.
#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

purchase as (

    select
        'purchase_order' as supply_type,
        po.po_id as document_id,
        po.po_line as document_line,
        po.item_id,
        po.site_id,
        po.latest_confirmed_date is not null as is_confirmed,
        coalesce(po.latest_confirmed_date, po.requested_date) as expected_date,
        po.qty_ordered - coalesce(receipts.qty_received_net, 0) as qty_open
    from {{ ref('int_purchase_order_lines') }} as po
    left join {{ ref('int_purchase_order_line_receipts') }} as receipts
        on po.po_id = receipts.po_id
        and po.po_line = receipts.po_line
    where po.status = 'open'

),

production as (

    select
        'production_order' as supply_type,
        mo_id as document_id,
        cast(null as varchar) as document_line,
        item_id,
        site_id,
        true as is_confirmed,
        planned_finish as expected_date,
        qty_planned - coalesce(qty_produced, 0) as qty_open
    from {{ ref('stg_production_orders') }}
    where status in ('planned', 'released', 'in_progress')

),

supply as (

    select * from purchase
    union all
    select * from production

)

select
    supply.supply_type,
    supply.document_id,
    supply.document_line,
    supply.item_id,
    supply.site_id,
    supply.is_confirmed,
    supply.expected_date,
    coalesce(supply.expected_date < as_of.as_of_date, false) as is_overdue,
    greatest(supply.expected_date, as_of.as_of_date) as available_on,
    cast(supply.qty_open as decimal(18, 4)) as qty_open

from supply
cross join as_of
where supply.qty_open > 0
  and supply.item_id is not null
  and supply.site_id is not null
