-- depends_on: {{ ref('dim_item') }}, {{ ref('dim_site') }}
{#
    Inventory policy of every planned item x site (stg_item_sites): ABC class, service
    level, lead time, demand and forecast error, and the safety stock, reorder point
    and order-up-to level they imply (docs/planning.md).

    - ABC: trailing 52-week demand (int_item_site_weekly_demand) x standard cost in
      the company currency (rate of the as-of date), ranked within the site; A while
      the cumulative share of the items ranked before it is below var
      abc_class_a_share, B below abc_class_b_share, else C (no value: C).
    - Service level by class (var service_level_by_class); z = inverse normal of it.
    - L, sigma_L: lead time mean / std in weeks (int_item_site_lead_times).
    - d = mean weekly forecast of the latest snapshot over the lead time (lags 1 ..
      max(1, ceil(L))); without a forecast, the mean of the last var
      policy_history_weeks weeks of demand.
    - sigma_e = RMSE of the lag-1 forecast errors (int_forecast_errors) when there are
      at least var policy_min_forecast_errors, else the sample std of weekly demand.
    - safety stock = z x sqrt(L x sigma_e^2 + d^2 x sigma_L^2): the demand over the
      lead time is a sum of L weekly errors plus a lead-time deviation scaled by the
      demand rate; never a sum of per-week interval bounds.
    - reorder point = d x L + safety stock; order-up-to = reorder point + d x var
      review_period_weeks; days of supply implied = 7 x qty / d.
    Every formula uses the rounded values shown in the row (4 decimals).
#}
{%- set service_levels = var('service_level_by_class') %}
{%- set history_weeks = var('policy_history_weeks') | int %}
with

as_of as (

    select as_of_date, {{ forecast_cutoff() }} as forecast_cutoff
    from {{ ref('int_as_of') }}

),

item_sites as (

    select
        item_sites.item_id,
        item_sites.site_id,
        {{ item_family('items.family') }} as family,
        items.item_type,
        item_sites.make_or_buy,
        item_sites.safety_stock_qty,
        item_sites.standard_cost,
        item_sites.currency,
        {{ to_company_currency('item_sites.standard_cost', 'item_sites.currency', 'fx') }} as standard_cost_cc,
        {{ is_missing_fx_rate('item_sites.standard_cost', 'item_sites.currency', 'fx') }} as is_missing_fx_rate
    from {{ ref('stg_item_sites') }} as item_sites
    cross join as_of
    left join {{ ref('stg_items') }} as items
        on item_sites.item_id = items.item_id
    {{ fx_join('fx', 'item_sites.currency', 'as_of.as_of_date') }}

),

weekly_demand as (

    select * from {{ ref('int_item_site_weekly_demand') }}

),

annual_demand as (

    select
        item_id,
        site_id,
        any_value(demand_basis) as demand_history_basis,
        sum(demand_qty) as annual_demand_qty
    from weekly_demand
    group by item_id, site_id

),

recent_demand as (

    select
        weekly_demand.item_id,
        weekly_demand.site_id,
        count(*) as demand_weeks,
        avg(weekly_demand.demand_qty) as demand_mean,
        {{ stddev_samp_decimal('weekly_demand.demand_qty') }} as demand_std
    from weekly_demand
    cross join as_of
    where weekly_demand.week > as_of.forecast_cutoff - {{ 7 * history_weeks }}
    group by weekly_demand.item_id, weekly_demand.site_id

),

valued as (

    select
        item_sites.*,
        coalesce(annual_demand.annual_demand_qty, 0) as annual_demand_qty,
        {{ money_product('coalesce(annual_demand.annual_demand_qty, 0)', 'item_sites.standard_cost_cc') }} as annual_demand_value_cc,
        annual_demand.demand_history_basis
    from item_sites
    left join annual_demand
        on item_sites.item_id = annual_demand.item_id
        and item_sites.site_id = annual_demand.site_id

),

ranked as (

    select
        valued.*,
        coalesce(sum(annual_demand_value_cc) over (
            partition by site_id
            order by annual_demand_value_cc desc nulls last, item_id
            rows between unbounded preceding and 1 preceding), 0) as value_ranked_before,
        sum(annual_demand_value_cc) over (partition by site_id) as site_value
    from valued

),

classified as (

    select
        ranked.*,
        case
            when coalesce(annual_demand_value_cc, 0) <= 0 or site_value <= 0 then 'C'
            when value_ranked_before < {{ var('abc_class_a_share') }} * site_value then 'A'
            when value_ranked_before < {{ var('abc_class_b_share') }} * site_value then 'B'
            else 'C'
        end as abc_class
    from ranked

),

lead_times as (

    select * from {{ ref('int_item_site_lead_times') }}

),

forecast_over_lead_time as (

    select
        forecast.item_id,
        forecast.site_id,
        any_value(forecast.cutoff) as forecast_cutoff,
        avg(cast(forecast.forecast as decimal(18, 8))) as demand_mean
    from {{ ref('int_demand_forecast_latest') }} as forecast
    inner join lead_times
        on forecast.item_id = lead_times.item_id
        and forecast.site_id = lead_times.site_id
    where forecast.lag_weeks <= greatest(1, ceil(coalesce(lead_times.lead_time_mean_days, 0) / 7))
    group by forecast.item_id, forecast.site_id

),

inputs as (

    select
        classified.*,
        case classified.abc_class
            {%- for abc_class, level in service_levels.items() %}
            when '{{ abc_class }}' then cast({{ level }} as decimal(6, 4))
            {%- endfor %}
        end as service_level,
        lead_times.lead_time_basis,
        lead_times.is_lead_time_fallback,
        lead_times.lead_time_receipts,
        lead_times.lead_time_mean_days,
        lead_times.lead_time_std_days,
        forecast_over_lead_time.forecast_cutoff,
        case
            when forecast_over_lead_time.demand_mean is not null then 'forecast'
            when recent_demand.demand_mean is not null then classified.demand_history_basis
            else 'none'
        end as demand_basis,
        {{ round4('coalesce(forecast_over_lead_time.demand_mean, recent_demand.demand_mean, 0)') }} as demand_per_week,
        coalesce(errors.forecast_errors, 0) as forecast_errors,
        case
            when coalesce(errors.forecast_errors, 0) >= {{ var('policy_min_forecast_errors') | int }} then 'lag1_rmse'
            when recent_demand.demand_std is not null then 'demand_std'
            else 'none'
        end as forecast_error_basis,
        {{ round4(
            'case when coalesce(errors.forecast_errors, 0) >= ' ~ (var('policy_min_forecast_errors') | int)
            ~ ' then errors.forecast_error_rmse else coalesce(recent_demand.demand_std, 0) end') }} as forecast_error_std
    from classified
    left join lead_times
        on classified.item_id = lead_times.item_id
        and classified.site_id = lead_times.site_id
    left join forecast_over_lead_time
        on classified.item_id = forecast_over_lead_time.item_id
        and classified.site_id = forecast_over_lead_time.site_id
    left join recent_demand
        on classified.item_id = recent_demand.item_id
        and classified.site_id = recent_demand.site_id
    left join {{ ref('int_forecast_errors') }} as errors
        on classified.item_id = errors.item_id
        and classified.site_id = errors.site_id

),

weeks as (

    select
        inputs.*,
        {{ round4(inverse_normal_cdf('inputs.service_level')) }} as safety_factor_z,
        cast(lead_time_mean_days / 7 as double) as lead_time_weeks,
        cast(lead_time_std_days / 7 as double) as lead_time_std_weeks
    from inputs

),

policy as (

    select
        weeks.*,
        {{ round4(
            'sqrt(lead_time_weeks * power(cast(forecast_error_std as double), 2)'
            ~ ' + power(cast(demand_per_week as double), 2) * power(lead_time_std_weeks, 2))') }} as lead_time_demand_std
    from weeks

),

levels as (

    select
        policy.*,
        {{ round4('cast(safety_factor_z as double) * cast(lead_time_demand_std as double)') }} as safety_stock_qty_policy,
        {{ round4('cast(demand_per_week as double) * lead_time_weeks') }} as lead_time_demand_qty,
        {{ round4('cast(demand_per_week as double) * ' ~ (var('review_period_weeks') | int)) }} as review_period_demand_qty
    from policy

),

stocked as (

    select
        levels.*,
        safety_stock_qty_policy + lead_time_demand_qty as reorder_point_qty,
        safety_stock_qty_policy + lead_time_demand_qty + review_period_demand_qty as order_up_to_qty
    from levels

)

select
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(family as varchar) as family,
    cast(item_type as varchar) as item_type,
    cast(make_or_buy as varchar) as make_or_buy,
    cast(annual_demand_qty as decimal(18, 4)) as annual_demand_qty,
    cast(standard_cost_cc as decimal(18, 4)) as standard_cost_cc,
    cast(annual_demand_value_cc as decimal(18, 4)) as annual_demand_value_cc,
    cast(abc_class as varchar) as abc_class,
    cast(service_level as decimal(6, 4)) as service_level,
    cast(safety_factor_z as decimal(18, 4)) as safety_factor_z,
    cast(lead_time_basis as varchar) as lead_time_basis,
    cast(is_lead_time_fallback as boolean) as is_lead_time_fallback,
    cast(lead_time_receipts as integer) as lead_time_receipts,
    cast(lead_time_mean_days as decimal(18, 4)) as lead_time_mean_days,
    cast(lead_time_std_days as decimal(18, 4)) as lead_time_std_days,
    cast(demand_basis as varchar) as demand_basis,
    cast(forecast_cutoff as date) as forecast_cutoff,
    cast(demand_per_week as decimal(18, 4)) as demand_per_week,
    cast(forecast_error_basis as varchar) as forecast_error_basis,
    cast(forecast_errors as integer) as forecast_errors,
    cast(forecast_error_std as decimal(18, 4)) as forecast_error_std,
    cast(lead_time_demand_qty as decimal(18, 4)) as lead_time_demand_qty,
    cast(lead_time_demand_std as decimal(18, 4)) as lead_time_demand_std,
    cast(safety_stock_qty_policy as decimal(18, 4)) as safety_stock_qty,
    cast(reorder_point_qty as decimal(18, 4)) as reorder_point_qty,
    cast(review_period_demand_qty as decimal(18, 4)) as review_period_demand_qty,
    cast(order_up_to_qty as decimal(18, 4)) as order_up_to_qty,
    cast({{ ratio('7 * safety_stock_qty_policy', 'demand_per_week', 2) }} as decimal(18, 2)) as safety_stock_days,
    cast({{ ratio('7 * reorder_point_qty', 'demand_per_week', 2) }} as decimal(18, 2)) as reorder_point_days,
    cast({{ ratio('7 * order_up_to_qty', 'demand_per_week', 2) }} as decimal(18, 2)) as order_up_to_days,
    cast(safety_stock_qty as decimal(18, 4)) as master_safety_stock_qty,
    cast({{ money_product('safety_stock_qty_policy', 'standard_cost_cc') }} as decimal(18, 4)) as safety_stock_value_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate

from stocked
