with

source as (

    {{ current_rows('deliveries') }}

),

renamed as (

    select
        delivery_id,
        delivery_line,
        so_id,
        so_line,
        shipment_id,
        item_id,
        site_id,
        shipped_on,
        delivered_on,
        qty_shipped,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
