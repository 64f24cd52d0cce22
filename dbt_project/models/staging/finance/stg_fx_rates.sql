with

source as (

    {{ current_rows('fx_rates') }}

),

renamed as (

    select
        rate_date,
        from_currency,
        to_currency,
        rate,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
