with

source as (

    {{ current_rows('sales_order_lines') }}

),

renamed as (

    select
        so_id,
        so_line,
        customer_id,
        site_id,
        item_id,
        channel,
        order_date,
        requested_date,
        committed_date,
        qty_ordered,
        unit_price,
        currency,
        status,
        cancel_reason,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
