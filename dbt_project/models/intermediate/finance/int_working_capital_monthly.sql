{#
    Company working capital at every month-end, and the trailing flows behind days of
    inventory, sales and payables, written once (fin_cash_to_cash_monthly,
    kpi_scor_level1_monthly). Company currency throughout.

    - Months: from the month of the first day of the stock history (int_inventory_daily)
      through the as-of month. period_end = the month's last day, or the as-of date in
      the as-of month.
    - Inventory = stock value at standard on period_end (int_inventory_daily.value_cc).
    - AR open = customer invoice lines (credit notes included) dated on or before
      period_end, less what was paid on or before it; AP open = the same for supplier
      invoice lines. Both at the invoice date's rate.
    - Flows over the trailing window ending on period_end: var cash_to_cash_window_days
      (90), shortened to the days of stock history at the start: COGS of delivery lines
      shipped (int_delivery_line_cogs), net invoiced revenue (invoices less credit
      notes), net purchases invoiced by suppliers.
    - rows_without_value: invoice and delivery lines of the window and stock rows at
      period_end without a company-currency value (no rate, no standard cost): left out.
#}
{%- set window_days = var('cash_to_cash_window_days') | int %}
with

history as (

    select min(date_day) as history_start
    from {{ ref('int_inventory_daily') }}

),

months as (

    select
        calendar.month,
        least(max(calendar.date_day), {{ as_of_date() }}) as period_end
    from {{ ref('int_calendar') }} as calendar
    cross join history
    where calendar.month >= {{ dbt.date_trunc('month', 'history.history_start') }}
      and calendar.date_day <= {{ as_of_date() }}
    group by calendar.month

),

window_lengths as (

    select
        months.month,
        months.period_end,
        cast(least({{ window_days }}, {{ dbt.datediff('history.history_start', 'months.period_end', 'day') }} + 1) as integer) as window_days
    from months
    cross join history

),

periods as (

    select
        *,
        cast(period_end - window_days as date) as window_start
    from window_lengths

),

customer_lines as (

    select * from {{ ref('int_customer_invoice_lines') }}

),

supplier_lines as (

    select * from {{ ref('int_supplier_invoice_lines') }}

),

daily_flows as (

    select
        flow_date,
        sum(ar_change_cc) as ar_change_cc,
        sum(ap_change_cc) as ap_change_cc,
        sum(revenue_cc) as revenue_cc,
        sum(purchases_cc) as purchases_cc,
        sum(cogs_cc) as cogs_cc,
        sum(missing_value_lines) as missing_value_lines
    from (
        select invoice_date as flow_date, amount_cc as ar_change_cc, 0 as ap_change_cc, amount_cc as revenue_cc,
               0 as purchases_cc, 0 as cogs_cc, case when is_missing_fx_rate then 1 else 0 end as missing_value_lines
        from customer_lines
        union all
        select paid_on, -paid_amount_cc, 0, 0, 0, 0, 0
        from customer_lines
        where paid_on is not null
        union all
        select invoice_date, 0, amount_cc, 0, amount_cc, 0, case when is_missing_fx_rate then 1 else 0 end
        from supplier_lines
        union all
        select paid_on, 0, -paid_amount_cc, 0, 0, 0, 0
        from supplier_lines
        where paid_on is not null
        union all
        select shipped_on, 0, 0, 0, 0, cogs_cc, case when is_missing_fx_rate or is_missing_standard_cost then 1 else 0 end
        from {{ ref('int_delivery_line_cogs') }}
    ) as flows
    where flow_date <= {{ as_of_date() }}
    group by flow_date

),

balances as (

    select
        periods.month,
        sum(case when daily_flows.flow_date <= periods.period_end then daily_flows.ar_change_cc else 0 end) as ar_open_cc,
        sum(case when daily_flows.flow_date <= periods.period_end then daily_flows.ap_change_cc else 0 end) as ap_open_cc,
        sum(case when daily_flows.flow_date > periods.window_start then daily_flows.revenue_cc else 0 end) as revenue_window_cc,
        sum(case when daily_flows.flow_date > periods.window_start then daily_flows.purchases_cc else 0 end) as purchases_window_cc,
        sum(case when daily_flows.flow_date > periods.window_start then daily_flows.cogs_cc else 0 end) as cogs_window_cc,
        sum(case when daily_flows.flow_date > periods.window_start then daily_flows.missing_value_lines else 0 end) as lines_missing_value
    from periods
    inner join daily_flows
        on daily_flows.flow_date <= periods.period_end
    group by periods.month

),

stock as (

    select
        periods.month,
        sum(inventory.value_cc) as inventory_cc,
        sum(case when inventory.value_cc is null then 1 else 0 end) as stock_rows_without_value
    from periods
    inner join {{ ref('int_inventory_daily') }} as inventory
        on inventory.date_day = periods.period_end
    group by periods.month

)

select
    cast(periods.month as date) as month,
    cast(periods.period_end as date) as period_end,
    cast(periods.window_days as integer) as window_days,
    cast(coalesce(stock.inventory_cc, 0) as decimal(18, 4)) as inventory_cc,
    cast(coalesce(balances.ar_open_cc, 0) as decimal(18, 4)) as ar_open_cc,
    cast(coalesce(balances.ap_open_cc, 0) as decimal(18, 4)) as ap_open_cc,
    cast(coalesce(stock.inventory_cc, 0) + coalesce(balances.ar_open_cc, 0) - coalesce(balances.ap_open_cc, 0) as decimal(18, 4)) as working_capital_cc,
    cast(coalesce(balances.cogs_window_cc, 0) as decimal(18, 4)) as cogs_window_cc,
    cast(coalesce(balances.revenue_window_cc, 0) as decimal(18, 4)) as revenue_window_cc,
    cast(coalesce(balances.purchases_window_cc, 0) as decimal(18, 4)) as purchases_window_cc,
    cast(coalesce(balances.lines_missing_value, 0) + coalesce(stock.stock_rows_without_value, 0) as bigint) as rows_without_value

from periods
left join balances
    on periods.month = balances.month
left join stock
    on periods.month = stock.month
