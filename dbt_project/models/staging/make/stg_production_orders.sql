with

source as (

    {{ current_rows('production_orders') }}

),

renamed as (

    select
        mo_id,
        item_id,
        site_id,
        work_center,
        planned_start,
        planned_finish,
        actual_start,
        actual_finish,
        qty_planned,
        qty_produced,
        qty_scrapped,
        status,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
