{#
    SCOR level-1 scorecard of the company by month:
    - reliability: perfect order fulfilment % and responsiveness: order fulfilment
      cycle time, both from kpi_service_level_monthly (month of the lines' deadline;
      perfect order = every counted line on time, in full, not returned damaged, not
      credited - fct_sales_order_lines.is_perfect_line);
    - cost: total supply-chain cost = the P&L postings (debit positive, company
      currency) of the GL accounts mapped to a SCOR process in the seed
      gl_account_scor_process, by posting month, with one column per process;
    - asset management: cash-to-cash days (fin_cash_to_cash_monthly) and return on
      working capital = (net revenue posted on revenue accounts - total supply-chain
      cost) / working capital at month-end (inventory + AR - AP), for the month, not
      annualised; NULL when working capital is not positive.
    One row per month of the stock history through the as-of month.
#}
with

cash_to_cash as (

    select * from {{ ref('fin_cash_to_cash_monthly') }}

),

service as (

    select month, orders_counted, orders_perfect, perfect_order_pct, cycle_time_mean_days
    from {{ ref('kpi_service_level_monthly') }}

),

ledger as (

    select
        month,
        sum(case when scor_process = 'plan' then amount_cc else 0 end) as plan_cost_cc,
        sum(case when scor_process = 'source' then amount_cc else 0 end) as source_cost_cc,
        sum(case when scor_process = 'make' then amount_cc else 0 end) as make_cost_cc,
        sum(case when scor_process = 'deliver' then amount_cc else 0 end) as deliver_cost_cc,
        sum(case when scor_process = 'return' then amount_cc else 0 end) as return_cost_cc,
        sum(case when scor_process = 'enable' then amount_cc else 0 end) as enable_cost_cc,
        -sum(case when account_type = 'revenue' then amount_cc else 0 end) as revenue_cc
    from {{ ref('int_gl_lines') }}
    group by month

),

joined as (

    select
        cash_to_cash.month,
        service.orders_counted,
        service.orders_perfect,
        service.perfect_order_pct,
        service.cycle_time_mean_days,
        coalesce(ledger.plan_cost_cc, 0) as plan_cost_cc,
        coalesce(ledger.source_cost_cc, 0) as source_cost_cc,
        coalesce(ledger.make_cost_cc, 0) as make_cost_cc,
        coalesce(ledger.deliver_cost_cc, 0) as deliver_cost_cc,
        coalesce(ledger.return_cost_cc, 0) as return_cost_cc,
        coalesce(ledger.enable_cost_cc, 0) as enable_cost_cc,
        coalesce(ledger.revenue_cc, 0) as revenue_cc,
        cash_to_cash.cash_to_cash_days,
        cash_to_cash.working_capital_cc
    from cash_to_cash
    left join service
        on cash_to_cash.month = service.month
    left join ledger
        on cash_to_cash.month = ledger.month

),

totals as (

    select
        *,
        plan_cost_cc + source_cost_cc + make_cost_cc + deliver_cost_cc + return_cost_cc + enable_cost_cc
            as total_supply_chain_cost_cc
    from joined

)

select
    cast(month as date) as month,
    cast(coalesce(orders_counted, 0) as bigint) as orders_counted,
    cast(coalesce(orders_perfect, 0) as bigint) as orders_perfect,
    cast(perfect_order_pct as decimal(9, 2)) as perfect_order_fulfilment_pct,
    cast(cycle_time_mean_days as decimal(18, 4)) as order_fulfilment_cycle_time_days,
    cast(revenue_cc as decimal(18, 4)) as revenue_cc,
    cast(plan_cost_cc as decimal(18, 4)) as plan_cost_cc,
    cast(source_cost_cc as decimal(18, 4)) as source_cost_cc,
    cast(make_cost_cc as decimal(18, 4)) as make_cost_cc,
    cast(deliver_cost_cc as decimal(18, 4)) as deliver_cost_cc,
    cast(return_cost_cc as decimal(18, 4)) as return_cost_cc,
    cast(enable_cost_cc as decimal(18, 4)) as enable_cost_cc,
    cast(total_supply_chain_cost_cc as decimal(18, 4)) as total_supply_chain_cost_cc,
    {{ pct('total_supply_chain_cost_cc', 'revenue_cc') }} as supply_chain_cost_revenue_pct,
    cast(cash_to_cash_days as decimal(18, 4)) as cash_to_cash_days,
    cast(working_capital_cc as decimal(18, 4)) as working_capital_cc,
    case
        when working_capital_cc > 0
            then {{ pct('revenue_cc - total_supply_chain_cost_cc', 'working_capital_cc') }}
    end as return_on_working_capital_pct

from totals
