{#
    Unit values of a family at a site for the cycle, in the company currency: the
    volumes of the S&OP plan are valued with them.
    - average_price_cc: ordered value / ordered quantity of the sales lines ordered in
      the 12 months before the cycle month (customer cancellations and lines without a
      company-currency value left out); without such orders, the mean list price of
      the family's items at the site (item_sites) at the cycle_as_of rate.
    - standard_cost_cc: the standard cost of each item x site valid on cycle_as_of
      (int_item_site_versions) at that day's rate, weighted by the same ordered
      quantities; without orders, the mean standard cost of the family's items at the
      site.
    price_basis / cost_basis say which rule applied ('orders', 'master').
    category: the budget category of the family = the category most of its items
    carry in the item master (ties: the first by name).
#}
with

cycle as (

    select * from {{ ref('int_sop_cycle') }}

),

items as (

    select item_id, {{ item_family('family') }} as family, category
    from {{ ref('stg_items') }}

),

categories as (

    select family, arg_min(category, rank_key) as category
    from (
        select family, category, (-count(*), category) as rank_key
        from items
        where category is not null
        group by family, category
    ) as counted
    group by family

),

costs as (

    select
        versions.item_id,
        versions.site_id,
        {{ to_company_currency('versions.standard_cost', 'versions.currency', 'fx') }} as standard_cost_cc
    from {{ ref('int_item_site_versions') }} as versions
    cross join cycle
    {{ fx_join('fx', 'versions.currency', 'cycle.cycle_as_of') }}
    where versions.effective_from <= cycle.cycle_as_of
      and (versions.effective_to is null or versions.effective_to >= cycle.cycle_as_of)

),

order_lines as (

    select
        items.family,
        lines.site_id,
        lines.qty_ordered,
        lines.ordered_value_cc,
        costs.standard_cost_cc
    from {{ ref('int_sales_order_lines') }} as lines
    cross join cycle
    inner join items
        on lines.item_id = items.item_id
    left join costs
        on lines.item_id = costs.item_id
        and lines.site_id = costs.site_id
    where not lines.is_customer_cancelled
      and lines.ordered_value_cc is not null
      and lines.order_date >= cycle.cycle - interval 12 month
      and lines.order_date < cycle.cycle

),

from_orders as (

    select
        family,
        site_id,
        sum(qty_ordered) as qty_ordered,
        sum(ordered_value_cc) as ordered_value_cc,
        sum(case when standard_cost_cc is not null then qty_ordered end) as qty_costed,
        sum(qty_ordered * standard_cost_cc) as cost_cc
    from order_lines
    group by family, site_id

),

master as (

    select
        items.family,
        item_sites.site_id,
        avg({{ to_company_currency('item_sites.list_price', 'item_sites.currency', 'fx') }}) as list_price_cc,
        avg(costs.standard_cost_cc) as standard_cost_cc
    from {{ ref('stg_item_sites') }} as item_sites
    cross join cycle
    inner join items
        on item_sites.item_id = items.item_id
    left join costs
        on item_sites.item_id = costs.item_id
        and item_sites.site_id = costs.site_id
    {{ fx_join('fx', 'item_sites.currency', 'cycle.cycle_as_of') }}
    group by items.family, item_sites.site_id

),

pairs as (

    select family, site_id from from_orders
    union
    select family, site_id from master

)

select
    cycle.cycle,
    cast(pairs.family as varchar) as family,
    cast(pairs.site_id as varchar) as site_id,
    cast(categories.category as varchar) as category,
    case
        when from_orders.qty_ordered > 0 then cast({{ ratio('from_orders.ordered_value_cc', 'from_orders.qty_ordered', 4) }} as decimal(18, 4))
        else {{ round4('master.list_price_cc') }}
    end as average_price_cc,
    case when from_orders.qty_ordered > 0 then 'orders' when master.list_price_cc is not null then 'master' end as price_basis,
    case
        when from_orders.qty_costed > 0 then cast({{ ratio('from_orders.cost_cc', 'from_orders.qty_costed', 4) }} as decimal(18, 4))
        else {{ round4('master.standard_cost_cc') }}
    end as standard_cost_cc,
    case when from_orders.qty_costed > 0 then 'orders' when master.standard_cost_cc is not null then 'master' end as cost_basis

from pairs
cross join cycle
left join from_orders
    on pairs.family = from_orders.family
    and pairs.site_id = from_orders.site_id
left join master
    on pairs.family = master.family
    and pairs.site_id = master.site_id
left join categories
    on pairs.family = categories.family
