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
    The consensus plan in money, site x budget category x horizon month, against the
    budget. Families map to the category most of their items carry
    (int_sop_family_values); each family's volume is valued with its average price
    and standard cost of the cycle:
        revenue = volume x price;  COGS = volume x standard cost;  margin = revenue - COGS.
    The budgets extract holds SPEND budgets by category (stg_budgets, in the site's
    currency, converted at the rate of the budget period or the latest earlier one),
    so the plan's COGS is what is compared: variance = COGS - budget (positive =
    the plan costs more than budgeted). NULL budget where none is set for the month.
    is_partially_valued: some family of the row has no price or no standard cost
    (its revenue / COGS are left out of the sums).
#}
with

plan as (

    select
        demand.cycle,
        demand.site_id,
        coalesce(values.category, 'unassigned') as category,
        demand.month,
        demand.months_from_cycle,
        demand.zone,
        demand.consensus_qty,
        {{ money_product('demand.consensus_qty', 'values.average_price_cc') }} as revenue_cc,
        {{ money_product('demand.consensus_qty', 'values.standard_cost_cc') }} as cogs_cc,
        values.average_price_cc is null or values.standard_cost_cc is null as is_unvalued
    from {{ ref('int_sop_demand') }} as demand
    left join {{ ref('int_sop_family_values') }} as values
        on demand.family = values.family
        and demand.site_id = values.site_id
    where demand.zone <> 'history'

),

by_category as (

    select
        cycle,
        site_id,
        category,
        month,
        any_value(months_from_cycle) as months_from_cycle,
        any_value(zone) as zone,
        count(*) as families,
        sum(consensus_qty) as volume_qty,
        sum(revenue_cc) as revenue_cc,
        sum(cogs_cc) as cogs_cc,
        bool_or(is_unvalued) as is_partially_valued
    from plan
    group by cycle, site_id, category, month

),

budgets as (

    select
        budgets.site_id,
        budgets.category,
        budgets.period as month,
        {{ to_company_currency('budgets.amount', 'budgets.currency', 'fx') }} as budget_cc
    from {{ ref('stg_budgets') }} as budgets
    {{ fx_join('fx', 'budgets.currency', 'budgets.period') }}

)

select
    cast(by_category.cycle as date) as cycle,
    cast(by_category.site_id as varchar) as site_id,
    cast(by_category.category as varchar) as category,
    cast(by_category.month as date) as month,
    cast(by_category.months_from_cycle as integer) as months_from_cycle,
    cast(by_category.zone as varchar) as zone,
    cast(by_category.families as integer) as families,
    cast(by_category.volume_qty as decimal(18, 4)) as volume_qty,
    cast(by_category.revenue_cc as decimal(18, 4)) as revenue_cc,
    cast(by_category.cogs_cc as decimal(18, 4)) as cogs_cc,
    cast(by_category.revenue_cc - by_category.cogs_cc as decimal(18, 4)) as margin_cc,
    {{ pct('by_category.revenue_cc - by_category.cogs_cc', 'by_category.revenue_cc') }} as margin_pct,
    cast(budgets.budget_cc as decimal(18, 4)) as budget_cc,
    cast(by_category.cogs_cc - budgets.budget_cc as decimal(18, 4)) as budget_variance_cc,
    {{ pct('by_category.cogs_cc - budgets.budget_cc', 'budgets.budget_cc') }} as budget_variance_pct,
    cast(by_category.is_partially_valued as boolean) as is_partially_valued

from by_category
left join budgets
    on by_category.site_id = budgets.site_id
    and by_category.category = budgets.category
    and by_category.month = budgets.month
