with

source as (

    {{ current_rows('freight_invoices') }}

),

renamed as (

    select
        freight_invoice_id,
        line,
        carrier_id,
        shipment_id,
        invoice_date,
        charge_type,
        amount,
        currency,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
