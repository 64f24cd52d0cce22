with

source as (

    {{ current_rows('customer_invoices') }}

),

renamed as (

    select
        invoice_id,
        invoice_line,
        customer_id,
        so_id,
        so_line,
        invoice_date,
        due_date,
        amount,
        currency,
        paid_on,
        paid_amount,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
