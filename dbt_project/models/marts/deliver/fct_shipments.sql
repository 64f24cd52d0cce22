{#
    One row per current shipment (int_shipments): direction, our site, lane (outbound:
    site > customer country; inbound: supplier country > receiving site), mode, carrier, planned vs
    actual pickup and delivery, transit days, on time (due shipments only), weight,
    units, shipped value and invoiced freight (allocated to lines by weight in
    int_delivery_line_freight).
#}
select
    cast(shipment_id as varchar) as shipment_id,
    cast(direction as varchar) as direction,
    cast(carrier_id as varchar) as carrier_id,
    cast(mode as varchar) as mode,
    cast(site_id as varchar) as site_id,
    cast(origin_site_id as varchar) as origin_site_id,
    cast(origin_country as varchar) as origin_country,
    cast(destination_site_id as varchar) as destination_site_id,
    cast(destination_country as varchar) as destination_country,
    cast(destination_region as varchar) as destination_region,
    cast(lane as varchar) as lane,
    cast(supplier_id as varchar) as supplier_id,
    cast(receipt_id as varchar) as receipt_id,
    cast(incoterm as varchar) as incoterm,
    cast(month as date) as month,
    cast(planned_pickup as date) as planned_pickup,
    cast(actual_pickup as date) as actual_pickup,
    cast(planned_delivery as date) as planned_delivery,
    cast(actual_delivery as date) as actual_delivery,
    cast(planned_transit_days as integer) as planned_transit_days,
    cast(transit_days as integer) as transit_days,
    cast(is_due as boolean) as is_due,
    cast(on_time as boolean) as on_time,
    cast(days_late as integer) as days_late,
    cast(exception_event_count as bigint) as exception_event_count,
    cast(gross_weight_kg as decimal(18, 4)) as gross_weight_kg,
    cast(volume_m3 as decimal(18, 4)) as volume_m3,
    cast(delivery_line_count as bigint) as delivery_line_count,
    cast(units_shipped as decimal(18, 4)) as units_shipped,
    cast(shipped_value_cc as decimal(18, 4)) as shipped_value_cc,
    cast(is_freight_invoiced as boolean) as is_freight_invoiced,
    cast(freight_cost_cc as decimal(18, 4)) as freight_cost_cc,
    cast(linehaul_cc as decimal(18, 4)) as linehaul_cc,
    cast(fuel_cc as decimal(18, 4)) as fuel_cc,
    cast(accessorial_cc as decimal(18, 4)) as accessorial_cc,
    cast(duty_cc as decimal(18, 4)) as duty_cc,
    cast(has_missing_freight_fx_rate or has_missing_value_fx_rate as boolean) as is_missing_fx_rate

from {{ ref('int_shipments') }}
