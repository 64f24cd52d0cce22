with

source as (

    {{ current_rows('inventory_snapshots') }}

),

renamed as (

    select
        snapshot_date,
        item_id,
        site_id,
        qty_on_hand,
        qty_allocated,
        qty_blocked,
        value,
        currency,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
