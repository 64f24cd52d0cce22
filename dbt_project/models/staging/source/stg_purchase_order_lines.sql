with

source as (

    {{ current_rows('purchase_order_lines') }}

),

renamed as (

    select
        po_id,
        po_line,
        supplier_id,
        site_id,
        item_id,
        buyer_id,
        order_date,
        requested_date,
        qty_ordered,
        uom,
        unit_price,
        currency,
        status,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
