{#
    Supplier risk by month: concentration (int_supplier_concentration_monthly),
    sole-source items (int_supplier_sole_source_items_monthly) and delivery
    (kpi_supplier_performance_monthly) with their trailing 6-month trends and one
    documented score (docs/kpi_catalog.md, supplier_risk). Rows: supplier x month with
    receipts or due PO lines; concentration is on the trailing 6 months' spend.

    Trends over the trailing 6 months (this month and the 5 before, months with a
    value): OTD pooled = on-time / due lines; slopes by least squares of the monthly
    OTD % and mean lead time on the month number, exact, NULL under 3 months.

    risk_score (0-100) = 40 x (100 - OTD 6m %) / 100
                       + 10 x min(max(-OTD slope, 0) / 10, 1)     (10 pp / month down = full)
                       + 15 x main-category share % / 100
                       + 10 x main-category HHI / 10000
                       + 10 x sole-source items / items supplied
                       + 10 x country share % / 100
                       +  5 x min(max(lead-time slope, 0) / 5, 1) (5 days / month up = full)
    A missing input adds 0.
#}
with

concentration as (

    select * from {{ ref('int_supplier_concentration_monthly') }}

),

delivery as (

    select
        supplier_id,
        month,
        lines_due,
        lines_on_time,
        otd_pct,
        lead_time_mean_days
    from {{ ref('kpi_supplier_performance_monthly') }}
    where lines_due > 0

),

supplier_months as (

    select supplier_id, month from concentration where has_receipts
    union
    select supplier_id, month from delivery

),

joined as (

    select
        supplier_months.supplier_id,
        supplier_months.month,
        (year(supplier_months.month) - 2000) * 12 + month(supplier_months.month) as month_number,
        concentration.spend_cc,
        concentration.spend_6m_cc,
        concentration.main_category,
        concentration.category_spend_share_pct,
        concentration.category_hhi,
        concentration.country_spend_share_pct,
        coalesce(sole_source.items_supplied, 0) as items_supplied,
        coalesce(sole_source.sole_source_items, 0) as sole_source_items,
        delivery.lines_due,
        delivery.lines_on_time,
        delivery.otd_pct,
        delivery.lead_time_mean_days
    from supplier_months
    left join concentration
        on supplier_months.supplier_id = concentration.supplier_id
        and supplier_months.month = concentration.month
    left join delivery
        on supplier_months.supplier_id = delivery.supplier_id
        and supplier_months.month = delivery.month
    left join {{ ref('int_supplier_sole_source_items_monthly') }} as sole_source
        on supplier_months.supplier_id = sole_source.supplier_id
        and supplier_months.month = sole_source.month

),

trailing_windows as (

    select
        *,
        sum(lines_due) over w as lines_due_6m,
        sum(lines_on_time) over w as lines_on_time_6m,
        count(otd_pct) over w as otd_n,
        sum(case when otd_pct is not null then month_number end) over w as otd_sx,
        sum(case when otd_pct is not null then month_number * month_number end) over w as otd_sxx,
        sum(otd_pct) over w as otd_sy,
        sum(month_number * otd_pct) over w as otd_sxy,
        count(lead_time_mean_days) over w as lt_n,
        sum(case when lead_time_mean_days is not null then month_number end) over w as lt_sx,
        sum(case when lead_time_mean_days is not null then month_number * month_number end) over w as lt_sxx,
        sum(lead_time_mean_days) over w as lt_sy,
        sum(month_number * lead_time_mean_days) over w as lt_sxy
    from joined
    window w as (
        partition by supplier_id order by month_number
        range between 5 preceding and current row)

),

trends as (

    select
        *,
        {{ pct('lines_on_time_6m', 'lines_due_6m') }} as otd_6m_pct,
        case when otd_n >= 3 then
            {{ ratio('otd_n * otd_sxy - otd_sx * otd_sy', 'otd_n * otd_sxx - otd_sx * otd_sx', 4) }}
        end as otd_trend_pp_per_month,
        case when lt_n >= 3 then
            {{ ratio('lt_n * lt_sxy - lt_sx * lt_sy', 'lt_n * lt_sxx - lt_sx * lt_sx', 4) }}
        end as lead_time_trend_days_per_month,
        {{ ratio('sole_source_items', 'items_supplied', 4) }} as sole_source_share
    from trailing_windows

),

scored as (

    select
        *,
        {{ round_half_even(
            '40 * (100 - coalesce(otd_6m_pct, 100)) / 100'
            ~ ' + 10 * least(greatest(-coalesce(otd_trend_pp_per_month, 0), 0) / 10, 1)'
            ~ ' + 15 * coalesce(category_spend_share_pct, 0) / 100'
            ~ ' + 10 * coalesce(category_hhi, 0) / 10000'
            ~ ' + 10 * coalesce(sole_source_share, 0)'
            ~ ' + 10 * coalesce(country_spend_share_pct, 0) / 100'
            ~ ' + 5 * least(greatest(coalesce(lead_time_trend_days_per_month, 0), 0) / 5, 1)', 2) }}
            as risk_score
    from trends

)

select
    cast(supplier_id as varchar) as supplier_id,
    cast(month as date) as month,
    cast(coalesce(spend_cc, 0) as decimal(18, 4)) as spend_cc,
    cast(spend_6m_cc as decimal(18, 4)) as spend_6m_cc,
    cast(main_category as varchar) as main_category,
    cast(category_spend_share_pct as decimal(9, 2)) as category_spend_share_pct,
    cast(category_hhi as decimal(9, 2)) as category_hhi,
    cast(country_spend_share_pct as decimal(9, 2)) as country_spend_share_pct,
    cast(items_supplied as bigint) as items_supplied,
    cast(sole_source_items as bigint) as sole_source_items,
    cast(coalesce(lines_due, 0) as bigint) as lines_due,
    cast(otd_pct as decimal(9, 2)) as otd_pct,
    cast(lead_time_mean_days as decimal(18, 4)) as lead_time_mean_days,
    cast(lines_due_6m as bigint) as lines_due_6m,
    cast(otd_6m_pct as decimal(9, 2)) as otd_6m_pct,
    cast(otd_trend_pp_per_month as decimal(18, 4)) as otd_trend_pp_per_month,
    cast(lead_time_trend_days_per_month as decimal(18, 4)) as lead_time_trend_days_per_month,
    cast(risk_score as decimal(9, 2)) as risk_score,
    cast(row_number() over (partition by month order by risk_score desc, supplier_id) as bigint) as risk_rank

from scored
