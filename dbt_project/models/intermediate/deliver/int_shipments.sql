{#
    Shipments with their timing, lines and freight, one row per current shipment.
    site_id is our site: the shipping site of an outbound shipment, the receiving site
    of an inbound one (the TMS books both under origin_site_id). The lane runs from
    where the goods are picked up to where they go, naming our site by its id and the
    other end by its country: outbound = shipping site > customer country (e.g.
    P-US1>GB), inbound = supplier country > receiving site (e.g. DE>P-US1, the
    supplier's country from int_inbound_shipments). origin_site_id / destination_site_id
    are ours only (NULL at a supplier or customer end). Units: outbound = qty shipped
    on its delivery lines, inbound = qty received on the goods-receipt document it
    brought (int_inbound_shipments; NULL until matched). The shipment's month is the month of its
    pickup (actual, else planned). Due = delivered, or planned delivery on or before the
    as-of date; on_time (due shipments only) = delivered on or before the planned
    delivery date; a due shipment not delivered is late. transit_days = actual
    delivery - actual pickup. Units, shipped value and allocated freight come from
    int_delivery_line_freight; freight from int_shipment_freight.
#}
with

shipments as (

    select * from {{ ref('stg_shipments') }}

),

lines as (

    select
        shipment_id,
        count(*) as delivery_line_count,
        sum(qty_shipped) as units_shipped,
        sum(shipped_value_cc) as shipped_value_cc,
        bool_or(shipped_value is not null and shipped_value_cc is null) as has_missing_value_fx_rate
    from {{ ref('int_delivery_line_freight') }}
    group by shipment_id

),

exceptions as (

    select shipment_id, count(*) as exception_event_count
    from {{ ref('stg_shipment_events') }}
    where is_exception
    group by shipment_id

),

joined as (

    select
        shipments.* exclude (origin_site_id),
        shipments.origin_site_id as site_id,
        case when shipments.direction = 'inbound' then inbound.supplier_country else sites.country end as origin_country,
        case when shipments.direction = 'inbound' then null else shipments.origin_site_id end as origin_site_id,
        case when shipments.direction = 'inbound' then shipments.origin_site_id end as destination_site_id,
        case
            when shipments.direction = 'inbound'
                then coalesce(inbound.supplier_country, '?') || '>' || shipments.origin_site_id
            else shipments.origin_site_id || '>' || coalesce(shipments.destination_country, '?')
        end as lane,
        inbound.supplier_id,
        inbound.receipt_id,
        cast({{ dbt.date_trunc('month', 'coalesce(shipments.actual_pickup, shipments.planned_pickup)') }} as date) as month,
        shipments.actual_delivery is not null
            or coalesce(shipments.planned_delivery <= {{ as_of_date() }}, false) as is_due,
        coalesce(lines.delivery_line_count, 0) as delivery_line_count,
        case
            when shipments.direction = 'inbound' then inbound.units_received
            else coalesce(lines.units_shipped, 0)
        end as units_shipped,
        lines.shipped_value_cc,
        coalesce(lines.has_missing_value_fx_rate, false) as has_missing_value_fx_rate,
        coalesce(exceptions.exception_event_count, 0) as exception_event_count,
        freight.shipment_id is not null as is_freight_invoiced,
        coalesce(freight.freight_cost_cc, 0) as freight_cost_cc,
        coalesce(freight.linehaul_cc, 0) as linehaul_cc,
        coalesce(freight.fuel_cc, 0) as fuel_cc,
        coalesce(freight.accessorial_cc, 0) as accessorial_cc,
        coalesce(freight.duty_cc, 0) as duty_cc,
        coalesce(freight.has_missing_fx_rate, false) as has_missing_freight_fx_rate
    from shipments
    left join lines
        on shipments.shipment_id = lines.shipment_id
    left join exceptions
        on shipments.shipment_id = exceptions.shipment_id
    left join {{ ref('int_shipment_freight') }} as freight
        on shipments.shipment_id = freight.shipment_id
    left join {{ ref('int_inbound_shipments') }} as inbound
        on shipments.shipment_id = inbound.shipment_id
    left join {{ ref('stg_sites') }} as sites
        on shipments.origin_site_id = sites.site_id

)

select
    *,
    case when is_due then coalesce(actual_delivery <= planned_delivery, false) end as on_time,
    {{ dbt.datediff('actual_pickup', 'actual_delivery', 'day') }} as transit_days,
    {{ dbt.datediff('planned_pickup', 'planned_delivery', 'day') }} as planned_transit_days,
    greatest({{ dbt.datediff('planned_delivery', 'actual_delivery', 'day') }}, 0) as days_late
from joined
