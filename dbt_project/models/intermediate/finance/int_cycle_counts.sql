{#
    Cycle counts up to the as-of date, one row per count, with the difference found and
    its value (written once for fin_inventory_reconciliation_monthly).

    - qty_difference = counted - system (negative: stock missing).
    - Within tolerance: |difference| <= var cycle_count_tolerance_pct % of |system|
      (0 by default: the count must match exactly).
    - Values at the standard cost of the item x site valid on the count date
      (int_item_site_versions), in its currency and in the company currency at the
      count date's rate.
#}
{%- set tolerance_pct = var('cycle_count_tolerance_pct') | string %}
with

counts as (

    select
        count_id,
        count_date,
        item_id,
        site_id,
        qty_system,
        qty_counted,
        qty_counted - qty_system as qty_difference
    from {{ ref('stg_cycle_counts') }}
    where count_date <= {{ as_of_date() }}

),

valued as (

    select
        counts.*,
        cost.standard_cost,
        cost.currency,
        {{ money_product('abs(counts.qty_difference)', 'cost.standard_cost') }} as abs_difference_value,
        {{ money_product('abs(counts.qty_system)', 'cost.standard_cost') }} as system_value
    from counts
    asof left join {{ ref('int_item_site_versions') }} as cost
        on counts.item_id = cost.item_id
        and counts.site_id = cost.site_id
        and counts.count_date >= cost.effective_from

)

select
    valued.count_id,
    valued.count_date,
    cast(date_trunc('month', valued.count_date) as date) as month,
    valued.item_id,
    valued.site_id,
    cast(valued.qty_system as decimal(18, 4)) as qty_system,
    cast(valued.qty_counted as decimal(18, 4)) as qty_counted,
    cast(valued.qty_difference as decimal(18, 4)) as qty_difference,
    abs(valued.qty_difference) * 100 <= cast({{ tolerance_pct }} as decimal(18, 8)) * abs(valued.qty_system) as is_within_tolerance,
    cast(valued.standard_cost as decimal(18, 4)) as standard_cost,
    valued.currency,
    valued.abs_difference_value,
    valued.system_value,
    {{ to_company_currency('valued.abs_difference_value', 'valued.currency', 'fx') }} as abs_difference_value_cc,
    {{ to_company_currency('valued.system_value', 'valued.currency', 'fx') }} as system_value_cc,
    {{ is_missing_fx_rate('valued.system_value', 'valued.currency', 'fx') }} as is_missing_fx_rate

from valued
{{ fx_join('fx', 'valued.currency', 'valued.count_date') }}
