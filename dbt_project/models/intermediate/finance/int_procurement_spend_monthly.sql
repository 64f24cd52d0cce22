{#
    Procurement spend by supplier x item category x month. Spend = RECEIVED value at
    the PO price: net receipt movements (int_goods_receipt_movements: rejects excluded,
    reversals and returns to supplier subtract) in the month of the receipt date,
    converted at that date's rate. Spend on contract: movements of PO lines whose unit
    price equals the supplier_items contract price valid on the order date
    (int_purchase_order_line_contract_prices); the rest is off contract. Category:
    items.category ('unknown' when the item or its category is missing). Movements
    without a company-currency value are left out of the sums and counted.
#}
with

movements as (

    select
        movements.*,
        coalesce(contracts.is_on_contract, false) as is_on_contract,
        coalesce(items.category, 'unknown') as category
    from {{ ref('int_goods_receipt_movements') }} as movements
    left join {{ ref('int_purchase_order_line_contract_prices') }} as contracts
        on movements.po_id = contracts.po_id
        and movements.po_line = contracts.po_line
    left join {{ ref('stg_items') }} as items
        on movements.item_id = items.item_id

)

select
    supplier_id,
    category,
    month,
    cast(coalesce(sum(value_cc), 0) as decimal(18, 4)) as spend_cc,
    cast(coalesce(sum(case when is_on_contract then value_cc end), 0) as decimal(18, 4)) as spend_on_contract_cc,
    cast(coalesce(sum(case when not is_on_contract then value_cc end), 0) as decimal(18, 4)) as spend_off_contract_cc,
    count(distinct po_id) as po_count,
    count(*) as receipt_movements,
    count(case when is_missing_fx_rate then 1 end) as movements_missing_fx_rate

from movements
group by supplier_id, category, month
