with

source as (

    {{ current_rows('bom_lines') }}

),

renamed as (

    select
        parent_item_id,
        component_item_id,
        valid_from,
        qty_per,
        scrap_pct,
        valid_to,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
