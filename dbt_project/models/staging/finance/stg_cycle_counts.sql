with

source as (

    {{ current_rows('cycle_counts') }}

),

renamed as (

    select
        count_id,
        count_date,
        item_id,
        site_id,
        qty_system,
        qty_counted,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
