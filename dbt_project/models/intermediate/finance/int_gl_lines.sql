{#
    Current general-ledger lines with what every finance model needs, written once:
    the posting month, the site of the cost centre (var cost_center_site_prefix +
    site_id, e.g. CC-P-US1; NULL for other cost centres such as CC-HQ), the SCOR
    process of the account (seed gl_account_scor_process; NULL = account missing from
    the seed, which a test reports) and amount_cc = the ledger's own company-currency
    amount (amount_company). Amounts are signed as posted: debit positive. A view: each
    consumer reads its own slice of the ledger (AR/AP, freight, P&L by month), nothing
    is copied.
#}
{{ config(materialized='view') }}
{%- set prefix = var('cost_center_site_prefix') %}
with

gl_entries as (

    select * from {{ ref('stg_gl_entries') }}

),

sites as (

    select site_id from {{ ref('stg_sites') }}

),

accounts as (

    select account, scor_process from {{ ref('gl_account_scor_process') }}

)

select
    cast(gl_entries.entry_id as varchar) as entry_id,
    cast(gl_entries.line as varchar) as line,
    cast(gl_entries.posting_date as date) as posting_date,
    cast({{ dbt.date_trunc('month', 'gl_entries.posting_date') }} as date) as month,
    cast(gl_entries.account as varchar) as account,
    cast(gl_entries.account_type as varchar) as account_type,
    cast(gl_entries.cost_center as varchar) as cost_center,
    cast(sites.site_id as varchar) as site_id,
    cast(gl_entries.amount as decimal(18, 4)) as amount,
    cast(gl_entries.currency as varchar) as currency,
    cast(gl_entries.amount_company as decimal(18, 4)) as amount_cc,
    cast(gl_entries.partner_id as varchar) as partner_id,
    cast(gl_entries.ref_doc_type as varchar) as ref_doc_type,
    cast(gl_entries.ref_doc_id as varchar) as ref_doc_id,
    cast(accounts.scor_process as varchar) as scor_process

from gl_entries
left join sites
    on gl_entries.cost_center = '{{ prefix }}' || sites.site_id
left join accounts
    on gl_entries.account = accounts.account
