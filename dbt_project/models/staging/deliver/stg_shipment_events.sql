with

source as (

    {{ current_rows('shipment_events') }}

),

renamed as (

    select
        shipment_id,
        event_at,
        event_code,
        location,
        is_exception,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
