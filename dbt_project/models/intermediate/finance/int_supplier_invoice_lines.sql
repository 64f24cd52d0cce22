{#
    Current supplier (AP) invoice lines in the company currency, with the site, item
    and item category of their purchase order line, written once. A negative amount
    is a credit note line. amount_cc and paid_amount_cc convert at the rate of the
    invoice date (or the latest earlier one), so a fully paid line leaves exactly 0
    open. Open at date d = amount - paid amount when paid_on <= d.
#}
with

invoice_lines as (

    select * from {{ ref('stg_supplier_invoices') }}

),

po_lines as (

    select po_id, po_line, site_id, item_id from {{ ref('stg_purchase_order_lines') }}

),

items as (

    select item_id, category from {{ ref('stg_items') }}

),

lines as (

    select
        invoice_lines.invoice_id,
        invoice_lines.invoice_line,
        invoice_lines.supplier_id,
        invoice_lines.po_id,
        invoice_lines.po_line,
        po_lines.site_id,
        po_lines.item_id,
        items.category,
        invoice_lines.invoice_date,
        invoice_lines.due_date,
        invoice_lines.qty_invoiced,
        invoice_lines.unit_price,
        invoice_lines.amount,
        invoice_lines.currency,
        invoice_lines.paid_on,
        invoice_lines.paid_amount
    from invoice_lines
    left join po_lines
        on invoice_lines.po_id = po_lines.po_id
        and invoice_lines.po_line = po_lines.po_line
    left join items
        on po_lines.item_id = items.item_id

)

select
    cast(lines.invoice_id as varchar) as invoice_id,
    cast(lines.invoice_line as varchar) as invoice_line,
    cast(lines.supplier_id as varchar) as supplier_id,
    cast(lines.po_id as varchar) as po_id,
    cast(lines.po_line as varchar) as po_line,
    cast(lines.site_id as varchar) as site_id,
    cast(lines.item_id as varchar) as item_id,
    cast(lines.category as varchar) as category,
    cast(lines.invoice_date as date) as invoice_date,
    cast({{ dbt.date_trunc('month', 'lines.invoice_date') }} as date) as month,
    cast(lines.due_date as date) as due_date,
    cast(lines.amount < 0 as boolean) as is_credit_note,
    cast(lines.qty_invoiced as decimal(18, 4)) as qty_invoiced,
    cast(lines.unit_price as decimal(18, 4)) as unit_price,
    cast(lines.amount as decimal(18, 4)) as amount,
    cast(lines.currency as varchar) as currency,
    {{ to_company_currency('lines.amount', 'lines.currency', 'fx') }} as amount_cc,
    cast(lines.paid_on as date) as paid_on,
    cast(lines.paid_amount as decimal(18, 4)) as paid_amount,
    {{ to_company_currency('lines.paid_amount', 'lines.currency', 'fx') }} as paid_amount_cc,
    {{ is_missing_fx_rate('lines.amount', 'lines.currency', 'fx') }} as is_missing_fx_rate

from lines
{{ fx_join('fx', 'lines.currency', 'lines.invoice_date') }}
