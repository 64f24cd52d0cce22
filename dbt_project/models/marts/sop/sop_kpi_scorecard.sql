-- depends_on: {{ ref('dim_site') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='cycle',
        on_schema_change='fail',
        full_refresh=false,
    )
}}
{#
    The S&OP scorecard of the cycle, one row per site, for the last closed month
    before the cycle (kpi_month = cycle - 1 month):
    - forecast WAPE and bias at lag 1 and 3: the family x site rows of the month in
      int_sop_demand that have the lag's forecast: WAPE = sum |F - A| / sum A, bias =
      sum (F - A) / sum A (positive = over-forecast), statistical monthly forecast
      against actual orders;
    - OTIF, line and unit fill rate: re-aggregated from the counts of
      kpi_customer_service_monthly (lines, quantities) over the site's customers;
    - supplier OTD: on-time due PO lines / due PO lines of the site whose deadline
      falls in the month (fct_purchase_order_lines);
    - inventory value: on hand at standard cost on cycle_as_of (int_inventory_daily);
    - inventory turns: the site's COGS of the last twelve months / its average
      inventory over them (sum over its item-sites of kpi_inventory_monthly, one
      currency per site); E&O value: excess + obsolete value in company currency of
      the kpi month (kpi_inventory_monthly);
    - cash-to-cash days: the company's, of the kpi month (fin_cash_to_cash_monthly).
#}
with

cycle as (

    select
        sop_cycle.*,
        cast(sop_cycle.cycle - interval 1 month as date) as kpi_month
    from {{ ref('int_sop_cycle') }} as sop_cycle

),

sites as (

    select site_id from {{ ref('stg_sites') }}

),

accuracy as (

    select
        demand.site_id,
        sum(case when demand.forecast_lag1_qty is not null then abs(demand.forecast_lag1_qty - demand.actual_orders_qty) end) as abs_error_lag1,
        sum(case when demand.forecast_lag1_qty is not null then demand.forecast_lag1_qty - demand.actual_orders_qty end) as error_lag1,
        sum(case when demand.forecast_lag1_qty is not null then demand.actual_orders_qty end) as actual_lag1,
        sum(case when demand.forecast_lag3_qty is not null then abs(demand.forecast_lag3_qty - demand.actual_orders_qty) end) as abs_error_lag3,
        sum(case when demand.forecast_lag3_qty is not null then demand.forecast_lag3_qty - demand.actual_orders_qty end) as error_lag3,
        sum(case when demand.forecast_lag3_qty is not null then demand.actual_orders_qty end) as actual_lag3
    from {{ ref('int_sop_demand') }} as demand
    inner join cycle
        on demand.month = cycle.kpi_month
    where demand.actual_orders_qty is not null
    group by demand.site_id

),

service as (

    select
        service.site_id,
        sum(service.lines_counted) as lines_counted,
        sum(service.lines_otif) as lines_otif,
        sum(service.lines_in_full) as lines_in_full,
        sum(service.qty_filled) as qty_filled,
        sum(service.qty_ordered) as qty_ordered
    from {{ ref('kpi_customer_service_monthly') }} as service
    inner join cycle
        on service.month = cycle.kpi_month
    group by service.site_id

),

suppliers as (

    select
        lines.site_id,
        count(*) as lines_due,
        sum(case when lines.on_time then 1 else 0 end) as lines_on_time
    from {{ ref('fct_purchase_order_lines') }} as lines
    inner join cycle
        on lines.month = cycle.kpi_month
    where lines.is_due
    group by lines.site_id

),

stock as (

    select daily.site_id, sum(daily.value_cc) as inventory_value_cc
    from {{ ref('int_inventory_daily') }} as daily
    inner join cycle
        on daily.date_day = cycle.cycle_as_of
    group by daily.site_id

),

inventory as (

    select
        monthly.site_id,
        {{ ratio('sum(monthly.cogs_ltm)', 'sum(monthly.avg_inventory_value_ltm)', 4) }} as inventory_turns,
        sum(coalesce(monthly.excess_value_cc, 0) + coalesce(monthly.obsolete_value_cc, 0))
            as excess_obsolete_value_cc
    from {{ ref('kpi_inventory_monthly') }} as monthly
    inner join cycle
        on monthly.month = cycle.kpi_month
    group by monthly.site_id

),

cash_to_cash as (

    select cash.cash_to_cash_days
    from {{ ref('fin_cash_to_cash_monthly') }} as cash
    inner join cycle
        on cash.month = cycle.kpi_month

)

select
    cast(cycle.cycle as date) as cycle,
    cast(sites.site_id as varchar) as site_id,
    cast(cycle.kpi_month as date) as kpi_month,
    {{ pct('accuracy.abs_error_lag1', 'accuracy.actual_lag1') }} as forecast_wape_lag1_pct,
    {{ pct('accuracy.error_lag1', 'accuracy.actual_lag1') }} as forecast_bias_lag1_pct,
    {{ pct('accuracy.abs_error_lag3', 'accuracy.actual_lag3') }} as forecast_wape_lag3_pct,
    {{ pct('accuracy.error_lag3', 'accuracy.actual_lag3') }} as forecast_bias_lag3_pct,
    cast(coalesce(service.lines_counted, 0) as bigint) as sales_lines_counted,
    {{ pct('service.lines_otif', 'service.lines_counted') }} as otif_line_pct,
    {{ pct('service.lines_in_full', 'service.lines_counted') }} as fill_rate_line_pct,
    {{ pct('service.qty_filled', 'service.qty_ordered') }} as fill_rate_unit_pct,
    cast(coalesce(suppliers.lines_due, 0) as bigint) as po_lines_due,
    {{ pct('suppliers.lines_on_time', 'suppliers.lines_due') }} as supplier_otd_pct,
    cast(stock.inventory_value_cc as decimal(18, 4)) as inventory_value_cc,
    cast(inventory.inventory_turns as decimal(18, 4)) as inventory_turns,
    cast(inventory.excess_obsolete_value_cc as decimal(18, 4)) as excess_obsolete_value_cc,
    cast(cash_to_cash.cash_to_cash_days as decimal(18, 2)) as cash_to_cash_days

from sites
cross join cycle
left join accuracy
    on sites.site_id = accuracy.site_id
left join service
    on sites.site_id = service.site_id
left join suppliers
    on sites.site_id = suppliers.site_id
left join stock
    on sites.site_id = stock.site_id
left join inventory
    on sites.site_id = inventory.site_id
left join cash_to_cash
    on true
