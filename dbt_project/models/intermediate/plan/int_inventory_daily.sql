{#
    Daily stock balance of every item x site, written once from the inventory
    movements (the opening balance is a movement). One row per item x site x day from
    the day of its first movement through the as-of date; movements after the as-of
    date are left out. qty_on_hand = running sum of the signed movement qty at the
    end of the day.

    Demand (for days of supply): the outflows that consume stock - sale, consumption,
    issue and transfer_out - as a positive quantity. avg_daily_demand is the TRAILING
    average over the last var days_of_supply_window_days (90) days including the day;
    a series younger than the window divides by its age in days. days_of_supply =
    max(on hand, 0) / avg_daily_demand, computed exactly (not from the rounded
    average); NULL when the window had no demand. (Forward days of
    supply from the forecast replace it when the forecasting marts land.)

    Value: qty_on_hand x the standard cost of the item x site valid that day
    (int_item_site_versions), in the item-site currency, and in the company currency
    at the day's rate. qty_scrapped (scrap movements) is the stock written off.

    Incremental (macros/inventory_incremental.sql): an incremental run rebuilds the
    days from the rebuild date on. Their opening balance is the sum of every movement
    before the first day they need (the rebuild date less the demand window), so no
    stored row is read and the result equals a full refresh.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='sync_all_columns',
        pre_hook="{{ delete_rebuilt_days() }}",
        post_hook="{{ record_incremental_state() }}",
    )
}}
-- depends_on: {{ source('raw', 'inventory_movements') }}
-- depends_on: {{ source('raw', 'item_sites') }}
-- depends_on: {{ source('raw', 'fx_rates') }}
{%- set window_days = var('days_of_supply_window_days') | int %}
{%- set rebuild_from = inventory_rebuild_from() if is_incremental() else none %}
{#- the first day a rebuild reads: its demand window reaches back window_days - 1 days #}
{%- set read_from = "date '" ~ rebuild_from ~ "' - interval " ~ (window_days - 1) ~ " day" if rebuild_from else none %}
with

stock_movements as (

    select item_id, site_id, posted_on, movement_type, qty
    from {{ ref('stg_inventory_movements') }}
    where posted_on <= {{ as_of_date() }}
      and item_id is not null
      and site_id is not null

),

movements as (

    select
        item_id,
        site_id,
        posted_on,
        sum(qty) as qty_net,
        sum(case when qty > 0 then qty else 0 end) as qty_in,
        sum(case when qty < 0 then -qty else 0 end) as qty_out,
        sum(case when movement_type in ('sale', 'consumption', 'issue', 'transfer_out') then -qty else 0 end) as qty_demand,
        sum(case when movement_type = 'scrap' then -qty else 0 end) as qty_scrapped
    from stock_movements
    {%- if read_from %}
    where posted_on >= {{ read_from }}
    {%- endif %}
    group by item_id, site_id, posted_on

),

series as (

    select
        item_id,
        site_id,
        min(posted_on) as first_day
        {%- if read_from %},
        sum(case when posted_on < {{ read_from }} then qty else 0 end) as qty_opening
        {%- endif %}
    from stock_movements
    group by item_id, site_id

),

days as (

    select
        series.item_id,
        series.site_id,
        series.first_day,
        {{ 'series.qty_opening' if read_from else '0' }} as qty_opening,
        calendar.date_day,
        calendar.month
    from series
    inner join {{ ref('int_calendar') }} as calendar
        on calendar.date_day >= series.first_day
        and calendar.date_day <= {{ as_of_date() }}
        {%- if read_from %}
        and calendar.date_day >= {{ read_from }}
        {%- endif %}

),

balances as (

    select
        days.item_id,
        days.site_id,
        days.date_day,
        days.month,
        cast(coalesce(movements.qty_in, 0) as decimal(18, 4)) as qty_in,
        cast(coalesce(movements.qty_out, 0) as decimal(18, 4)) as qty_out,
        cast(coalesce(movements.qty_demand, 0) as decimal(18, 4)) as qty_demand,
        cast(coalesce(movements.qty_scrapped, 0) as decimal(18, 4)) as qty_scrapped,
        cast(days.qty_opening + sum(coalesce(movements.qty_net, 0)) over (
            partition by days.item_id, days.site_id order by days.date_day
            rows between unbounded preceding and current row) as decimal(18, 4)) as qty_on_hand,
        cast(sum(coalesce(movements.qty_demand, 0)) over (
            partition by days.item_id, days.site_id order by days.date_day
            rows between {{ window_days - 1 }} preceding and current row) as decimal(18, 4)) as qty_demand_window,
        least({{ dbt.datediff('days.first_day', 'days.date_day', 'day') }} + 1, {{ window_days }}) as window_days
    from days
    left join movements
        on days.item_id = movements.item_id
        and days.site_id = movements.site_id
        and days.date_day = movements.posted_on

),

costed as (

    select
        balances.*,
        cost.standard_cost,
        cost.currency,
        {{ money_product('balances.qty_on_hand', 'cost.standard_cost') }} as value
    from balances
    asof left join {{ ref('int_item_site_versions') }} as cost
        on balances.item_id = cost.item_id
        and balances.site_id = cost.site_id
        and balances.date_day >= cost.effective_from

),

{#
    The two ratios of ~1M rows, exact and half to even like macros/rounding.sql
    ratio() but on integers computed once (ratio() costs seconds here): quantities are
    DECIMAL(18,4), so x 10^4 they are integers, and window_days is a positive integer.
#}
scaled as (

    select
        costed.*,
        cast(costed.qty_demand_window * 10000 as hugeint) as demand_units,
        cast(greatest(costed.qty_on_hand, 0) * 10000 as hugeint) * costed.window_days * 10000 as supply_units
    from costed

),

divided as (

    select
        scaled.*,
        demand_units // window_days as avg_quotient,
        demand_units % window_days as avg_remainder,
        case when demand_units > 0 then supply_units // demand_units end as dos_quotient,
        case when demand_units > 0 then supply_units % demand_units end as dos_remainder
    from scaled

)

select
    divided.item_id,
    divided.site_id,
    divided.date_day,
    divided.month,
    divided.qty_in,
    divided.qty_out,
    divided.qty_demand,
    divided.qty_scrapped,
    divided.qty_on_hand,
    divided.qty_demand_window,
    cast(divided.window_days as integer) as window_days,
    cast(
        cast(avg_quotient + case
            when 2 * avg_remainder > window_days then 1
            when 2 * avg_remainder = window_days then avg_quotient % 2
            else 0 end as decimal(38, 0)) * 0.0001
        as decimal(18, 4)) as avg_daily_demand,
    cast(
        cast(dos_quotient + case
            when 2 * dos_remainder > demand_units then 1
            when 2 * dos_remainder = demand_units then dos_quotient % 2
            else 0 end as decimal(38, 0)) * 0.0001
        as decimal(18, 4)) as days_of_supply,
    divided.standard_cost,
    divided.currency,
    divided.value,
    {{ to_company_currency('divided.value', 'divided.currency', 'fx') }} as value_cc,
    {{ is_missing_fx_rate('divided.value', 'divided.currency', 'fx') }} as is_missing_fx_rate

from divided
{{ fx_join('fx', 'divided.currency', 'divided.date_day') }}
{%- if rebuild_from %}
where divided.date_day >= date '{{ rebuild_from }}'
{%- endif %}
