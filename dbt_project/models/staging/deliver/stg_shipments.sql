with

source as (

    {{ current_rows('shipments') }}

),

renamed as (

    select
        shipment_id,
        direction,
        carrier_id,
        mode,
        origin_site_id,
        destination_country,
        destination_region,
        planned_pickup,
        actual_pickup,
        planned_delivery,
        actual_delivery,
        gross_weight_kg,
        volume_m3,
        incoterm,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
