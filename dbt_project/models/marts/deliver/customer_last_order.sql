{#
    When each customer last ordered, relative to the as-of date: one row per customer
    with an order on or before it. Every order line counts, whatever its status.
    last_item_ordered is the item of the latest line (latest order_date, then the
    highest so_id, then so_line). orders_last_90_days counts distinct orders placed in
    the 90 days ending on the as-of date (as-of date - 89 .. as-of date).
#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

order_lines as (

    select lines.customer_id, lines.so_id, lines.so_line, lines.item_id, lines.order_date, as_of.as_of_date
    from {{ ref('int_sales_order_lines') }} as lines
    cross join as_of
    where lines.order_date <= as_of.as_of_date

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by order_date desc, so_id desc, so_line desc
        ) as recency_rank
    from order_lines

),

recent_orders as (

    select customer_id, count(distinct so_id) as orders_last_90_days
    from order_lines
    where order_date > {{ dbt.dateadd('day', -90, 'as_of_date') }}
    group by customer_id

),

customers as (

    select partner_id as customer_id, name as customer_name
    from {{ ref('stg_partners') }}

)

select
    cast(ranked.customer_id as varchar) as customer_id,
    cast(customers.customer_name as varchar) as customer_name,
    cast(ranked.order_date as date) as last_order_date,
    cast(ranked.so_id as varchar) as last_order_id,
    cast(ranked.item_id as varchar) as last_item_ordered,
    cast(coalesce(recent_orders.orders_last_90_days, 0) as bigint) as orders_last_90_days,
    cast({{ dbt.datediff('ranked.order_date', 'ranked.as_of_date', 'day') }} as integer) as days_since_last_order,
    cast(ranked.as_of_date as date) as as_of_date

from ranked
left join recent_orders
    on ranked.customer_id = recent_orders.customer_id
left join customers
    on ranked.customer_id = customers.customer_id
where ranked.recency_rank = 1
