with

source as (

    {{ current_rows('budgets') }}

),

renamed as (

    select
        period,
        site_id,
        category,
        amount,
        currency,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
