{#
    Inventory KPIs per item x site x month (docs/kpi_catalog.md), from the monthly
    stock of int_inventory_monthly. Money in the item-site currency, *_cc in the
    company currency.

    - avg inventory value = mean of the daily values of the month (NULL when a day
      had no standard cost); carrying cost = avg value x var carrying_cost_rate_annual
      / 12.
    - LTM window: the month and the 11 before it (fewer for a younger series).
      cogs_ltm = usage valued at standard cost over the window; turns = cogs_ltm x 365
      / sum of daily values of the window (= COGS / average inventory, annualised by
      the days of the window); dio_days = sum of daily values / cogs_ltm (average
      inventory / average daily COGS), so turns x dio = 365. NULL at a zero
      denominator.
    - stock-out rate = stock-out days / stocked days.
    - obsolete: discontinued item, or no usage in the var obsolete_after_months months
      ending at the period end (a never-used series: its first day that long ago);
      obsolete value = stock value at the period end.
    - excess (not obsolete stock only, so excess + obsolete is the E&O exposure):
      on hand above var excess_coverage_days days of TRAILING average daily demand
      (the forecast is not built yet), valued at the standard cost.
#}
{%- set coverage_days = var('excess_coverage_days') | int %}
{%- set obsolete_months = var('obsolete_after_months') | int %}
{%- set carrying_rate = var('carrying_cost_rate_annual') | string %}
with

monthly as (

    select * from {{ ref('int_inventory_monthly') }}

),

windowed as (

    select
        monthly.*,
        sum(days_in_period) over ltm as ltm_days,
        sum(days_valued) over ltm as ltm_days_valued,
        sum(value_day_sum) over ltm as ltm_value_day_sum,
        sum(usage_value) over ltm as cogs_ltm_known,
        count(*) over ltm - count(usage_value) over ltm as ltm_months_without_cost
    from monthly
    window ltm as (
        partition by item_id, site_id order by month
        rows between 11 preceding and current row)

),

measures as (

    select
        windowed.*,
        case when ltm_months_without_cost = 0 then cogs_ltm_known end as cogs_ltm,
        case when ltm_days_valued = ltm_days then ltm_value_day_sum end as ltm_value_sum,
        case when days_valued = days_in_period then value_day_sum end as month_value_sum,
        case when days_valued_cc = days_in_period then value_cc_day_sum end as month_value_cc_sum,
        coalesce(item.is_discontinued, false) as is_discontinued,
        coalesce(last_usage_date, first_day) <= cast(period_end_date - interval {{ obsolete_months }} month as date)
            as has_no_recent_usage,
        {{ ratio(coverage_days ~ ' * qty_demand_window', 'window_days', 4) }} as coverage_qty
    from windowed
    left join {{ ref('dim_item') }} as item
        on windowed.item_id = item.item_id

),

flagged as (

    select
        measures.*,
        is_discontinued or has_no_recent_usage as is_obsolete,
        case
            when is_discontinued or has_no_recent_usage then 0
            else greatest(qty_on_hand - coalesce(coverage_qty, 0), 0)
        end as excess_qty
    from measures

),

valued as (

    select
        flagged.*,
        {{ money_product('flagged.excess_qty', 'flagged.standard_cost') }} as excess_value,
        {#- greatest() would turn a NULL value (no standard cost) into 0 #}
        case when not flagged.is_obsolete or flagged.value <= 0 then 0 else flagged.value end as obsolete_value,
        case when not flagged.is_obsolete or flagged.value_cc <= 0 then 0 else flagged.value_cc end as obsolete_value_cc
    from flagged

)

select
    cast(valued.item_id as varchar) as item_id,
    cast(valued.site_id as varchar) as site_id,
    cast(valued.month as date) as month,
    cast(valued.period_end_date as date) as period_end_date,
    cast(valued.is_complete_month as boolean) as is_complete_month,
    cast(valued.currency as varchar) as currency,
    cast(valued.days_in_period as integer) as days_in_period,
    cast(valued.qty_on_hand as decimal(18, 4)) as qty_on_hand,
    cast(valued.value as decimal(18, 4)) as inventory_value,
    cast(valued.value_cc as decimal(18, 4)) as inventory_value_cc,
    cast({{ ratio('valued.month_value_sum', 'valued.days_in_period', 4) }} as decimal(18, 4)) as avg_inventory_value,
    cast({{ ratio('valued.month_value_cc_sum', 'valued.days_in_period', 4) }} as decimal(18, 4)) as avg_inventory_value_cc,
    cast(valued.qty_usage as decimal(18, 4)) as qty_usage,
    cast(valued.usage_value as decimal(18, 4)) as usage_value,
    cast(valued.cogs_ltm as decimal(18, 4)) as cogs_ltm,
    cast(valued.ltm_days as integer) as ltm_days,
    cast({{ ratio('valued.ltm_value_sum', 'valued.ltm_days', 4) }} as decimal(18, 4)) as avg_inventory_value_ltm,
    cast(case when valued.ltm_value_sum > 0 then {{ ratio('valued.cogs_ltm * 365', 'valued.ltm_value_sum', 4) }} end as decimal(18, 4)) as turns,
    cast(case when valued.cogs_ltm > 0 and valued.ltm_value_sum >= 0 then {{ ratio('valued.ltm_value_sum', 'valued.cogs_ltm', 4) }} end as decimal(18, 4)) as dio_days,
    cast(valued.stocked_days as integer) as stocked_days,
    cast(valued.stock_out_days as integer) as stock_out_days,
    {{ pct('valued.stock_out_days', 'valued.stocked_days') }} as stock_out_rate_pct,
    cast(valued.coverage_qty as decimal(18, 4)) as coverage_qty,
    cast(valued.excess_qty as decimal(18, 4)) as excess_qty,
    cast(valued.excess_value as decimal(18, 4)) as excess_value,
    {{ to_company_currency('valued.excess_value', 'valued.currency', 'fx') }} as excess_value_cc,
    cast(valued.last_usage_date as date) as last_usage_date,
    cast(valued.is_discontinued as boolean) as is_discontinued,
    cast(valued.is_obsolete as boolean) as is_obsolete,
    cast(case
        when valued.is_discontinued then 'discontinued'
        when valued.has_no_recent_usage then 'no_usage'
    end as varchar) as obsolete_reason,
    cast(valued.obsolete_value as decimal(18, 4)) as obsolete_value,
    cast(valued.obsolete_value_cc as decimal(18, 4)) as obsolete_value_cc,
    cast({{ ratio('valued.month_value_sum * ' ~ carrying_rate, 'valued.days_in_period * 12', 4) }} as decimal(18, 4)) as carrying_cost,
    cast({{ ratio('valued.month_value_cc_sum * ' ~ carrying_rate, 'valued.days_in_period * 12', 4) }} as decimal(18, 4)) as carrying_cost_cc,
    cast(valued.standard_cost is null as boolean) as is_missing_standard_cost,
    cast(
        valued.days_valued_cc < valued.days_valued
        or {{ is_missing_fx_rate('valued.excess_value', 'valued.currency', 'fx') }}
        as boolean) as is_missing_fx_rate

from valued
{{ fx_join('fx', 'valued.currency', 'valued.period_end_date') }}
