{#
    The stock sub-ledger and the stock account of the general ledger per site and
    month, written once for fin_inventory_reconciliation_monthly: one row per site x
    currency x month from the site's first stock movement or posting through the
    as-of month (a month without activity carries the balances on).

    - Sub-ledger: the posted value of every stock movement (inventory_movements.value,
      the amount the ERP books to stock) of the site.
    - General ledger: gl_entries on the stock accounts of var inventory_gl_accounts
      (1400 Inventory: WIP 1410 and goods in transit 1420 are inventory-type accounts
      without a stock movement behind each posting), the site taken from the cost
      centre (var cost_center_site_prefix + site_id).
    Both in the document currency (the site's), up to the as-of date; balances are the
    cumulative sums (every ledger starts empty: opening balances are movements and
    postings).
#}
{%- set accounts = var('inventory_gl_accounts') %}
{%- set prefix = var('cost_center_site_prefix') | string %}
with

subledger as (

    select
        site_id,
        currency,
        cast(date_trunc('month', posted_on) as date) as month,
        sum(value) as subledger_amount,
        count(*) - count(value) as movements_without_value
    from {{ ref('stg_inventory_movements') }}
    where posted_on <= {{ as_of_date() }}
      and site_id is not null
    group by site_id, currency, cast(date_trunc('month', posted_on) as date)

),

ledger as (

    select
        substr(cost_center, {{ prefix | length + 1 }}) as site_id,
        currency,
        cast(date_trunc('month', posting_date) as date) as month,
        sum(amount) as gl_amount
    from {{ ref('stg_gl_entries') }}
    where posting_date <= {{ as_of_date() }}
      and account in ({% for account in accounts %}'{{ account }}'{{ ', ' if not loop.last }}{% endfor %})
      and starts_with(cost_center, '{{ prefix }}')
    group by substr(cost_center, {{ prefix | length + 1 }}), currency, cast(date_trunc('month', posting_date) as date)

),

activity as (

    select
        coalesce(subledger.site_id, ledger.site_id) as site_id,
        coalesce(subledger.currency, ledger.currency) as currency,
        coalesce(subledger.month, ledger.month) as month,
        coalesce(subledger.subledger_amount, 0) as subledger_amount,
        coalesce(ledger.gl_amount, 0) as gl_amount,
        coalesce(subledger.movements_without_value, 0) as movements_without_value
    from subledger
    full outer join ledger
        on subledger.site_id = ledger.site_id
        and subledger.currency is not distinct from ledger.currency
        and subledger.month = ledger.month

),

months as (

    select
        spans.site_id,
        spans.currency,
        calendar.month
    from (
        select site_id, currency, min(month) as first_month
        from activity
        group by site_id, currency
    ) as spans
    inner join {{ ref('int_calendar') }} as calendar
        on calendar.day_of_month = 1
        and calendar.month >= spans.first_month
        and calendar.month <= {{ as_of_date() }}

)

select
    months.site_id,
    months.currency,
    months.month,
    least(cast(months.month + interval 1 month - interval 1 day as date), {{ as_of_date() }}) as period_end_date,
    cast(coalesce(activity.subledger_amount, 0) as decimal(18, 4)) as subledger_amount,
    cast(coalesce(activity.gl_amount, 0) as decimal(18, 4)) as gl_amount,
    cast(sum(coalesce(activity.subledger_amount, 0)) over balance as decimal(18, 4)) as subledger_balance,
    cast(sum(coalesce(activity.gl_amount, 0)) over balance as decimal(18, 4)) as gl_balance,
    cast(coalesce(activity.movements_without_value, 0) as integer) as movements_without_value

from months
left join activity
    on months.site_id = activity.site_id
    and months.currency is not distinct from activity.currency
    and months.month = activity.month
window balance as (
    partition by months.site_id, months.currency order by months.month
    rows between unbounded preceding and current row)
