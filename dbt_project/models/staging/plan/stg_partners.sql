with

source as (

    {{ current_rows('partners') }}

),

renamed as (

    select
        partner_id,
        role,
        name,
        country,
        currency,
        payment_terms_days,
        tax_id,
        segment,
        contact_name,
        contact_email,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
