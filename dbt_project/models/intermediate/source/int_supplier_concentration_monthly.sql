{#
    How much the company depends on a supplier, by supplier x month, on the spend of
    the TRAILING 6 MONTHS (the month and the 5 before; one delivery would swing a
    single month's share from 0 to 100 %). Spend = received value at the PO price
    (int_procurement_spend_monthly); a supplier x category whose 6-month spend is
    negative (returns above receipts) counts 0, so shares stay within 0-100.
    - main category: the supplier's largest 6-month spend (ties by category name);
    - category share = its 6-month spend there / the category's 6-month spend;
    - category HHI = sum over the category's suppliers of (share in %)^2, 0-10000
      (10000 = a single supplier);
    - country share = the category's 6-month spend with suppliers of the supplier's
      country / the category's 6-month spend.
    Ratios are exact (NULL when the category's spend is 0). Rows: each month from the
    first receipt through the as-of month in which the supplier has 6-month spend or
    receipts in the month (has_receipts).
#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

spend as (

    select
        spend.supplier_id,
        spend.category,
        spend.month,
        spend.spend_cc,
        partners.country
    from {{ ref('int_procurement_spend_monthly') }} as spend
    left join {{ ref('stg_partners') }} as partners
        on spend.supplier_id = partners.partner_id

),

months as (

    select cast(month_start as date) as month
    from as_of
    cross join unnest(generate_series(
        cast((select min(month) from spend) as timestamp),
        cast({{ dbt.date_trunc('month', 'as_of.as_of_date') }} as timestamp),
        interval 1 month)) as spine(month_start)

),

trailing_spend as (

    select
        months.month,
        spend.supplier_id,
        spend.category,
        any_value(spend.country) as country,
        sum(case when spend.month = months.month then spend.spend_cc else 0 end) as month_spend_cc,
        count(case when spend.month = months.month then 1 end) > 0 as has_receipts,
        sum(spend.spend_cc) as spend_6m_cc,
        greatest(sum(spend.spend_cc), 0) as exposure_cc
    from months
    inner join spend
        on spend.month <= months.month
        and spend.month > months.month - interval 6 month
    group by months.month, spend.supplier_id, spend.category

),

categories as (

    select
        category,
        month,
        sum(exposure_cc) as category_spend_cc,
        sum(exposure_cc * exposure_cc) as spend_squares
    from trailing_spend
    group by category, month

),

countries as (

    select
        category,
        month,
        country,
        sum(exposure_cc) as country_spend_cc
    from trailing_spend
    group by category, month, country

),

suppliers as (

    select
        *,
        sum(month_spend_cc) over (partition by supplier_id, month) as supplier_month_spend_cc,
        sum(spend_6m_cc) over (partition by supplier_id, month) as supplier_spend_6m_cc,
        bool_or(has_receipts) over (partition by supplier_id, month) as supplier_has_receipts,
        row_number() over (
            partition by supplier_id, month
            order by exposure_cc desc, category
        ) as category_rank
    from trailing_spend

)

select
    suppliers.supplier_id,
    suppliers.month,
    suppliers.country,
    suppliers.supplier_has_receipts as has_receipts,
    cast(suppliers.supplier_month_spend_cc as decimal(18, 4)) as spend_cc,
    cast(suppliers.supplier_spend_6m_cc as decimal(18, 4)) as spend_6m_cc,
    suppliers.category as main_category,
    cast(suppliers.exposure_cc as decimal(18, 4)) as main_category_supplier_spend_6m_cc,
    cast(categories.category_spend_cc as decimal(18, 4)) as main_category_spend_6m_cc,
    cast({{ ratio('suppliers.exposure_cc', 'categories.category_spend_cc', 2, 100) }} as decimal(9, 2)) as category_spend_share_pct,
    cast({{ ratio('categories.spend_squares', 'categories.category_spend_cc * categories.category_spend_cc', 2, 10000) }} as decimal(9, 2)) as category_hhi,
    cast({{ ratio('countries.country_spend_cc', 'categories.category_spend_cc', 2, 100) }} as decimal(9, 2)) as country_spend_share_pct

from suppliers
inner join categories
    on suppliers.category = categories.category
    and suppliers.month = categories.month
left join countries
    on suppliers.category = countries.category
    and suppliers.month = countries.month
    and suppliers.country is not distinct from countries.country
where suppliers.category_rank = 1
