{#
    Spend budget against actual spend by site x category x month, company currency.
    Budget: the budgets extract (site currency) converted at the rate of the month's
    last day (or the latest earlier one) - one rate for the whole month. Actual: what the ledger posted (int_gl_category_spend: supplier invoices
    and credit notes on the payable, split by item category; freight expense as
    'Freight'). Variance = actual - budget (positive = overspent); variance % =
    variance / budget. Months: from the first month of the ledger through the as-of
    month (budgets of later months, or of months before the ledger starts, are not
    compared). One row per site x category x month with a budget or an actual.
#}
with

ledger_months as (

    select
        min(month) as first_month,
        cast({{ dbt.date_trunc('month', as_of_date()) }} as date) as last_month
    from {{ ref('int_gl_lines') }}

),

budget_periods as (

    select
        *,
        cast(last_day(period) as date) as rate_date
    from {{ ref('stg_budgets') }}

),

budget_lines as (

    select
        budgets.site_id,
        budgets.category,
        cast({{ dbt.date_trunc('month', 'budgets.period') }} as date) as month,
        budgets.amount,
        budgets.currency,
        {{ to_company_currency('budgets.amount', 'budgets.currency', 'fx') }} as amount_cc,
        {{ is_missing_fx_rate('budgets.amount', 'budgets.currency', 'fx') }} as is_missing_fx_rate
    from budget_periods as budgets
    {{ fx_join('fx', 'budgets.currency', 'budgets.rate_date') }}

),

budget as (

    select
        site_id,
        category,
        month,
        sum(amount) as budget,
        case when count(distinct currency) = 1 then min(currency) end as budget_currency,
        sum(amount_cc) as budget_cc,
        bool_or(is_missing_fx_rate) as is_missing_fx_rate
    from budget_lines
    group by site_id, category, month

),

actual as (

    select
        site_id,
        category,
        month,
        sum(spend_cc) as actual_cc,
        count(*) as actual_documents
    from {{ ref('int_gl_category_spend') }}
    group by site_id, category, month

),

joined as (

    select
        coalesce(budget.site_id, actual.site_id) as site_id,
        coalesce(budget.category, actual.category) as category,
        coalesce(budget.month, actual.month) as month,
        budget.budget,
        budget.budget_currency,
        budget.budget_cc,
        coalesce(actual.actual_cc, 0) as actual_cc,
        coalesce(actual.actual_documents, 0) as actual_documents,
        coalesce(budget.is_missing_fx_rate, false) as is_missing_fx_rate
    from budget
    full outer join actual
        on budget.site_id = actual.site_id
        and budget.category = actual.category
        and budget.month = actual.month

)

select
    cast(joined.site_id as varchar) as site_id,
    cast(joined.category as varchar) as category,
    cast(joined.month as date) as month,
    cast(joined.budget as decimal(18, 4)) as budget,
    cast(joined.budget_currency as varchar) as budget_currency,
    cast(joined.budget_cc as decimal(18, 4)) as budget_cc,
    cast(joined.actual_cc as decimal(18, 4)) as actual_cc,
    cast(joined.actual_documents as bigint) as actual_documents,
    cast(joined.actual_cc - joined.budget_cc as decimal(18, 4)) as variance_cc,
    {{ pct('joined.actual_cc - joined.budget_cc', 'joined.budget_cc') }} as variance_pct,
    cast(joined.is_missing_fx_rate as boolean) as is_missing_fx_rate

from joined
cross join ledger_months
where joined.month between ledger_months.first_month and ledger_months.last_month
