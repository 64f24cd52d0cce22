{#
    Purchase price variance events in the company currency, one row per goods-receipt
    movement (leg po_vs_standard) and per supplier invoice line on a current PO line
    (leg invoice_vs_po). PPV = actual value - reference value, both converted at the
    rate of the event's date (receipt date / invoice date):
    - po_vs_standard: actual = net qty x PO price (int_goods_receipt_movements: rejects
      excluded, reversals and returns to supplier negative); reference = net qty x the
      standard cost of the item x site valid on the receipt date (int_item_site_versions,
      the latest version on or before it), in the item-site currency. No standard cost:
      ppv_cc NULL and is_missing_standard_cost.
    - invoice_vs_po: actual = invoiced value (qty x invoice price, int_supplier_invoice_lines);
      reference = invoiced qty x PO price (PO currency). Lines without a quantity are
      left out (no price to compare).
    Positive PPV = paid more than the reference (unfavourable).
#}
with

receipts as (

    select
        movements.*,
        cost.standard_cost,
        cost.currency as standard_cost_currency
    from {{ ref('int_goods_receipt_movements') }} as movements
    asof left join {{ ref('int_item_site_versions') }} as cost
        on movements.item_id = cost.item_id
        and movements.site_id = cost.site_id
        and movements.received_on >= cost.effective_from

),

receipt_values as (

    select
        receipts.*,
        {{ money_product('receipts.qty_net', 'receipts.standard_cost') }} as standard_value
    from receipts

),

receipt_variances as (

    select
        'po_vs_standard' as ppv_leg,
        receipt_values.receipt_id as document_id,
        receipt_values.receipt_line as document_line,
        receipt_values.po_id,
        receipt_values.po_line,
        receipt_values.supplier_id,
        receipt_values.item_id,
        receipt_values.site_id,
        receipt_values.received_on as posting_date,
        receipt_values.qty_net as qty,
        receipt_values.unit_price as actual_unit_price,
        receipt_values.currency as actual_currency,
        receipt_values.standard_cost as reference_unit_price,
        receipt_values.standard_cost_currency as reference_currency,
        receipt_values.value_cc as actual_value_cc,
        {{ to_company_currency('receipt_values.standard_value', 'receipt_values.standard_cost_currency', 'fx') }} as reference_value_cc,
        receipt_values.standard_cost is null as is_missing_standard_cost,
        receipt_values.is_missing_fx_rate
            or {{ is_missing_fx_rate('receipt_values.standard_value', 'receipt_values.standard_cost_currency', 'fx') }}
            as is_missing_fx_rate
    from receipt_values
    {{ fx_join('fx', 'receipt_values.standard_cost_currency', 'receipt_values.received_on') }}

),

invoices as (

    select
        *,
        {{ money_product('qty_invoiced', 'po_unit_price') }} as po_value
    from {{ ref('int_supplier_invoice_lines') }}
    where is_po_line_known and qty_invoiced is not null

),

invoice_variances as (

    select
        'invoice_vs_po' as ppv_leg,
        invoices.invoice_id as document_id,
        invoices.invoice_line as document_line,
        invoices.po_id,
        invoices.po_line,
        invoices.po_supplier_id as supplier_id,
        invoices.item_id,
        invoices.site_id,
        invoices.invoice_date as posting_date,
        invoices.qty_invoiced as qty,
        invoices.unit_price as actual_unit_price,
        invoices.currency as actual_currency,
        invoices.po_unit_price as reference_unit_price,
        invoices.po_currency as reference_currency,
        invoices.invoiced_value_cc as actual_value_cc,
        {{ to_company_currency('invoices.po_value', 'invoices.po_currency', 'fx') }} as reference_value_cc,
        false as is_missing_standard_cost,
        invoices.is_missing_fx_rate
            or {{ is_missing_fx_rate('invoices.po_value', 'invoices.po_currency', 'fx') }}
            as is_missing_fx_rate
    from invoices
    {{ fx_join('fx', 'invoices.po_currency', 'invoices.invoice_date') }}

),

variances as (

    select * from receipt_variances
    union all
    select * from invoice_variances

)

select
    *,
    cast({{ dbt.date_trunc('month', 'posting_date') }} as date) as month,
    cast(actual_value_cc - reference_value_cc as decimal(18, 4)) as ppv_cc

from variances
