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
    The S&OP supply plan of the cycle, family x site x horizon month: planned receipts
    (open PO lines by expected month), planned production (open production orders by
    planned finish) and the capacity view of made families (int_sop_supply).
    Append-only by cycle (delete+insert on cycle).
#}
select
    cast(cycle as date) as cycle,
    cast(family as varchar) as family,
    cast(site_id as varchar) as site_id,
    cast(month as date) as month,
    cast(months_from_cycle as integer) as months_from_cycle,
    cast(zone as varchar) as zone,
    cast(planned_receipts_qty as decimal(18, 4)) as planned_receipts_qty,
    cast(unconfirmed_receipts_qty as decimal(18, 4)) as unconfirmed_receipts_qty,
    cast(planned_production_qty as decimal(18, 4)) as planned_production_qty,
    cast(total_supply_qty as decimal(18, 4)) as total_supply_qty,
    cast(posted_after_cycle_qty as decimal(18, 4)) as posted_after_cycle_qty,
    cast(demonstrated_capacity_qty as decimal(18, 4)) as demonstrated_capacity_qty,
    cast(production_load_pct as decimal(9, 2)) as production_load_pct,
    cast(demand_load_pct as decimal(9, 2)) as demand_load_pct

from {{ ref('int_sop_supply') }}
