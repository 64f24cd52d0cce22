with

source as (

    {{ current_rows('item_sites') }}

),

renamed as (

    select
        item_id,
        site_id,
        make_or_buy,
        planned_lead_time_days,
        safety_stock_qty,
        min_order_qty,
        standard_cost,
        list_price,
        currency,
        planner_id,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
