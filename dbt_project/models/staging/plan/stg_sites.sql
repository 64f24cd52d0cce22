with

source as (

    {{ current_rows('sites') }}

),

renamed as (

    select
        site_id,
        name,
        country,
        site_type,
        currency,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
