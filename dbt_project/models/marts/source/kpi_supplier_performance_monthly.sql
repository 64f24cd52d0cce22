{#
    Supplier delivery performance by month: one row per supplier and month (the month
    of the lines' deadline) with at least one due line or a purchase price variance.
    Only due lines enter the delivery measures (docs/conventions.md). Percentages are
    0-100 with 2 decimals, NULL when the denominator is 0; other ratios have 4
    decimals. ppv_cc: both legs of int_purchase_price_variances in the month of the
    receipt / invoice (the same events as fin_ppv_monthly).
#}
with

due_lines as (

    select *
    from {{ ref('fct_purchase_order_lines') }}
    where is_due

),

measures as (

    select
        supplier_id,
        month,
        count(*) as lines_due,
        sum(case when on_time then 1 else 0 end) as lines_on_time,
        sum(case when in_full then 1 else 0 end) as lines_in_full,
        sum(case when otif then 1 else 0 end) as lines_otif,
        sum(case when on_time_to_need then 1 else 0 end) as lines_on_time_to_need,
        sum(case when is_confirmed then 1 else 0 end) as lines_confirmed,
        sum(case when is_confirmed_within_window then 1 else 0 end) as lines_confirmed_within_window,
        sum(case when is_confirmed_after_need_date then 1 else 0 end) as lines_confirmed_after_need_date,
        count(lead_time_days) as lines_received,
        sum(lead_time_days) as lead_time_days_sum,
        {{ stddev_samp_days("lead_time_days") }} as lead_time_std,
        percentile_cont(0.9) within group (order by lead_time_days) as lead_time_p90,
        count(lead_time_error_days) as lines_with_planned_lead_time,
        sum(lead_time_error_days) as lead_time_error_days_sum,
        sum(qty_received) as qty_received,
        sum(qty_rejected) as qty_rejected

    from due_lines
    group by supplier_id, month

),

price_variances as (

    select
        supplier_id,
        month,
        sum(ppv_cc) as ppv_cc
    from {{ ref('int_purchase_price_variances') }}
    group by supplier_id, month

),

supplier_months as (

    select
        coalesce(measures.supplier_id, price_variances.supplier_id) as supplier_id,
        coalesce(measures.month, price_variances.month) as month,
        coalesce(measures.lines_due, 0) as lines_due,
        coalesce(measures.lines_on_time, 0) as lines_on_time,
        coalesce(measures.lines_in_full, 0) as lines_in_full,
        coalesce(measures.lines_otif, 0) as lines_otif,
        coalesce(measures.lines_on_time_to_need, 0) as lines_on_time_to_need,
        coalesce(measures.lines_confirmed, 0) as lines_confirmed,
        coalesce(measures.lines_confirmed_within_window, 0) as lines_confirmed_within_window,
        coalesce(measures.lines_confirmed_after_need_date, 0) as lines_confirmed_after_need_date,
        coalesce(measures.lines_received, 0) as lines_received,
        measures.lead_time_days_sum,
        measures.lead_time_std,
        measures.lead_time_p90,
        coalesce(measures.lines_with_planned_lead_time, 0) as lines_with_planned_lead_time,
        measures.lead_time_error_days_sum,
        coalesce(measures.qty_received, 0) as qty_received,
        coalesce(measures.qty_rejected, 0) as qty_rejected,
        price_variances.ppv_cc
    from measures
    full outer join price_variances
        on measures.supplier_id = price_variances.supplier_id
        and measures.month = price_variances.month

)

select
    cast(supplier_id as varchar) as supplier_id,
    cast(month as date) as month,
    cast(lines_due as bigint) as lines_due,
    cast(lines_on_time as bigint) as lines_on_time,
    cast(lines_in_full as bigint) as lines_in_full,
    cast(lines_otif as bigint) as lines_otif,
    cast(lines_on_time_to_need as bigint) as lines_on_time_to_need,
    cast(lines_confirmed as bigint) as lines_confirmed,
    cast(lines_confirmed_within_window as bigint) as lines_confirmed_within_window,
    cast(lines_confirmed_after_need_date as bigint) as lines_confirmed_after_need_date,
    cast(lines_received as bigint) as lines_received,
    {{ pct('lines_on_time', 'lines_due') }} as otd_pct,
    {{ pct('lines_in_full', 'lines_due') }} as in_full_pct,
    {{ pct('lines_otif', 'lines_due') }} as otif_pct,
    {{ pct('lines_on_time_to_need', 'lines_due') }} as on_time_to_need_pct,
    {{ pct('lines_confirmed_within_window', 'lines_due') }} as confirmation_rate_pct,
    {{ pct('lines_confirmed_after_need_date', 'lines_confirmed') }} as late_confirmation_pct,
    cast({{ ratio('lead_time_days_sum', 'lines_received', 4) }} as decimal(18, 4)) as lead_time_mean_days,
    {{ round4('lead_time_std') }} as lead_time_std_days,
    {{ round4('lead_time_p90') }} as lead_time_p90_days,
    cast({{ ratio('lead_time_error_days_sum', 'lines_with_planned_lead_time', 4) }} as decimal(18, 4)) as lead_time_error_days,
    cast(qty_received as decimal(18, 4)) as qty_received,
    cast(qty_rejected as decimal(18, 4)) as qty_rejected,
    {{ pct('qty_rejected', 'qty_received') }} as reject_rate_pct,
    cast(ppv_cc as decimal(18, 4)) as ppv_cc

from supplier_months
