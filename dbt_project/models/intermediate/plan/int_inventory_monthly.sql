{#
    Stock of every item x site by month, written once for kpi_inventory_monthly and
    fin_inventory_valuation_monthly, from the daily balance (int_inventory_daily): one
    row per item x site x month of the series (its first movement ... the as-of date),
    in one pass over the days.

    - period_end_date: the last day of the month, or the as-of date in the running
      month; the stock columns are that day's end-of-day balance, standard cost and
      value (the standard cost valid on that day).
    - Sums over the days of the month for averages: value_day_sum / days_valued (and
      in the company currency, each day at its own rate).
    - Usage: the consuming outflows of int_inventory_daily (sale, consumption, issue,
      transfer_out), valued day by day at the standard cost valid that day;
      usage_value is NULL when a day with usage had no standard cost.
    - Scrap (write-downs): scrap movements, valued the same way; in the company
      currency at each scrap day's rate.
    - Stocked days: the days from the first day stock came in (the first positive
      movement: opening balance, receipt, production, transfer in), also when it left
      the same day; stock-out days: stocked days ending with on hand <= 0.
    - last_usage_date: the latest day with usage up to the period end (any earlier
      month included); NULL when never used.
#}
with

daily as (

    select * from {{ ref('int_inventory_daily') }}

),

series as (

    select
        item_id,
        site_id,
        min(date_day) as first_day,
        min(case when qty_in > 0 then date_day end) as first_stocked_day
    from daily
    group by item_id, site_id

),

{# the few scrap days, filtered before the rate join #}
scrap_days as (

    select
        scrapped.item_id,
        scrapped.site_id,
        scrapped.month,
        {{ to_company_currency(money_product('scrapped.qty_scrapped', 'scrapped.standard_cost'), 'scrapped.currency', 'fx') }} as scrap_value_cc
    from (select * from daily where qty_scrapped <> 0) as scrapped
    {{ fx_join('fx', 'scrapped.currency', 'scrapped.date_day') }}

),

scrap_cc as (

    select
        item_id,
        site_id,
        month,
        sum(scrap_value_cc) as scrap_value_cc,
        count(*) - count(scrap_value_cc) as scrap_days_not_converted
    from scrap_days
    group by item_id, site_id, month

),

monthly as (

    select
        daily.item_id,
        daily.site_id,
        daily.month,
        max(daily.date_day) as period_end_date,
        count(*) as days_in_period,
        arg_max_null(daily.qty_on_hand, daily.date_day) as qty_on_hand,
        arg_max_null(daily.standard_cost, daily.date_day) as standard_cost,
        arg_max_null(daily.currency, daily.date_day) as currency,
        arg_max_null(daily.value, daily.date_day) as value,
        arg_max_null(daily.value_cc, daily.date_day) as value_cc,
        arg_max_null(daily.is_missing_fx_rate, daily.date_day) as is_missing_fx_rate,
        arg_max_null(daily.qty_demand_window, daily.date_day) as qty_demand_window,
        arg_max_null(daily.window_days, daily.date_day) as window_days,
        sum(daily.value) as value_day_sum,
        count(daily.value) as days_valued,
        sum(daily.value_cc) as value_cc_day_sum,
        count(daily.value_cc) as days_valued_cc,
        sum(daily.qty_demand) as qty_usage,
        sum({{ money_product('daily.qty_demand', 'daily.standard_cost') }}) as usage_value_known,
        count(case when daily.qty_demand <> 0 and daily.standard_cost is null then 1 end) as usage_days_without_cost,
        sum(daily.qty_scrapped) as qty_scrapped,
        sum({{ money_product('daily.qty_scrapped', 'daily.standard_cost') }}) as scrap_value_known,
        count(case when daily.qty_scrapped <> 0 and daily.standard_cost is null then 1 end) as scrap_days_without_cost,
        count(case when daily.date_day >= series.first_stocked_day then 1 end) as stocked_days,
        count(case when daily.date_day >= series.first_stocked_day and daily.qty_on_hand <= 0 then 1 end) as stock_out_days,
        max(case when daily.qty_demand > 0 then daily.date_day end) as last_usage_in_month,
        any_value(series.first_day) as first_day
    from daily
    inner join series
        on daily.item_id = series.item_id
        and daily.site_id = series.site_id
    group by daily.item_id, daily.site_id, daily.month

)

select
    monthly.item_id,
    monthly.site_id,
    monthly.month,
    monthly.period_end_date,
    monthly.period_end_date = cast(monthly.month + interval 1 month - interval 1 day as date) as is_complete_month,
    cast(monthly.days_in_period as integer) as days_in_period,
    monthly.first_day,
    cast(monthly.qty_on_hand as decimal(18, 4)) as qty_on_hand,
    cast(monthly.standard_cost as decimal(18, 4)) as standard_cost,
    monthly.currency,
    cast(monthly.value as decimal(18, 4)) as value,
    cast(monthly.value_cc as decimal(18, 4)) as value_cc,
    monthly.is_missing_fx_rate,
    cast(monthly.qty_demand_window as decimal(18, 4)) as qty_demand_window,
    cast(monthly.window_days as integer) as window_days,
    cast(monthly.value_day_sum as decimal(38, 4)) as value_day_sum,
    cast(monthly.days_valued as integer) as days_valued,
    cast(monthly.value_cc_day_sum as decimal(38, 4)) as value_cc_day_sum,
    cast(monthly.days_valued_cc as integer) as days_valued_cc,
    cast(monthly.qty_usage as decimal(18, 4)) as qty_usage,
    cast(case when monthly.usage_days_without_cost = 0 then coalesce(monthly.usage_value_known, 0) end as decimal(18, 4)) as usage_value,
    cast(monthly.qty_scrapped as decimal(18, 4)) as qty_scrapped,
    cast(case when monthly.scrap_days_without_cost = 0 then coalesce(monthly.scrap_value_known, 0) end as decimal(18, 4)) as scrap_value,
    cast(case
        when monthly.scrap_days_without_cost > 0 or coalesce(scrap_cc.scrap_days_not_converted, 0) > 0 then null
        else coalesce(scrap_cc.scrap_value_cc, 0)
    end as decimal(18, 4)) as scrap_value_cc,
    cast(monthly.stocked_days as integer) as stocked_days,
    cast(monthly.stock_out_days as integer) as stock_out_days,
    max(monthly.last_usage_in_month) over (
        partition by monthly.item_id, monthly.site_id order by monthly.month
        rows between unbounded preceding and current row) as last_usage_date

from monthly
left join scrap_cc
    on monthly.item_id = scrap_cc.item_id
    and monthly.site_id = scrap_cc.site_id
    and monthly.month = scrap_cc.month
