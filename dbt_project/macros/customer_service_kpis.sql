{#
    The customer-service measures of counted sales order lines, grouped by `group_by`
    (a list of columns of fct_sales_order_lines). Written once for
    kpi_customer_service_monthly (customer x site x month) and
    kpi_service_level_monthly (month): each computes them from the lines, never from
    the other mart. See docs/conventions.md.

    - otif_line_pct      = OTIF lines / counted lines
    - otif_value_pct     = ordered value (company currency) of OTIF lines / of counted
                           lines; lines without a company-currency value are left out
                           of both sides
    - fill_rate_line_pct = in-full lines / counted lines
    - fill_rate_unit_pct = sum(min(delivered by deadline, ordered)) / sum(ordered)
    - fill_rate_order_pct= orders (so_id within the group) whose every counted line is
                           in full / orders
    - backorder_rate_pct = lines with backorder_qty > 0 / counted lines
    - perfect_order_pct  = orders whose every counted line is on time, in full, not
                           returned damaged and not credited / orders
    - cycle_time_*_days  = order date -> last delivery, over counted lines delivered
#}
{% macro customer_service_kpis(lines_relation, group_by) %}
{%- set keys = group_by | join(', ') -%}
with

counted_lines as (

    select *
    from {{ lines_relation }}
    where is_counted

),

orders as (

    select
        {{ keys }},
        so_id,
        min(case when in_full then 1 else 0 end) as is_in_full,
        min(case when is_perfect_line then 1 else 0 end) as is_perfect
    from counted_lines
    group by {{ keys }}, so_id

),

order_measures as (

    select
        {{ keys }},
        count(*) as orders_counted,
        sum(is_in_full) as orders_in_full,
        sum(is_perfect) as orders_perfect
    from orders
    group by {{ keys }}

),

line_measures as (

    select
        {{ keys }},
        count(*) as lines_counted,
        sum(case when on_time then 1 else 0 end) as lines_on_time,
        sum(case when in_full then 1 else 0 end) as lines_in_full,
        sum(case when otif then 1 else 0 end) as lines_otif,
        sum(case when backorder_qty > 0 then 1 else 0 end) as lines_backordered,
        sum(case when is_missing_fx_rate then 1 else 0 end) as lines_missing_fx_rate,
        sum(qty_ordered) as qty_ordered,
        sum(least(qty_delivered_by_deadline, qty_ordered)) as qty_filled,
        sum(backorder_qty) as qty_backordered,
        sum(ordered_value_cc) as ordered_value_cc,
        sum(case when otif then ordered_value_cc end) as otif_value_cc,
        count(cycle_time_days) as lines_delivered,
        sum(cycle_time_days) as cycle_time_days_sum,
        percentile_cont(0.9) within group (order by cycle_time_days) as cycle_time_p90
    from counted_lines
    group by {{ keys }}

)

select
    {%- for column in group_by %}
    line_measures.{{ column }},
    {%- endfor %}
    cast(line_measures.lines_counted as bigint) as lines_counted,
    cast(line_measures.lines_on_time as bigint) as lines_on_time,
    cast(line_measures.lines_in_full as bigint) as lines_in_full,
    cast(line_measures.lines_otif as bigint) as lines_otif,
    cast(line_measures.lines_backordered as bigint) as lines_backordered,
    cast(line_measures.lines_missing_fx_rate as bigint) as lines_missing_fx_rate,
    cast(order_measures.orders_counted as bigint) as orders_counted,
    cast(order_measures.orders_in_full as bigint) as orders_in_full,
    cast(order_measures.orders_perfect as bigint) as orders_perfect,
    cast(line_measures.qty_ordered as decimal(18, 4)) as qty_ordered,
    cast(line_measures.qty_filled as decimal(18, 4)) as qty_filled,
    cast(line_measures.qty_backordered as decimal(18, 4)) as qty_backordered,
    cast(line_measures.ordered_value_cc as decimal(18, 4)) as ordered_value_cc,
    cast(line_measures.otif_value_cc as decimal(18, 4)) as otif_value_cc,
    {{ pct('line_measures.lines_on_time', 'line_measures.lines_counted') }} as on_time_line_pct,
    {{ pct('line_measures.lines_otif', 'line_measures.lines_counted') }} as otif_line_pct,
    {{ pct('coalesce(line_measures.otif_value_cc, 0)', 'line_measures.ordered_value_cc') }} as otif_value_pct,
    {{ pct('line_measures.lines_in_full', 'line_measures.lines_counted') }} as fill_rate_line_pct,
    {{ pct('line_measures.qty_filled', 'line_measures.qty_ordered') }} as fill_rate_unit_pct,
    {{ pct('order_measures.orders_in_full', 'order_measures.orders_counted') }} as fill_rate_order_pct,
    {{ pct('line_measures.lines_backordered', 'line_measures.lines_counted') }} as backorder_rate_pct,
    {{ pct('order_measures.orders_perfect', 'order_measures.orders_counted') }} as perfect_order_pct,
    cast({{ ratio('line_measures.cycle_time_days_sum', 'line_measures.lines_delivered', 4) }} as decimal(18, 4)) as cycle_time_mean_days,
    {{ round4('line_measures.cycle_time_p90') }} as cycle_time_p90_days

from line_measures
inner join order_measures
    on {% for column in group_by -%}
    line_measures.{{ column }} = order_measures.{{ column }}
    {%- if not loop.last %}
    and {% endif -%}
    {%- endfor %}
{% endmacro %}
