{#
    Goods-receipt movements matched to their current PO line, one row per receipt line,
    with the signed net quantity and its value at the PO price. The netting rule lives
    here once (docs/conventions.md, "Received net"):
    - movement `receipt`: qty_received - qty_rejected (rejects are never stocked);
    - `reversal` and `return_to_supplier`: -qty_received (stored as delivered).
    value = qty_net x PO unit price (document currency); value_cc at the rate of the
    receipt date or the latest earlier one (a receipt is valued when it is posted).
    Receipts of unknown PO lines are left out.
#}
with

receipts as (

    select
        receipt_id,
        receipt_line,
        po_id,
        po_line,
        received_on,
        movement,
        qty_received,
        coalesce(qty_rejected, 0) as qty_rejected
    from {{ ref('stg_goods_receipts') }}

),

lines as (

    select
        po_id,
        po_line,
        supplier_id,
        item_id,
        site_id,
        order_date,
        deadline,
        unit_price,
        currency
    from {{ ref('int_purchase_order_lines') }}

),

signed as (

    select
        receipts.receipt_id,
        receipts.receipt_line,
        receipts.po_id,
        receipts.po_line,
        lines.supplier_id,
        lines.item_id,
        lines.site_id,
        lines.order_date,
        lines.deadline,
        receipts.received_on,
        receipts.movement,
        receipts.qty_received,
        receipts.qty_rejected,
        cast(
            case
                when receipts.movement = 'receipt'
                    then receipts.qty_received - receipts.qty_rejected
                when receipts.movement in ('reversal', 'return_to_supplier')
                    then -receipts.qty_received
                else 0
            end
            as decimal(18, 4)) as qty_net,
        lines.unit_price,
        lines.currency

    from receipts
    inner join lines
        on receipts.po_id = lines.po_id
        and receipts.po_line = lines.po_line

),

valued as (

    select
        *,
        {{ money_product('qty_net', 'unit_price') }} as value
    from signed

)

select
    valued.*,
    cast({{ dbt.date_trunc('month', 'valued.received_on') }} as date) as month,
    {{ to_company_currency('valued.value', 'valued.currency', 'fx') }} as value_cc,
    {{ is_missing_fx_rate('valued.value', 'valued.currency', 'fx') }} as is_missing_fx_rate

from valued
{{ fx_join('fx', 'valued.currency', 'valued.received_on') }}
