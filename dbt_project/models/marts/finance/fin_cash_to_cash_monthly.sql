{#
    Cash-to-cash cycle of the company by month, from the month-end balances and the
    trailing flows of int_working_capital_monthly (company currency):
    DIO = inventory / (COGS of the window / window days), DSO = AR open / (net revenue
    of the window / window days), DPO = AP open / (net supplier purchases of the window
    / window days); cash-to-cash = DIO + DSO - DPO. Days with 4 decimals, NULL when the
    window's flow is 0 (cash-to-cash NULL when any part is).
#}
with

working_capital as (

    select * from {{ ref('int_working_capital_monthly') }}

),

days as (

    select
        *,
        cast({{ ratio('inventory_cc * window_days', 'cogs_window_cc', 4) }} as decimal(18, 4)) as dio_days,
        cast({{ ratio('ar_open_cc * window_days', 'revenue_window_cc', 4) }} as decimal(18, 4)) as dso_days,
        cast({{ ratio('ap_open_cc * window_days', 'purchases_window_cc', 4) }} as decimal(18, 4)) as dpo_days
    from working_capital

)

select
    cast(month as date) as month,
    cast(period_end as date) as period_end,
    cast(window_days as integer) as window_days,
    inventory_cc,
    ar_open_cc,
    ap_open_cc,
    working_capital_cc,
    cogs_window_cc,
    revenue_window_cc,
    purchases_window_cc,
    dio_days,
    dso_days,
    dpo_days,
    cast(dio_days + dso_days - dpo_days as decimal(18, 4)) as cash_to_cash_days,
    rows_without_value

from days
