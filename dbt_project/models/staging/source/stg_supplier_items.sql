with

source as (

    {{ current_rows('supplier_items') }}

),

renamed as (

    select
        supplier_id,
        item_id,
        valid_from,
        unit_price,
        currency,
        min_qty,
        lead_time_days,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
