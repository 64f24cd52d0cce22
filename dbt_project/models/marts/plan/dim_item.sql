{# Items: the current item master (stg_items), one row per item. #}
select
    cast(item_id as varchar) as item_id,
    cast(description as varchar) as description,
    cast(item_type as varchar) as item_type,
    cast(family as varchar) as family,
    cast(category as varchar) as category,
    cast(base_uom as varchar) as base_uom,
    cast(unit_weight_kg as decimal(18, 4)) as unit_weight_kg,
    cast(unit_volume_m3 as decimal(18, 4)) as unit_volume_m3,
    cast(lifecycle_status as varchar) as lifecycle_status,
    cast(introduced_on as date) as introduced_on,
    cast(coalesce(lifecycle_status = 'discontinued', false) as boolean) as is_discontinued

from {{ ref('stg_items') }}
