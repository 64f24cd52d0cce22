{#
    Supplier (AP) invoice lines with their PO line and what had been received and
    invoiced on it when the line was booked - the inputs of the three-way match, the
    GR/IR balance and the invoice-vs-PO price variance. One row per current invoice
    line (credit notes `SC-` have negative quantities and amounts).
    - invoiced_value = qty_invoiced x invoice unit price, else the invoice amount when
      either is missing; invoiced_value_cc at the rate of the invoice date.
    - qty_invoiced_before: invoiced on the same PO line by earlier invoice lines with a
      positive quantity (invoice date, then invoice_id, then the line number); credit
      notes settle returns, not deliveries, and are left out.
    - qty_received_by_invoice_date: the PO line's receipts posted on or before the
      invoice date, net of rejects and reversals; returns to the supplier are not
      deducted (a return is matched by its credit note, not against the invoice of the
      goods) (int_goods_receipt_movements).
    An invoice line whose po_id / po_line is not a current PO line keeps NULL PO
    columns and is_po_line_known = false.
#}
with

invoices as (

    select
        invoice_id,
        invoice_line,
        supplier_id,
        po_id,
        po_line,
        invoice_date,
        due_date,
        qty_invoiced,
        unit_price,
        amount,
        currency,
        paid_on,
        paid_amount
    from {{ ref('stg_supplier_invoices') }}

),

lines as (

    select
        po_id,
        po_line,
        supplier_id,
        item_id,
        site_id,
        qty_ordered,
        unit_price,
        currency
    from {{ ref('int_purchase_order_lines') }}

),

items as (

    select item_id, category from {{ ref('stg_items') }}

),

received_by_day as (

    select
        po_id,
        po_line,
        received_on,
        sum(sum(qty_net)) over (
            partition by po_id, po_line order by received_on
            rows between unbounded preceding and current row
        ) as qty_received_cumulative
    from {{ ref('int_goods_receipt_movements') }}
    where movement <> 'return_to_supplier'
    group by po_id, po_line, received_on

),

matched as (

    select
        invoices.*,
        lines.po_id is not null as is_po_line_known,
        lines.supplier_id as po_supplier_id,
        lines.item_id,
        lines.site_id,
        items.category,
        lines.qty_ordered,
        lines.unit_price as po_unit_price,
        lines.currency as po_currency,
        coalesce(
            {{ money_product('invoices.qty_invoiced', 'invoices.unit_price') }},
            invoices.amount) as invoiced_value,
        case when lines.po_id is not null then
            coalesce(sum(case when invoices.qty_invoiced > 0 then invoices.qty_invoiced end) over (
                partition by invoices.po_id, invoices.po_line
                order by invoices.invoice_date, invoices.invoice_id,
                    length(invoices.invoice_line), invoices.invoice_line
                rows between unbounded preceding and 1 preceding), 0)
        end as qty_invoiced_before
    from invoices
    left join lines
        on invoices.po_id = lines.po_id
        and invoices.po_line = lines.po_line
    left join items
        on lines.item_id = items.item_id

),

with_receipts as (

    select
        matched.*,
        case when matched.is_po_line_known
            then coalesce(received_by_day.qty_received_cumulative, 0)
        end as qty_received_by_invoice_date
    from matched
    asof left join received_by_day
        on matched.po_id = received_by_day.po_id
        and matched.po_line = received_by_day.po_line
        and matched.invoice_date >= received_by_day.received_on

)

select
    with_receipts.invoice_id,
    with_receipts.invoice_line,
    with_receipts.supplier_id,
    with_receipts.po_id,
    with_receipts.po_line,
    with_receipts.is_po_line_known,
    with_receipts.po_supplier_id,
    with_receipts.item_id,
    with_receipts.site_id,
    with_receipts.category,
    with_receipts.invoice_date,
    cast({{ dbt.date_trunc('month', 'with_receipts.invoice_date') }} as date) as month,
    with_receipts.due_date,
    coalesce(with_receipts.qty_invoiced < 0 or with_receipts.amount < 0, false) as is_credit_note,
    cast(with_receipts.qty_invoiced as decimal(18, 4)) as qty_invoiced,
    cast(with_receipts.unit_price as decimal(18, 4)) as unit_price,
    cast(with_receipts.amount as decimal(18, 4)) as amount,
    with_receipts.currency,
    cast(with_receipts.invoiced_value as decimal(18, 4)) as invoiced_value,
    {{ to_company_currency('with_receipts.invoiced_value', 'with_receipts.currency', 'fx') }} as invoiced_value_cc,
    {{ to_company_currency('with_receipts.amount', 'with_receipts.currency', 'fx') }} as amount_cc,
    cast(with_receipts.paid_on as date) as paid_on,
    cast(with_receipts.paid_amount as decimal(18, 4)) as paid_amount,
    {{ to_company_currency('with_receipts.paid_amount', 'with_receipts.currency', 'fx') }} as paid_amount_cc,
    {{ is_missing_fx_rate('with_receipts.invoiced_value', 'with_receipts.currency', 'fx') }} as is_missing_fx_rate,
    cast(with_receipts.qty_ordered as decimal(18, 4)) as qty_ordered,
    cast(with_receipts.po_unit_price as decimal(18, 4)) as po_unit_price,
    with_receipts.po_currency,
    cast(with_receipts.qty_invoiced_before as decimal(18, 4)) as qty_invoiced_before,
    cast(with_receipts.qty_received_by_invoice_date as decimal(18, 4)) as qty_received_by_invoice_date

from with_receipts
{{ fx_join('fx', 'with_receipts.currency', 'with_receipts.invoice_date') }}
