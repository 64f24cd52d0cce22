{#
    Freight cost by carrier, mode, direction, lane and month (the month of pickup):
    one row per group with at least one shipment. on_time_pct over due shipments;
    cost ratios over all shipments of the group; freight excludes duty.
#}
with

shipments as (

    select * from {{ ref('int_shipments') }}

),

measures as (

    select
        carrier_id,
        mode,
        direction,
        lane,
        month,
        count(*) as shipments,
        sum(case when is_due then 1 else 0 end) as shipments_due,
        sum(case when on_time then 1 else 0 end) as shipments_on_time,
        sum(case when is_freight_invoiced then 1 else 0 end) as shipments_invoiced,
        sum(gross_weight_kg) as gross_weight_kg,
        sum(units_shipped) as units_shipped,
        sum(shipped_value_cc) as shipped_value_cc,
        sum(freight_cost_cc) as freight_cost_cc,
        sum(accessorial_cc) as accessorial_cc,
        sum(duty_cc) as duty_cc,
        bool_or(has_missing_freight_fx_rate or has_missing_value_fx_rate) as is_missing_fx_rate
    from shipments
    group by carrier_id, mode, direction, lane, month

)

select
    cast(carrier_id as varchar) as carrier_id,
    cast(mode as varchar) as mode,
    cast(direction as varchar) as direction,
    cast(lane as varchar) as lane,
    cast(month as date) as month,
    cast(shipments as bigint) as shipments,
    cast(shipments_due as bigint) as shipments_due,
    cast(shipments_on_time as bigint) as shipments_on_time,
    cast(shipments_invoiced as bigint) as shipments_invoiced,
    {{ pct('shipments_on_time', 'shipments_due') }} as on_time_pct,
    cast(gross_weight_kg as decimal(18, 4)) as gross_weight_kg,
    cast(units_shipped as decimal(18, 4)) as units_shipped,
    cast(shipped_value_cc as decimal(18, 4)) as shipped_value_cc,
    cast(freight_cost_cc as decimal(18, 4)) as freight_cost_cc,
    cast(accessorial_cc as decimal(18, 4)) as accessorial_cc,
    cast(duty_cc as decimal(18, 4)) as duty_cc,
    cast({{ ratio('freight_cost_cc', 'shipments', 4) }} as decimal(18, 4)) as freight_per_shipment_cc,
    cast({{ ratio('freight_cost_cc', 'gross_weight_kg', 4) }} as decimal(18, 4)) as freight_per_kg_cc,
    cast({{ ratio('freight_cost_cc', 'units_shipped', 4) }} as decimal(18, 4)) as freight_per_unit_cc,
    {{ pct('freight_cost_cc', 'shipped_value_cc') }} as freight_revenue_pct,
    {{ pct('accessorial_cc', 'freight_cost_cc') }} as accessorial_share_pct,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate

from measures
