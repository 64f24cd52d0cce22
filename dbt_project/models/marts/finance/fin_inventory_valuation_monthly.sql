{#
    Inventory valuation per item x site at each month end (the as-of date in the
    running month), from int_inventory_monthly: quantity, value at the standard cost
    valid on that day, the E&O provision by age bucket and the write-downs of the
    month (docs/kpi_catalog.md).

    Age = days from the last usage (int_inventory_daily demand: sale, consumption,
    issue, transfer_out) to the month end; stock never used is aged from the first
    day of the series (its first receipt or opening balance). The bucket and its
    provision % come from var eo_provision_age_buckets (macros/inventory_provision.sql);
    only positive stock value is provided for. Write-downs = scrap movements of the
    month at the standard cost of their day.
#}
with

monthly as (

    select
        *,
        {{ dbt.datediff('coalesce(last_usage_date, first_day)', 'period_end_date', 'day') }} as age_days
    from {{ ref('int_inventory_monthly') }}

),

provisioned as (

    select
        monthly.*,
        {{ eo_age_bucket('monthly.age_days') }} as age_bucket,
        {{ eo_provision_pct('monthly.age_days') }} as provision_pct
    from monthly

),

valued as (

    select
        provisioned.*,
        cast({{ round_half_even('(case when provisioned.value > 0 then provisioned.value when provisioned.value <= 0 then 0 end) * provisioned.provision_pct * 0.01', 4) }} as decimal(18, 4)) as provision_value
    from provisioned

)

select
    cast(valued.item_id as varchar) as item_id,
    cast(valued.site_id as varchar) as site_id,
    cast(valued.month as date) as month,
    cast(valued.period_end_date as date) as month_end_date,
    cast(valued.is_complete_month as boolean) as is_complete_month,
    cast(valued.qty_on_hand as decimal(18, 4)) as qty_on_hand,
    cast(valued.standard_cost as decimal(18, 4)) as standard_cost,
    cast(valued.currency as varchar) as currency,
    cast(valued.value as decimal(18, 4)) as value_at_standard,
    cast(valued.value_cc as decimal(18, 4)) as value_at_standard_cc,
    cast(valued.last_usage_date as date) as last_usage_date,
    cast(valued.age_days as integer) as age_days,
    cast(valued.age_bucket as varchar) as age_bucket,
    cast(valued.provision_pct as decimal(9, 2)) as provision_pct,
    cast(valued.provision_value as decimal(18, 4)) as provision_value,
    {{ to_company_currency('valued.provision_value', 'valued.currency', 'fx') }} as provision_value_cc,
    cast(valued.value - valued.provision_value as decimal(18, 4)) as net_value,
    cast(valued.qty_scrapped as decimal(18, 4)) as qty_written_down,
    cast(valued.scrap_value as decimal(18, 4)) as write_down_value,
    cast(valued.scrap_value_cc as decimal(18, 4)) as write_down_value_cc,
    cast(valued.standard_cost is null as boolean) as is_missing_standard_cost,
    cast(
        coalesce(valued.is_missing_fx_rate, false)
        or {{ is_missing_fx_rate('valued.provision_value', 'valued.currency', 'fx') }}
        or (valued.scrap_value is not null and valued.scrap_value_cc is null)
        as boolean) as is_missing_fx_rate

from valued
{{ fx_join('fx', 'valued.currency', 'valued.period_end_date') }}
