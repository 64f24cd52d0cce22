{#
    Purchase price variance by item x supplier x month in the company currency, from
    int_purchase_price_variances (one row per receipt movement and invoice line): the
    PO-vs-standard leg in the receipt month, the invoice-vs-PO leg in the invoice month.
    ppv_cc = the sum of the two legs; events without a value (no standard cost, no
    rate) are left out of the sums and counted; NULL when no event has a value.
#}
with

variances as (

    select * from {{ ref('int_purchase_price_variances') }}

),

monthly as (

    select
        item_id,
        supplier_id,
        month,
        sum(case when ppv_leg = 'po_vs_standard' then qty end) as qty_received_net,
        sum(case when ppv_leg = 'po_vs_standard' then actual_value_cc end) as received_value_cc,
        sum(case when ppv_leg = 'po_vs_standard' then reference_value_cc end) as standard_value_cc,
        sum(case when ppv_leg = 'po_vs_standard' then ppv_cc end) as ppv_po_vs_standard_cc,
        sum(case when ppv_leg = 'invoice_vs_po' then qty end) as qty_invoiced,
        sum(case when ppv_leg = 'invoice_vs_po' then actual_value_cc end) as invoiced_value_cc,
        sum(case when ppv_leg = 'invoice_vs_po' then reference_value_cc end) as invoiced_at_po_price_cc,
        sum(case when ppv_leg = 'invoice_vs_po' then ppv_cc end) as ppv_invoice_vs_po_cc,
        count(case when is_missing_standard_cost then 1 end) as receipts_missing_standard_cost,
        count(case when is_missing_fx_rate then 1 end) as events_missing_fx_rate
    from variances
    group by item_id, supplier_id, month

)

select
    cast(item_id as varchar) as item_id,
    cast(supplier_id as varchar) as supplier_id,
    cast(month as date) as month,
    cast(coalesce(qty_received_net, 0) as decimal(18, 4)) as qty_received_net,
    cast(received_value_cc as decimal(18, 4)) as received_value_cc,
    cast(standard_value_cc as decimal(18, 4)) as standard_value_cc,
    cast(ppv_po_vs_standard_cc as decimal(18, 4)) as ppv_po_vs_standard_cc,
    cast(coalesce(qty_invoiced, 0) as decimal(18, 4)) as qty_invoiced,
    cast(invoiced_value_cc as decimal(18, 4)) as invoiced_value_cc,
    cast(invoiced_at_po_price_cc as decimal(18, 4)) as invoiced_at_po_price_cc,
    cast(ppv_invoice_vs_po_cc as decimal(18, 4)) as ppv_invoice_vs_po_cc,
    cast(
        case when ppv_po_vs_standard_cc is not null or ppv_invoice_vs_po_cc is not null
            then coalesce(ppv_po_vs_standard_cc, 0) + coalesce(ppv_invoice_vs_po_cc, 0)
        end
        as decimal(18, 4)) as ppv_cc,
    cast({{ ratio('ppv_po_vs_standard_cc', 'standard_value_cc', 2, 100) }} as decimal(18, 2)) as ppv_po_vs_standard_pct,
    cast(receipts_missing_standard_cost as bigint) as receipts_missing_standard_cost,
    cast(events_missing_fx_rate as bigint) as events_missing_fx_rate

from monthly
