{#
    Current customer (AR) invoice lines in the company currency, written once. A line
    with a negative amount is a credit note line. amount_cc and paid_amount_cc convert
    at the rate of the invoice date (or the latest earlier one), so a fully paid line
    leaves exactly 0 open in the company currency. Open at date d = amount - paid
    amount when paid_on <= d. site_id is the shipping site of the sales order line.
#}
with

invoice_lines as (

    select * from {{ ref('stg_customer_invoices') }}

),

sales_lines as (

    select so_id, so_line, site_id from {{ ref('stg_sales_order_lines') }}

),

lines as (

    select
        invoice_lines.invoice_id,
        invoice_lines.invoice_line,
        invoice_lines.customer_id,
        invoice_lines.so_id,
        invoice_lines.so_line,
        sales_lines.site_id,
        invoice_lines.invoice_date,
        invoice_lines.due_date,
        invoice_lines.amount,
        invoice_lines.currency,
        invoice_lines.paid_on,
        invoice_lines.paid_amount
    from invoice_lines
    left join sales_lines
        on invoice_lines.so_id = sales_lines.so_id
        and invoice_lines.so_line = sales_lines.so_line

)

select
    cast(lines.invoice_id as varchar) as invoice_id,
    cast(lines.invoice_line as varchar) as invoice_line,
    cast(lines.customer_id as varchar) as customer_id,
    cast(lines.so_id as varchar) as so_id,
    cast(lines.so_line as varchar) as so_line,
    cast(lines.site_id as varchar) as site_id,
    cast(lines.invoice_date as date) as invoice_date,
    cast({{ dbt.date_trunc('month', 'lines.invoice_date') }} as date) as month,
    cast(lines.due_date as date) as due_date,
    cast(lines.amount < 0 as boolean) as is_credit_note,
    cast(lines.amount as decimal(18, 4)) as amount,
    cast(lines.currency as varchar) as currency,
    {{ to_company_currency('lines.amount', 'lines.currency', 'fx') }} as amount_cc,
    cast(lines.paid_on as date) as paid_on,
    cast(lines.paid_amount as decimal(18, 4)) as paid_amount,
    {{ to_company_currency('lines.paid_amount', 'lines.currency', 'fx') }} as paid_amount_cc,
    {{ is_missing_fx_rate('lines.amount', 'lines.currency', 'fx') }} as is_missing_fx_rate

from lines
{{ fx_join('fx', 'lines.currency', 'lines.invoice_date') }}
