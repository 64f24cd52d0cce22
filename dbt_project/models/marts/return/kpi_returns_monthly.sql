{#
    Customer returns by item family x reason x month (the month of the return), from
    int_return_lines: one row per group with at least one return line. Return rates
    divide by what the family SHIPPED in the same calendar month (all reasons share
    that denominator, so the reasons of a family add up to its total return rate):
    units by units shipped, value (returned qty x sales price, company currency) by
    shipped value. Disposition mix = share of the returned units per disposition.
#}
with

returns as (

    select * from {{ ref('int_return_lines') }}

),

shipped as (

    select
        coalesce(items.family, 'unknown') as family,
        cast({{ dbt.date_trunc('month', 'deliveries.shipped_on') }} as date) as month,
        sum(deliveries.qty_shipped) as qty_shipped,
        sum(deliveries.shipped_value_cc) as shipped_value_cc
    from {{ ref('int_delivery_line_freight') }} as deliveries
    left join {{ ref('stg_items') }} as items
        on deliveries.item_id = items.item_id
    group by 1, 2

),

measures as (

    select
        family,
        reason_code,
        month,
        count(*) as return_lines,
        sum(qty_returned) as qty_returned,
        sum(returned_value_cc) as returned_value_cc,
        sum(credit_cc) as credit_cc,
        sum(case when disposition = 'restock' then qty_returned else 0 end) as qty_restock,
        sum(case when disposition = 'repair' then qty_returned else 0 end) as qty_repair,
        sum(case when disposition = 'scrap' then qty_returned else 0 end) as qty_scrap,
        sum(case when is_missing_fx_rate then 1 else 0 end) as lines_missing_fx_rate
    from returns
    group by family, reason_code, month

)

select
    cast(measures.family as varchar) as family,
    cast(measures.reason_code as varchar) as reason_code,
    cast(measures.month as date) as month,
    cast(measures.return_lines as bigint) as return_lines,
    cast(measures.qty_returned as decimal(18, 4)) as qty_returned,
    cast(measures.returned_value_cc as decimal(18, 4)) as returned_value_cc,
    cast(measures.credit_cc as decimal(18, 4)) as credit_cc,
    cast(coalesce(shipped.qty_shipped, 0) as decimal(18, 4)) as qty_shipped_family,
    cast(coalesce(shipped.shipped_value_cc, 0) as decimal(18, 4)) as shipped_value_cc_family,
    {{ pct('measures.qty_returned', 'shipped.qty_shipped') }} as return_rate_units_pct,
    {{ pct('measures.returned_value_cc', 'shipped.shipped_value_cc') }} as return_rate_value_pct,
    cast(measures.qty_restock as decimal(18, 4)) as qty_restock,
    cast(measures.qty_repair as decimal(18, 4)) as qty_repair,
    cast(measures.qty_scrap as decimal(18, 4)) as qty_scrap,
    {{ pct('measures.qty_restock', 'measures.qty_returned') }} as restock_pct,
    {{ pct('measures.qty_repair', 'measures.qty_returned') }} as repair_pct,
    {{ pct('measures.qty_scrap', 'measures.qty_returned') }} as scrap_pct,
    cast(measures.lines_missing_fx_rate as bigint) as lines_missing_fx_rate

from measures
left join shipped
    on measures.family = shipped.family
    and measures.month = shipped.month
