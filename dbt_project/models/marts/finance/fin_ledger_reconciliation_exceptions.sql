{#
    Every difference between the receivable / payable control accounts of the general
    ledger and their sub-ledgers (customer invoices, supplier invoices, freight
    invoices and the payments recorded on them), one row per account x document, or
    per account x month for postings without any reference. amount = ledger -
    sub-ledger in document terms (difference) and in the company currency
    (difference_cc). The comparison itself, with the documents that agree, is
    int_ledger_subledger_comparison. Inventory accounts: fin_inventory_reconciliation_monthly;
    GR/IR: fin_grir_reconciliation.
#}
select
    account,
    account_type,
    ref_doc_type,
    document_key,
    ref_doc_id,
    exception_type,
    partner_id,
    site_id,
    document_date,
    month,
    currency,
    ledger_lines,
    ledger_amount,
    subledger_amount,
    difference,
    difference_cc,
    is_missing_fx_rate

from {{ ref('int_ledger_subledger_comparison') }}
where has_difference
