{#
    Procurement spend by supplier x item category x month (int_procurement_spend_monthly:
    spend = net received value at the PO price, in the receipt month, company currency).
    share_of_spend_pct: of the month's spend over every supplier and category.
#}
with

spend as (

    select * from {{ ref('int_procurement_spend_monthly') }}

)

select
    cast(supplier_id as varchar) as supplier_id,
    cast(category as varchar) as category,
    cast(month as date) as month,
    cast(spend_cc as decimal(18, 4)) as spend_cc,
    {{ pct('spend_cc', 'sum(spend_cc) over (partition by month)') }} as share_of_spend_pct,
    cast(po_count as bigint) as po_count,
    cast(receipt_movements as bigint) as receipt_movements,
    cast(spend_on_contract_cc as decimal(18, 4)) as spend_on_contract_cc,
    cast(spend_off_contract_cc as decimal(18, 4)) as spend_off_contract_cc,
    {{ pct('spend_on_contract_cc', 'spend_cc') }} as on_contract_pct,
    cast(movements_missing_fx_rate as bigint) as movements_missing_fx_rate

from spend
