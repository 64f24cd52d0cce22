with

source as (

    {{ current_rows('returns') }}

),

renamed as (

    select
        return_id,
        return_line,
        so_id,
        so_line,
        customer_id,
        item_id,
        returned_on,
        qty_returned,
        reason_code,
        disposition,
        credit_amount,
        currency,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
