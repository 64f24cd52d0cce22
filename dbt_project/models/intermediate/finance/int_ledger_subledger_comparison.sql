{#
    The receivable and payable control accounts of the general ledger compared with
    their sub-ledgers, document by document, written once (the mart
    fin_ledger_reconciliation_exceptions keeps the rows that differ). Inventory and
    GR/IR accounts are reconciled elsewhere (fin_inventory_reconciliation_monthly,
    fin_grir_reconciliation).

    Amounts are in DOCUMENT TERMS - signed as the sub-ledger document states them (an
    invoice positive, a credit note negative, a payment positive): ledger amount =
    postings on AR accounts, minus postings on AP accounts, and the opposite for
    payments. difference = ledger - sub-ledger.

    Ledger lines on accounts of type ar / ap, by reference type:
    - customer_invoice / customer_credit_note  <-> customer_invoices, per invoice_id
    - supplier_invoice / supplier_credit_note  <-> supplier_invoices, per invoice_id
    - freight_invoice                          <-> freight_invoices, per invoice id
    - customer_payment / supplier_payment      <-> paid_amount of the invoices of that
      partner paid that day (partner x paid_on, the payment of the sub-ledger)
    - carrier_payment: freight_invoices carry no payment, so only the existence of the
      referenced freight invoice is checked (it exists: no difference)
    - anything else (manual journals, unknown types, no reference): a posting without
      a sub-ledger document - per document, or per account x month when it has no
      reference at all (document_key = 'YYYY-MM').

    document_key: the document id; partner|date for payments; the month for
    unreferenced postings. difference_cc: the difference converted at the document
    date's rate when both sides are in one currency; the ledger's own amount_company
    when only the ledger has the document; ledger cc - converted sub-ledger when the
    currencies differ.
#}
with

gl_lines as (

    select
        *,
        case
            when account_type = 'ar' and ref_doc_type in ('customer_invoice', 'customer_credit_note') then 'customer_invoice'
            when account_type = 'ar' and ref_doc_type = 'customer_payment' then 'customer_payment'
            when account_type = 'ap' and ref_doc_type in ('supplier_invoice', 'supplier_credit_note') then 'supplier_invoice'
            when account_type = 'ap' and ref_doc_type = 'supplier_payment' then 'supplier_payment'
            when account_type = 'ap' and ref_doc_type = 'freight_invoice' then 'freight_invoice'
            when account_type = 'ap' and ref_doc_type = 'carrier_payment' then 'carrier_payment'
            else 'no_subledger'
        end as document_class,
        (case when account_type = 'ar' then 1 else -1 end)
            * (case when ref_doc_type in ('customer_payment', 'supplier_payment', 'carrier_payment') then -1 else 1 end)
            as document_sign
    from {{ ref('int_gl_lines') }}
    where account_type in ('ar', 'ap')

),

control_accounts as (

    select account_type, mode(account) as account
    from gl_lines
    group by account_type

),

ledger as (

    select
        account_type,
        document_class,
        case
            when document_class in ('customer_payment', 'supplier_payment') then partner_id || '|' || strftime(posting_date, '%Y-%m-%d')
            when ref_doc_id is null then strftime(posting_date, '%Y-%m')
            else ref_doc_id
        end as document_key,
        min(account) as account,
        min(coalesce(ref_doc_type, 'none')) as ref_doc_type,
        min(ref_doc_id) as ref_doc_id,
        min(partner_id) as partner_id,
        min(site_id) as site_id,
        min(posting_date) as posting_date,
        case when min(currency) = max(currency) then min(currency) end as currency,
        count(*) as ledger_lines,
        sum(amount * document_sign) as ledger_amount,
        sum(amount_cc * document_sign) as ledger_amount_cc
    from gl_lines
    group by 1, 2, 3

),

customer_lines as (

    select * from {{ ref('int_customer_invoice_lines') }}

),

supplier_lines as (

    select * from {{ ref('int_supplier_invoice_lines') }}

),

subledger as (

    select
        'ar' as account_type, 'customer_invoice' as document_class, invoice_id as document_key,
        case when sum(amount) < 0 then 'customer_credit_note' else 'customer_invoice' end as ref_doc_type,
        min(customer_id) as partner_id, min(site_id) as site_id, min(invoice_date) as document_date,
        case when min(currency) = max(currency) then min(currency) end as currency, sum(amount) as subledger_amount
    from customer_lines
    group by invoice_id

    union all

    select
        'ar', 'customer_payment', customer_id || '|' || strftime(paid_on, '%Y-%m-%d'),
        'customer_payment', customer_id, min(site_id), paid_on,
        case when min(currency) = max(currency) then min(currency) end, sum(paid_amount)
    from customer_lines
    where paid_on is not null
    group by customer_id, paid_on

    union all

    select
        'ap', 'supplier_invoice', invoice_id,
        case when sum(amount) < 0 then 'supplier_credit_note' else 'supplier_invoice' end,
        min(supplier_id), min(site_id), min(invoice_date),
        case when min(currency) = max(currency) then min(currency) end, sum(amount)
    from supplier_lines
    group by invoice_id

    union all

    select
        'ap', 'supplier_payment', supplier_id || '|' || strftime(paid_on, '%Y-%m-%d'),
        'supplier_payment', supplier_id, min(site_id), paid_on,
        case when min(currency) = max(currency) then min(currency) end, sum(paid_amount)
    from supplier_lines
    where paid_on is not null
    group by supplier_id, paid_on

    union all

    select
        'ap', 'freight_invoice', freight_invoice_id,
        'freight_invoice', min(carrier_id), null, min(invoice_date),
        case when min(currency) = max(currency) then min(currency) end, sum(amount)
    from {{ ref('stg_freight_invoices') }}
    group by freight_invoice_id

),

freight_invoice_ids as (

    select distinct freight_invoice_id from {{ ref('stg_freight_invoices') }}

),

compared as (

    select
        coalesce(ledger.account, control_accounts.account, subledger.account_type) as account,
        coalesce(ledger.account_type, subledger.account_type) as account_type,
        coalesce(ledger.document_class, subledger.document_class) as document_class,
        coalesce(ledger.ref_doc_type, subledger.ref_doc_type) as ref_doc_type,
        coalesce(ledger.document_key, subledger.document_key) as document_key,
        coalesce(
            ledger.ref_doc_id,
            case when subledger.document_class in ('customer_invoice', 'supplier_invoice', 'freight_invoice') then subledger.document_key end
        ) as ref_doc_id,
        coalesce(ledger.partner_id, subledger.partner_id) as partner_id,
        coalesce(ledger.site_id, subledger.site_id) as site_id,
        coalesce(subledger.document_date, ledger.posting_date) as document_date,
        ledger.ledger_lines,
        ledger.currency as ledger_currency,
        case
            when ledger.document_class = 'carrier_payment' and freight_invoice_ids.freight_invoice_id is not null then ledger.currency
            else subledger.currency
        end as subledger_currency,
        ledger.ledger_amount,
        ledger.ledger_amount_cc,
        case
            when ledger.document_class = 'carrier_payment' and freight_invoice_ids.freight_invoice_id is not null then ledger.ledger_amount
            else subledger.subledger_amount
        end as subledger_amount,
        ledger.document_key is not null as is_in_ledger,
        subledger.document_key is not null
            or (ledger.document_class = 'carrier_payment' and freight_invoice_ids.freight_invoice_id is not null) as is_in_subledger
    from ledger
    full outer join subledger
        on ledger.account_type = subledger.account_type
        and ledger.document_class = subledger.document_class
        and ledger.document_key = subledger.document_key
    left join control_accounts
        on subledger.account_type = control_accounts.account_type
    left join freight_invoice_ids
        on ledger.document_class = 'carrier_payment'
        and ledger.ref_doc_id = freight_invoice_ids.freight_invoice_id

),

differences as (

    select
        *,
        coalesce(ledger_currency, subledger_currency) as currency,
        coalesce(ledger_currency, subledger_currency) is not null
            and (not is_in_ledger or not is_in_subledger or ledger_currency = subledger_currency) as is_single_currency,
        coalesce(ledger_amount, 0) - coalesce(subledger_amount, 0) as amount_difference
    from compared

),

{#- only the documents that differ need a rate: the others differ by 0, or only the
    ledger has them (its own amount_company) #}
rated as (

    select
        *,
        is_in_subledger and (not is_single_currency or amount_difference <> 0) as needs_rate
    from differences

),

to_convert as (

    select * from rated where needs_rate

),

converted as (

    select
        to_convert.*,
        case
            when is_single_currency then {{ to_company_currency('to_convert.amount_difference', 'to_convert.currency', 'fx') }}
            else ledger_amount_cc - {{ to_company_currency('to_convert.subledger_amount', 'to_convert.subledger_currency', 'fx_subledger') }}
        end as difference_cc
    from to_convert
    {{ fx_join('fx', 'to_convert.currency', 'to_convert.document_date') }}
    {{ fx_join('fx_subledger', 'to_convert.subledger_currency', 'to_convert.document_date') }}

),

not_converted as (

    select
        *,
        case when is_in_subledger then 0 else ledger_amount_cc end as difference_cc
    from rated
    where not needs_rate

),

with_difference_cc as (

    select * from converted
    union all by name
    select * from not_converted

),

flagged as (

    select
        *,
        case when is_single_currency then amount_difference end as difference,
        case
            when is_single_currency then amount_difference <> 0
            else coalesce(difference_cc <> 0, true)
        end as has_difference
    from with_difference_cc

)

select
    cast(account as varchar) as account,
    cast(account_type as varchar) as account_type,
    cast(document_class as varchar) as document_class,
    cast(ref_doc_type as varchar) as ref_doc_type,
    cast(document_key as varchar) as document_key,
    cast(ref_doc_id as varchar) as ref_doc_id,
    cast(partner_id as varchar) as partner_id,
    cast(site_id as varchar) as site_id,
    cast(document_date as date) as document_date,
    cast({{ dbt.date_trunc('month', 'document_date') }} as date) as month,
    cast(
        case
            when not has_difference then null
            when document_class = 'no_subledger' then 'no_subledger_document'
            when not is_in_subledger then 'not_in_subledger'
            when not is_in_ledger then 'not_in_ledger'
            else 'amount_differs'
        end
        as varchar) as exception_type,
    cast(currency as varchar) as currency,
    cast(coalesce(ledger_lines, 0) as bigint) as ledger_lines,
    cast(coalesce(ledger_amount, 0) as decimal(18, 4)) as ledger_amount,
    cast(coalesce(subledger_amount, 0) as decimal(18, 4)) as subledger_amount,
    cast(difference as decimal(18, 4)) as difference,
    cast(difference_cc as decimal(18, 4)) as difference_cc,
    cast(has_difference as boolean) as has_difference,
    cast(is_in_ledger as boolean) as is_in_ledger,
    cast(is_in_subledger as boolean) as is_in_subledger,
    cast(has_difference and difference_cc is null as boolean) as is_missing_fx_rate

from flagged
