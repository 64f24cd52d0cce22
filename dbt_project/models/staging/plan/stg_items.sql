with

source as (

    {{ current_rows('items') }}

),

renamed as (

    select
        item_id,
        description,
        item_type,
        family,
        category,
        base_uom,
        unit_weight_kg,
        unit_volume_m3,
        lifecycle_status,
        introduced_on,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
