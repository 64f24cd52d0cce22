{#
    Freight allocated to delivery lines by weight, written once. One row per current
    delivery line. Line weight = qty_shipped x the item's unit_weight_kg. A
    shipment's freight_cost_cc (int_shipment_freight) is shared in proportion to line
    weight; when any line of the shipment has no positive weight, the whole shipment
    is shared by qty_shipped instead (allocation_basis tells which). Each share is
    rounded half to even to 4 decimals and the rounding residue goes to the shipment's
    last line (highest delivery_id, delivery_line), so the lines add up exactly to the
    shipment's freight. Shipped value = qty_shipped x the sales line's unit price in
    the company currency at the order date's rate (the revenue base of freight %).
#}
with

deliveries as (

    select
        deliveries.delivery_id,
        deliveries.delivery_line,
        deliveries.shipment_id,
        deliveries.so_id,
        deliveries.so_line,
        deliveries.item_id,
        deliveries.site_id,
        deliveries.shipped_on,
        deliveries.delivered_on,
        deliveries.qty_shipped,
        cast(deliveries.qty_shipped * items.unit_weight_kg as decimal(18, 4)) as line_weight_kg
    from {{ ref('stg_deliveries') }} as deliveries
    left join {{ ref('stg_items') }} as items
        on deliveries.item_id = items.item_id

),

with_value as (

    select
        deliveries.*,
        lines.customer_id,
        lines.order_date,
        lines.currency as so_currency,
        {{ money_product('deliveries.qty_shipped', 'lines.unit_price') }} as shipped_value
    from deliveries
    left join {{ ref('int_sales_order_lines') }} as lines
        on deliveries.so_id = lines.so_id
        and deliveries.so_line = lines.so_line

),

converted as (

    select
        with_value.*,
        {{ to_company_currency('with_value.shipped_value', 'with_value.so_currency', 'fx') }} as shipped_value_cc
    from with_value
    {{ fx_join('fx', 'with_value.so_currency', 'with_value.order_date') }}

),

shares as (

    select
        converted.*,
        freight.freight_cost_cc as shipment_freight_cc,
        bool_and(coalesce(converted.line_weight_kg, 0) > 0) over (partition by converted.shipment_id) as is_weight_basis,
        sum(converted.line_weight_kg) over (partition by converted.shipment_id) as shipment_line_weight_kg,
        sum(converted.qty_shipped) over (partition by converted.shipment_id) as shipment_qty,
        row_number() over (
            partition by converted.shipment_id
            order by converted.delivery_id desc, converted.delivery_line desc
        ) as reverse_rank
    from converted
    left join {{ ref('int_shipment_freight') }} as freight
        on converted.shipment_id = freight.shipment_id

),

rounded as (

    select
        *,
        case
            when shipment_freight_cc is null then null
            when is_weight_basis then {{ round_half_even('shipment_freight_cc * cast(line_weight_kg as double) / cast(shipment_line_weight_kg as double)', 4) }}
            when shipment_qty > 0 then {{ round_half_even('shipment_freight_cc * cast(qty_shipped as double) / cast(shipment_qty as double)', 4) }}
        end as rounded_share_cc
    from shares

)

select
    delivery_id,
    delivery_line,
    shipment_id,
    so_id,
    so_line,
    customer_id,
    item_id,
    site_id,
    shipped_on,
    delivered_on,
    cast(qty_shipped as decimal(18, 4)) as qty_shipped,
    line_weight_kg,
    case when is_weight_basis then 'weight' else 'quantity' end as allocation_basis,
    cast(shipped_value as decimal(18, 4)) as shipped_value,
    cast(shipped_value_cc as decimal(18, 4)) as shipped_value_cc,
    cast(
        case
            when shipment_freight_cc is null then null
            when reverse_rank = 1
                then shipment_freight_cc
                    - coalesce(sum(rounded_share_cc) over (partition by shipment_id) - rounded_share_cc, 0)
            else rounded_share_cc
        end
        as decimal(18, 4)) as freight_allocated_cc

from rounded
