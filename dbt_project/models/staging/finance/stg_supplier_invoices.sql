with

source as (

    {{ current_rows('supplier_invoices') }}

),

renamed as (

    select
        invoice_id,
        invoice_line,
        supplier_id,
        po_id,
        po_line,
        invoice_date,
        due_date,
        qty_invoiced,
        unit_price,
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
