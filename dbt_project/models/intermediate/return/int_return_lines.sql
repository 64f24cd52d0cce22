{#
    Customer return lines with the item family, the value of the goods returned and the
    credit in the company currency, written once. A return's month is the month of
    returned_on. Returned value = qty_returned x the unit price of the sales order line
    at the order date's rate - the basis of the shipped value of
    int_delivery_line_freight, so value return rates compare like with like; NULL when
    the return names no known sales line. Credit = credit_amount at the rate of the
    return date. Missing family / reason are grouped as 'unknown' / 'unspecified'.
#}
with

returns as (

    select * from {{ ref('stg_returns') }}

),

items as (

    select item_id, family from {{ ref('stg_items') }}

),

sales_lines as (

    select so_id, so_line, order_date, unit_price, currency
    from {{ ref('int_sales_order_lines') }}

),

valued as (

    select
        returns.return_id,
        returns.return_line,
        returns.so_id,
        returns.so_line,
        returns.customer_id,
        returns.item_id,
        coalesce(items.family, 'unknown') as family,
        coalesce(returns.reason_code, 'unspecified') as reason_code,
        returns.disposition,
        returns.returned_on,
        returns.qty_returned,
        returns.credit_amount,
        returns.currency,
        sales_lines.order_date,
        sales_lines.currency as so_currency,
        {{ money_product('returns.qty_returned', 'sales_lines.unit_price') }} as returned_value

    from returns
    left join items
        on returns.item_id = items.item_id
    left join sales_lines
        on returns.so_id = sales_lines.so_id
        and returns.so_line = sales_lines.so_line

),

value_converted as (

    select
        valued.*,
        {{ to_company_currency('valued.returned_value', 'valued.so_currency', 'fx') }} as returned_value_cc
    from valued
    {{ fx_join('fx', 'valued.so_currency', 'valued.order_date') }}

)

select
    cast(value_converted.return_id as varchar) as return_id,
    cast(value_converted.return_line as varchar) as return_line,
    cast(value_converted.so_id as varchar) as so_id,
    cast(value_converted.so_line as varchar) as so_line,
    cast(value_converted.customer_id as varchar) as customer_id,
    cast(value_converted.item_id as varchar) as item_id,
    cast(value_converted.family as varchar) as family,
    cast(value_converted.reason_code as varchar) as reason_code,
    cast(value_converted.disposition as varchar) as disposition,
    cast(value_converted.returned_on as date) as returned_on,
    cast({{ dbt.date_trunc('month', 'value_converted.returned_on') }} as date) as month,
    cast(value_converted.qty_returned as decimal(18, 4)) as qty_returned,
    cast(value_converted.returned_value as decimal(18, 4)) as returned_value,
    cast(value_converted.returned_value_cc as decimal(18, 4)) as returned_value_cc,
    cast(value_converted.credit_amount as decimal(18, 4)) as credit_amount,
    cast(value_converted.currency as varchar) as currency,
    {{ to_company_currency('value_converted.credit_amount', 'value_converted.currency', 'fx') }} as credit_cc,
    {{ is_missing_fx_rate('value_converted.credit_amount', 'value_converted.currency', 'fx') }} as is_missing_fx_rate

from value_converted
{{ fx_join('fx', 'value_converted.currency', 'value_converted.returned_on') }}
