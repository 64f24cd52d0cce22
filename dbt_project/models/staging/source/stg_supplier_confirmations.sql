with

source as (

    {{ current_rows('supplier_confirmations') }}

),

renamed as (

    select
        po_id,
        po_line,
        confirmation_id,
        confirmed_at,
        confirmed_date,
        confirmed_qty,
        channel,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
