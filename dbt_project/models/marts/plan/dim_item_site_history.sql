{#
    Standard cost and planned lead time of every item x site over time
    (int_item_site_versions): one row per version, valid from effective_from through
    effective_to (NULL = still valid). The first known version covers every earlier
    date; first_seen_on is the date it was first delivered.
#}
select
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(version_no as integer) as version_no,
    cast(effective_from as date) as effective_from,
    cast(effective_to as date) as effective_to,
    cast(first_seen_on as date) as first_seen_on,
    cast(standard_cost as decimal(18, 4)) as standard_cost,
    cast(planned_lead_time_days as integer) as planned_lead_time_days,
    cast(currency as varchar) as currency,
    cast(is_current as boolean) as is_current

from {{ ref('int_item_site_versions') }}
