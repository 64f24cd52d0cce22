{#
    Logistics cost by site, mode, direction and month, in the company currency: one
    row per site x mode x direction x month with at least one shipment (int_shipments:
    site = our shipping or receiving site, month = month of pickup). The invoiced
    charges of each shipment (int_shipment_freight: every freight invoice line at its
    invoice date's rate) belong to the month the shipment was picked up, whenever
    invoiced: a shipment not invoiced yet (or whose freight the supplier pays) adds 0.
    freight = linehaul + fuel + accessorial; total = freight + duty. Units: outbound
    units shipped, inbound units received on the matched goods receipts; cost per
    unit = total / units (4 decimals, NULL at 0 units).
#}
with

shipments as (

    select * from {{ ref('int_shipments') }}

),

monthly as (

    select
        site_id,
        mode,
        direction,
        month,
        count(*) as shipments,
        sum(case when is_freight_invoiced then 1 else 0 end) as shipments_invoiced,
        sum(linehaul_cc) as linehaul_cc,
        sum(fuel_cc) as fuel_cc,
        sum(accessorial_cc) as accessorial_cc,
        sum(duty_cc) as duty_cc,
        sum(freight_cost_cc) as freight_cost_cc,
        sum(freight_cost_cc + duty_cc) as total_cost_cc,
        coalesce(sum(units_shipped), 0) as units_shipped,
        bool_or(has_missing_freight_fx_rate) as is_missing_fx_rate
    from shipments
    group by site_id, mode, direction, month

)

select
    cast(site_id as varchar) as site_id,
    cast(mode as varchar) as mode,
    cast(direction as varchar) as direction,
    cast(month as date) as month,
    cast(shipments as bigint) as shipments,
    cast(shipments_invoiced as bigint) as shipments_invoiced,
    cast(linehaul_cc as decimal(18, 4)) as linehaul_cc,
    cast(fuel_cc as decimal(18, 4)) as fuel_cc,
    cast(accessorial_cc as decimal(18, 4)) as accessorial_cc,
    cast(duty_cc as decimal(18, 4)) as duty_cc,
    cast(freight_cost_cc as decimal(18, 4)) as freight_cost_cc,
    cast(total_cost_cc as decimal(18, 4)) as total_cost_cc,
    cast(units_shipped as decimal(18, 4)) as units_shipped,
    cast({{ ratio('freight_cost_cc', 'units_shipped', 4) }} as decimal(18, 4)) as freight_per_unit_cc,
    cast({{ ratio('total_cost_cc', 'units_shipped', 4) }} as decimal(18, 4)) as cost_per_unit_cc,
    cast(is_missing_fx_rate as boolean) as is_missing_fx_rate

from monthly
