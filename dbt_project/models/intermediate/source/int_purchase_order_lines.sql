{#
    Current PO lines with their supplier deadline, planned lead time and amount in the
    company currency. Deadline = the first confirmed date, or the need date
    (requested_date) when the line was never confirmed. Amount = qty_ordered x
    unit_price, converted at the rate of the order date or the latest earlier one.
#}
with

purchase_order_lines as (

    select * from {{ ref('stg_purchase_order_lines') }}

),

confirmations as (

    select * from {{ ref('int_purchase_order_line_confirmations') }}

),

item_sites as (

    select item_id, site_id, planned_lead_time_days
    from {{ ref('stg_item_sites') }}

),

lines as (

    select
        po.po_id,
        po.po_line,
        po.supplier_id,
        po.site_id,
        po.item_id,
        po.buyer_id,
        po.status,
        po.order_date,
        po.requested_date,
        confirmations.first_confirmation_id,
        confirmations.first_confirmed_at,
        confirmations.first_confirmed_date,
        confirmations.latest_confirmed_date,
        coalesce(confirmations.confirmation_count, 0) as confirmation_count,
        coalesce(confirmations.reconfirmation_count, 0) as reconfirmation_count,
        coalesce(confirmations.first_confirmed_date, po.requested_date) as deadline,
        item_sites.planned_lead_time_days,
        po.qty_ordered,
        po.uom,
        po.unit_price,
        po.currency,
        {{ money_product('po.qty_ordered', 'po.unit_price') }} as amount

    from purchase_order_lines as po
    left join confirmations
        on po.po_id = confirmations.po_id
        and po.po_line = confirmations.po_line
    left join item_sites
        on po.item_id = item_sites.item_id
        and po.site_id = item_sites.site_id

)

select
    lines.*,
    {{ to_company_currency('lines.amount', 'lines.currency', 'fx') }} as amount_cc,
    {{ is_missing_fx_rate('lines.amount', 'lines.currency', 'fx') }} as is_missing_fx_rate

from lines
{{ fx_join('fx', 'lines.currency', 'lines.order_date') }}
