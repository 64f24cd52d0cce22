{#
    Goods receipts summarised per PO line, one row per line that has any movement
    (int_goods_receipt_movements, where the netting rule lives). Net received =
    sum(qty_received - qty_rejected) over movement `receipt`, minus qty_received of
    reversals and returns to supplier. "By the deadline" counts the movements posted on
    or before the line's deadline. First/last receipt are the receipt movements' dates.
#}
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

from {{ ref('int_goods_receipt_movements') }}
group by po_id, po_line
