with

source as (

    {{ current_rows('goods_receipts') }}

),

renamed as (

    select
        receipt_id,
        receipt_line,
        po_id,
        po_line,
        item_id,
        site_id,
        received_on,
        qty_received,
        qty_rejected,
        movement,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
