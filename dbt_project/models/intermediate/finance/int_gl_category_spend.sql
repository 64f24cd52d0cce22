{#
    Actual spend by GL document and budget category, written once (the "actual" of
    fin_budget_vs_actual_monthly). Spend is what the ledger posted:
    - supplier invoices and credit notes: the payable (account type ap, sign reversed:
      an invoice is positive spend), split over the item categories of the invoice's
      lines (supplier_invoices -> PO line -> item) in proportion to their amounts;
      each share is rounded half to even to 4 decimals and the residue goes to the
      last category, so the categories add up to the ledger. A document the
      sub-ledger does not know (or whose lines have no category) is 'Unassigned';
    - freight: the expense posted on accounts of type freight, category var
      freight_budget_category ('Freight').
    Site = the site of the posting's cost centre (int_gl_lines), else the cost
    centre's own code. Month = posting month.
#}
with

gl_lines as (

    select * from {{ ref('int_gl_lines') }}

),

payable_documents as (

    select
        ref_doc_type,
        ref_doc_id,
        coalesce(min(site_id), min(cost_center), 'unassigned') as site_id,
        min(posting_date) as posting_date,
        -sum(amount_cc) as spend_cc
    from gl_lines
    where account_type = 'ap'
      and ref_doc_type in ('supplier_invoice', 'supplier_credit_note')
      and ref_doc_id is not null
    group by ref_doc_type, ref_doc_id

),

invoice_categories as (

    select
        invoice_id,
        coalesce(category, 'Unassigned') as category,
        sum(amount) as category_amount,
        sum(sum(amount)) over (partition by invoice_id) as invoice_amount
    from {{ ref('int_supplier_invoice_lines') }}
    group by invoice_id, coalesce(category, 'Unassigned')

),

shares as (

    select
        documents.ref_doc_type,
        documents.ref_doc_id,
        documents.site_id,
        documents.posting_date,
        documents.spend_cc,
        coalesce(invoice_categories.category, 'Unassigned') as category,
        case
            when invoice_categories.invoice_amount is null or invoice_categories.invoice_amount = 0 then 0
            else {{ round_half_even('documents.spend_cc * invoice_categories.category_amount / invoice_categories.invoice_amount', 4) }}
        end as rounded_share_cc,
        row_number() over (
            partition by documents.ref_doc_type, documents.ref_doc_id
            order by coalesce(invoice_categories.category, 'Unassigned') desc
        ) as reverse_rank
    from payable_documents as documents
    left join invoice_categories
        on documents.ref_doc_id = invoice_categories.invoice_id

),

purchase_spend as (

    select
        ref_doc_type,
        ref_doc_id,
        site_id,
        posting_date,
        category,
        case
            when reverse_rank = 1
                then spend_cc - coalesce(sum(rounded_share_cc) over (partition by ref_doc_type, ref_doc_id) - rounded_share_cc, 0)
            else rounded_share_cc
        end as spend_cc
    from shares

),

freight_spend as (

    select
        coalesce(ref_doc_type, 'none') as ref_doc_type,
        coalesce(ref_doc_id, entry_id) as ref_doc_id,
        coalesce(site_id, cost_center, 'unassigned') as site_id,
        min(posting_date) as posting_date,
        '{{ var("freight_budget_category") }}' as category,
        sum(amount_cc) as spend_cc
    from gl_lines
    where account_type = 'freight'
    group by 1, 2, 3

),

spend as (

    select * from purchase_spend
    union all
    select * from freight_spend

)

select
    cast(ref_doc_type as varchar) as ref_doc_type,
    cast(ref_doc_id as varchar) as ref_doc_id,
    cast(site_id as varchar) as site_id,
    cast(category as varchar) as category,
    cast(posting_date as date) as posting_date,
    cast({{ dbt.date_trunc('month', 'posting_date') }} as date) as month,
    cast(spend_cc as decimal(18, 4)) as spend_cc

from spend
