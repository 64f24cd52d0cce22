with

source as (

    {{ current_rows('inventory_movements') }}

),

renamed as (

    select
        movement_id,
        item_id,
        site_id,
        movement_type,
        qty,
        value,
        currency,
        posted_on,
        ref_doc_type,
        ref_doc_id,
        ref_line,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
