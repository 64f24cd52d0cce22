{#
    Replenishment lead time of every planned item x site (stg_item_sites):
    - bought items with at least var policy_min_lead_time_receipts (3) PO lines first
      received in the last var policy_lead_time_window_days (365) days: mean and sample
      standard deviation of order date -> first receipt (days), over lines not
      cancelled (lead_time_basis 'receipts');
    - otherwise (made items, too few receipts) the planned lead time of item_sites
      with a standard deviation of 0 (lead_time_basis 'planned', flagged as a
      fallback); no planned lead time either: NULL (basis 'none').
#}
with

received_lines as (

    select
        lines.item_id,
        lines.site_id,
        {{ dbt.datediff('lines.order_date', 'receipts.first_receipt_date', 'day') }} as lead_time_days
    from {{ ref('int_purchase_order_lines') }} as lines
    inner join {{ ref('int_purchase_order_line_receipts') }} as receipts
        on lines.po_id = receipts.po_id
        and lines.po_line = receipts.po_line
    where lines.status <> 'cancelled'
      and receipts.first_receipt_date <= {{ as_of_date() }}
      and receipts.first_receipt_date > {{ as_of_date() }} - {{ var('policy_lead_time_window_days') | int }}

),

receipt_stats as (

    select
        item_id,
        site_id,
        count(*) as lead_time_receipts,
        sum(lead_time_days) as lead_time_days_sum,
        {{ stddev_samp_days('lead_time_days') }} as lead_time_std
    from received_lines
    group by item_id, site_id

),

item_sites as (

    select item_id, site_id, make_or_buy, planned_lead_time_days
    from {{ ref('stg_item_sites') }}

),

based as (

    select
        item_sites.item_id,
        item_sites.site_id,
        item_sites.make_or_buy,
        item_sites.planned_lead_time_days,
        coalesce(receipt_stats.lead_time_receipts, 0) as lead_time_receipts,
        receipt_stats.lead_time_days_sum,
        receipt_stats.lead_time_std,
        case
            when coalesce(item_sites.make_or_buy, 'buy') <> 'make'
                and coalesce(receipt_stats.lead_time_receipts, 0) >= {{ var('policy_min_lead_time_receipts') | int }}
                then 'receipts'
            when item_sites.planned_lead_time_days is not null then 'planned'
            else 'none'
        end as lead_time_basis
    from item_sites
    left join receipt_stats
        on item_sites.item_id = receipt_stats.item_id
        and item_sites.site_id = receipt_stats.site_id

)

select
    item_id,
    site_id,
    make_or_buy,
    cast(planned_lead_time_days as integer) as planned_lead_time_days,
    cast(lead_time_receipts as integer) as lead_time_receipts,
    lead_time_basis,
    lead_time_basis <> 'receipts' as is_lead_time_fallback,
    case lead_time_basis
        when 'receipts' then cast({{ ratio('lead_time_days_sum', 'lead_time_receipts', 4) }} as decimal(18, 4))
        when 'planned' then cast(planned_lead_time_days as decimal(18, 4))
    end as lead_time_mean_days,
    case lead_time_basis
        when 'receipts' then {{ round4('coalesce(lead_time_std, 0)') }}
        when 'planned' then cast(0 as decimal(18, 4))
    end as lead_time_std_days

from based
