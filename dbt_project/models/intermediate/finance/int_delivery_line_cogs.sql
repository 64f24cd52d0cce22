{#
    Cost of goods sold of every delivery line, written once: qty_shipped x the standard
    cost of the item at the shipping site valid on the shipping date (dim history
    int_item_site_versions; the first version covers earlier dates), in the item-site
    currency and in the company currency at the shipping date's rate. The shipping
    date is the delivery's document date: stock leaves and the customer is invoiced
    that day. Carries the line's customer, shipped value and allocated freight from
    int_delivery_line_freight.
#}
with

deliveries as (

    select * from {{ ref('int_delivery_line_freight') }}

),

costed as (

    select
        deliveries.*,
        cost.standard_cost,
        cost.currency as cost_currency,
        {{ money_product('deliveries.qty_shipped', 'cost.standard_cost') }} as cogs
    from deliveries
    asof left join {{ ref('int_item_site_versions') }} as cost
        on deliveries.item_id = cost.item_id
        and deliveries.site_id = cost.site_id
        and deliveries.shipped_on >= cost.effective_from

)

select
    cast(costed.delivery_id as varchar) as delivery_id,
    cast(costed.delivery_line as varchar) as delivery_line,
    cast(costed.shipment_id as varchar) as shipment_id,
    cast(costed.so_id as varchar) as so_id,
    cast(costed.so_line as varchar) as so_line,
    cast(costed.customer_id as varchar) as customer_id,
    cast(costed.item_id as varchar) as item_id,
    cast(costed.site_id as varchar) as site_id,
    cast(costed.shipped_on as date) as shipped_on,
    cast({{ dbt.date_trunc('month', 'costed.shipped_on') }} as date) as month,
    cast(costed.qty_shipped as decimal(18, 4)) as qty_shipped,
    cast(costed.shipped_value_cc as decimal(18, 4)) as shipped_value_cc,
    cast(costed.freight_allocated_cc as decimal(18, 4)) as freight_allocated_cc,
    cast(costed.standard_cost as decimal(18, 4)) as standard_cost,
    cast(costed.cost_currency as varchar) as cost_currency,
    cast(costed.cogs as decimal(18, 4)) as cogs,
    {{ to_company_currency('costed.cogs', 'costed.cost_currency', 'fx') }} as cogs_cc,
    cast(costed.standard_cost is null as boolean) as is_missing_standard_cost,
    {{ is_missing_fx_rate('costed.cogs', 'costed.cost_currency', 'fx') }} as is_missing_fx_rate

from costed
{{ fx_join('fx', 'costed.cost_currency', 'costed.shipped_on') }}
