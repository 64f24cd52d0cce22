{#
    Goods receipts matched to their PO line, one row per line that has any movement.
    Net received = sum(qty_received - qty_rejected) over movement `receipt`, minus
    qty_received of reversals and returns to supplier. "By the deadline" counts the
    movements posted on or before the line's deadline. First/last receipt are the
    receipt movements' dates. Receipts of unknown PO lines are left out.
#}
with

receipts as (

    select
        po_id,
        po_line,
        received_on,
        movement,
        qty_received,
        coalesce(qty_rejected, 0) as qty_rejected
    from {{ ref('stg_goods_receipts') }}

),

lines as (

    select po_id, po_line, deadline
    from {{ ref('int_purchase_order_lines') }}

),

signed as (

    select
        receipts.*,
        lines.deadline,
        case
            when receipts.movement = 'receipt'
                then receipts.qty_received - receipts.qty_rejected
            when receipts.movement in ('reversal', 'return_to_supplier')
                then -receipts.qty_received
            else 0
        end as qty_net

    from receipts
    inner join lines
        on receipts.po_id = lines.po_id
        and receipts.po_line = lines.po_line

)

select
    po_id,
    po_line,
    min(case when movement = 'receipt' then received_on end) as first_receipt_date,
    max(case when movement = 'receipt' then received_on end) as last_receipt_date,
    count(case when movement = 'receipt' then 1 end) as receipt_count,
    cast(sum(case when movement = 'receipt' then qty_received else 0 end) as decimal(18, 4)) as qty_received,
    cast(sum(case when movement = 'receipt' then qty_rejected else 0 end) as decimal(18, 4)) as qty_rejected,
    cast(sum(case when movement <> 'receipt' then qty_received else 0 end) as decimal(18, 4)) as qty_reversed,
    cast(sum(qty_net) as decimal(18, 4)) as qty_received_net,
    cast(sum(case when received_on <= deadline then qty_net else 0 end) as decimal(18, 4)) as qty_received_net_by_deadline

from signed
group by po_id, po_line
