{#
    Current sales order lines with their service deadline and ordered value in the
    company currency. Deadline = committed_date (the first promise), or requested_date
    when there is none. A line cancelled by the customer leaves the service
    denominator; one we cancelled ourselves (cancel_reason own or empty) stays in as a
    miss. Ordered value = qty_ordered x unit_price at the rate of the order date or the
    latest earlier one.
#}
with

sales_order_lines as (

    select * from {{ ref('stg_sales_order_lines') }}

),

lines as (

    select
        so_id,
        so_line,
        customer_id,
        site_id,
        item_id,
        channel,
        status,
        cancel_reason,
        coalesce(status = 'cancelled' and cancel_reason = 'customer', false) as is_customer_cancelled,
        coalesce(status = 'cancelled' and coalesce(cancel_reason, 'own') <> 'customer', false) as is_own_cancelled,
        order_date,
        requested_date,
        committed_date,
        coalesce(committed_date, requested_date) as deadline,
        qty_ordered,
        unit_price,
        currency,
        {{ money_product('qty_ordered', 'unit_price') }} as ordered_value

    from sales_order_lines

)

select
    lines.*,
    {{ to_company_currency('lines.ordered_value', 'lines.currency', 'fx') }} as ordered_value_cc,
    {{ is_missing_fx_rate('lines.ordered_value', 'lines.currency', 'fx') }} as is_missing_fx_rate

from lines
{{ fx_join('fx', 'lines.currency', 'lines.order_date') }}
