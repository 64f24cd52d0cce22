{#
    Current offer of every supplier for an item, ranked for replenishment: the
    supplier_items row with the latest valid_from on or before the as-of date (its
    price, currency, minimum quantity and lead time), the price in the company
    currency at the as-of date's rate, and the supplier's OTD over the last var
    supplier_otd_window_months (6) deadline months of kpi_supplier_performance_monthly
    (on-time due lines / due lines).

    Score (lower is better) = price_cc x (2 - OTD share): the price of a supplier that
    is always on time, +10 % for every 10 points of OTD it misses. A supplier without
    due lines in the window gets the OTD of all suppliers in the window; an offer
    without a company-currency price ranks last. supplier_rank 1 = preferred (ties:
    supplier_id).
#}
{%- set window_months = var('supplier_otd_window_months') | int %}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

offers as (

    select *
    from (
        select
            supplier_items.*,
            row_number() over (
                partition by supplier_items.supplier_id, supplier_items.item_id
                order by supplier_items.valid_from desc
            ) as recency
        from {{ ref('stg_supplier_items') }} as supplier_items
        cross join as_of
        where supplier_items.valid_from <= as_of.as_of_date
    ) as versions
    where recency = 1

),

performance as (

    select
        performance.supplier_id,
        sum(performance.lines_due) as lines_due,
        sum(performance.lines_on_time) as lines_on_time
    from {{ ref('kpi_supplier_performance_monthly') }} as performance
    cross join as_of
    where performance.month > cast(date_trunc('month', as_of.as_of_date) as date) - interval {{ window_months }} month
      and performance.month <= as_of.as_of_date
    group by performance.supplier_id

),

overall as (

    select sum(lines_on_time) as lines_on_time, sum(lines_due) as lines_due
    from performance

),

priced as (

    select
        offers.supplier_id,
        offers.item_id,
        offers.valid_from,
        offers.unit_price,
        offers.currency,
        offers.min_qty,
        offers.lead_time_days,
        {{ to_company_currency('offers.unit_price', 'offers.currency', 'fx') }} as unit_price_cc,
        {{ is_missing_fx_rate('offers.unit_price', 'offers.currency', 'fx') }} as is_missing_fx_rate,
        coalesce(performance.lines_due, 0) as otd_lines_due,
        coalesce(performance.lines_due, 0) = 0 as is_otd_defaulted,
        case
            when coalesce(performance.lines_due, 0) > 0
                then {{ ratio('performance.lines_on_time', 'performance.lines_due', 4) }}
            else {{ ratio('overall.lines_on_time', 'overall.lines_due', 4) }}
        end as otd_share
    from offers
    cross join as_of
    cross join overall
    left join performance
        on offers.supplier_id = performance.supplier_id
    {{ fx_join('fx', 'offers.currency', 'as_of.as_of_date') }}

),

scored as (

    select
        priced.*,
        {{ round4('priced.unit_price_cc * (2 - coalesce(priced.otd_share, 1))') }} as supplier_score
    from priced

)

select
    scored.supplier_id,
    scored.item_id,
    scored.valid_from,
    cast(scored.unit_price as decimal(18, 4)) as unit_price,
    scored.currency,
    cast(scored.unit_price_cc as decimal(18, 4)) as unit_price_cc,
    scored.is_missing_fx_rate,
    cast(scored.min_qty as decimal(18, 4)) as min_qty,
    cast(scored.lead_time_days as integer) as lead_time_days,
    cast(scored.otd_lines_due as bigint) as otd_lines_due,
    scored.is_otd_defaulted,
    cast(scored.otd_share as decimal(18, 4)) as otd_share,
    scored.supplier_score,
    cast(row_number() over (
        partition by scored.item_id
        order by scored.supplier_score asc nulls last, scored.supplier_id
    ) as integer) as supplier_rank

from scored
