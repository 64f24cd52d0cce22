{#
    Month-end reconciliation of the stock per site (docs/kpi_catalog.md): the stock
    sub-ledger (posted value of the stock movements) against the balance of the stock
    account in the general ledger (int_inventory_ledger_monthly), the stock valued at
    the standard cost of the month end (int_inventory_monthly), and the accuracy of
    the month's cycle counts (int_cycle_counts). The running month ends on the as-of
    date.

    - difference = GL balance - sub-ledger value (what the ledger holds - what the
      sub-ledger holds); difference_in_month = the change of the difference over the
      month (a posting without a movement, or the reverse, in that month).
    - *_cc: balances at the rate of the month end; count values at the count dates'.
    - count accuracy = counts within tolerance / counts; count_abs_difference_pct =
      sum |difference| x standard cost / sum system qty x standard cost, over the
      counts with a company-currency value (counts_not_valued: without a standard
      cost or a rate, left out of both).
#}
with

ledger as (

    select * from {{ ref('int_inventory_ledger_monthly') }}

),

stock as (

    select
        site_id,
        currency,
        month,
        sum(value) as stock_value_at_standard,
        count(case when standard_cost is null and qty_on_hand <> 0 then 1 end) as item_sites_without_standard_cost
    from {{ ref('int_inventory_monthly') }}
    group by site_id, currency, month

),

counts as (

    select
        site_id,
        month,
        count(*) as cycle_counts,
        count(case when is_within_tolerance then 1 end) as counts_within_tolerance,
        sum(case when system_value_cc is not null then abs_difference_value_cc end) as count_abs_difference_value_cc,
        sum(system_value_cc) as count_system_value_cc,
        count(*) - count(system_value_cc) as counts_not_valued
    from {{ ref('int_cycle_counts') }}
    group by site_id, month

),

joined as (

    select
        ledger.*,
        ledger.gl_balance - ledger.subledger_balance as difference,
        ledger.gl_amount - ledger.subledger_amount as difference_in_month,
        stock.stock_value_at_standard,
        coalesce(stock.item_sites_without_standard_cost, 0) as item_sites_without_standard_cost,
        coalesce(counts.cycle_counts, 0) as cycle_counts,
        coalesce(counts.counts_within_tolerance, 0) as counts_within_tolerance,
        coalesce(counts.count_abs_difference_value_cc, 0) as count_abs_difference_value_cc,
        coalesce(counts.count_system_value_cc, 0) as count_system_value_cc,
        coalesce(counts.counts_not_valued, 0) as counts_not_valued
    from ledger
    left join stock
        on ledger.site_id = stock.site_id
        and ledger.currency is not distinct from stock.currency
        and ledger.month = stock.month
    left join counts
        on ledger.site_id = counts.site_id
        and ledger.month = counts.month

)

select
    cast(joined.site_id as varchar) as site_id,
    cast(joined.month as date) as month,
    cast(joined.period_end_date as date) as month_end_date,
    cast(joined.period_end_date = cast(joined.month + interval 1 month - interval 1 day as date) as boolean) as is_complete_month,
    cast(joined.currency as varchar) as currency,
    cast(joined.subledger_balance as decimal(18, 4)) as subledger_value,
    cast(joined.gl_balance as decimal(18, 4)) as gl_balance,
    cast(joined.difference as decimal(18, 4)) as difference,
    cast(joined.difference_in_month as decimal(18, 4)) as difference_in_month,
    {{ to_company_currency('joined.subledger_balance', 'joined.currency', 'fx') }} as subledger_value_cc,
    {{ to_company_currency('joined.gl_balance', 'joined.currency', 'fx') }} as gl_balance_cc,
    {{ to_company_currency('joined.difference', 'joined.currency', 'fx') }} as difference_cc,
    cast(joined.stock_value_at_standard as decimal(18, 4)) as stock_value_at_standard,
    cast(joined.item_sites_without_standard_cost as integer) as item_sites_without_standard_cost,
    cast(joined.movements_without_value as integer) as movements_without_value,
    cast(joined.cycle_counts as integer) as cycle_counts,
    cast(joined.counts_within_tolerance as integer) as counts_within_tolerance,
    {{ pct('joined.counts_within_tolerance', 'joined.cycle_counts') }} as count_accuracy_pct,
    cast(joined.count_abs_difference_value_cc as decimal(18, 4)) as count_abs_difference_value_cc,
    cast(joined.count_system_value_cc as decimal(18, 4)) as count_system_value_cc,
    cast(joined.counts_not_valued as integer) as counts_not_valued,
    {{ pct('joined.count_abs_difference_value_cc', 'joined.count_system_value_cc') }} as count_abs_difference_pct,
    cast({{ is_missing_fx_rate('joined.gl_balance', 'joined.currency', 'fx') }} as boolean) as is_missing_fx_rate

from joined
{{ fx_join('fx', 'joined.currency', 'joined.period_end_date') }}
