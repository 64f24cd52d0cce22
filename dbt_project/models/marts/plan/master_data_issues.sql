{#
    Master-data issues, one row per record x rule broken in the current master data,
    with when the raw data first showed it (int_master_data_issues; rules in
    docs/kpi_catalog.md).
#}
select
    cast(entity as varchar) as entity,
    cast(record_key as varchar) as record_key,
    cast(rule as varchar) as rule,
    cast(column_name as varchar) as column_name,
    cast(column_value as varchar) as column_value,
    cast(detail as varchar) as detail,
    cast(item_id as varchar) as item_id,
    cast(site_id as varchar) as site_id,
    cast(partner_id as varchar) as partner_id,
    cast(first_seen_at as timestamp) as first_seen_at

from {{ ref('int_master_data_issues') }}
