with

source as (

    {{ current_rows('plan_overrides') }}

),

renamed as (

    select
        cycle,
        family,
        site_id,
        month,
        qty,
        reason,
        planner_id,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
