{#
    Daily stock per item x site (int_inventory_daily): on hand, value, days of supply
    and the stock-out flag. Days of supply = max(on hand, 0) / trailing average daily
    demand (NOT yet the forecast: see docs/kpi_catalog.md); NULL when there was no
    demand in the window. Stock-out = on hand <= 0 at the end of the day.

    Incremental like int_inventory_daily (macros/inventory_incremental.sql): an
    incremental run copies the days from its rebuild date on.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rebuilt_days() }}",
        post_hook="{{ record_incremental_state() }}",
    )
}}
-- depends_on: {{ source('raw', 'inventory_movements') }}
-- depends_on: {{ source('raw', 'item_sites') }}
-- depends_on: {{ source('raw', 'fx_rates') }}
-- depends_on: {{ ref('int_as_of') }}
{%- set rebuild_from = inventory_rebuild_from() if is_incremental() else none %}
select
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(date_day as date) as date_day,
    cast(month as date) as month,
    cast(qty_in as decimal(18, 4)) as qty_in,
    cast(qty_out as decimal(18, 4)) as qty_out,
    cast(qty_demand as decimal(18, 4)) as qty_demand,
    cast(qty_on_hand as decimal(18, 4)) as qty_on_hand,
    cast(avg_daily_demand as decimal(18, 4)) as avg_daily_demand,
    cast(days_of_supply as decimal(18, 4)) as days_of_supply,
    cast(qty_on_hand <= 0 as boolean) as is_stock_out,
    cast(standard_cost as decimal(18, 4)) as standard_cost,
    cast(currency as varchar) as currency,
    cast(value as decimal(18, 4)) as value,
    cast(value_cc as decimal(18, 4)) as value_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate

from {{ ref('int_inventory_daily') }}
{%- if rebuild_from %}
where date_day >= date '{{ rebuild_from }}'
{%- endif %}
