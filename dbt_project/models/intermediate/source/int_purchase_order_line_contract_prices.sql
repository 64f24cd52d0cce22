{#
    The contract price of every current PO line: the supplier_items version of the
    line's supplier x item valid on the order date (the latest valid_from on or before
    it; an ASOF join). A line is ON CONTRACT when such a version exists, in the PO's
    currency, and its unit price equals the PO unit price exactly (4 decimals); else
    it is off contract (no contract, another currency, or another price).
#}
with

lines as (

    select po_id, po_line, supplier_id, item_id, order_date, unit_price, currency
    from {{ ref('int_purchase_order_lines') }}

),

contracts as (

    select supplier_id, item_id, valid_from, unit_price, currency
    from {{ ref('stg_supplier_items') }}

)

select
    lines.po_id,
    lines.po_line,
    contracts.valid_from as contract_valid_from,
    contracts.unit_price as contract_unit_price,
    contracts.currency as contract_currency,
    coalesce(
        contracts.unit_price = lines.unit_price
        and contracts.currency = lines.currency,
        false) as is_on_contract

from lines
asof left join contracts
    on lines.supplier_id = contracts.supplier_id
    and lines.item_id = contracts.item_id
    and lines.order_date >= contracts.valid_from
