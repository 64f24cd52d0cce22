{#
    Items a supplier can supply and those it is the ONLY supplier of, by supplier x
    month. A supplier x item is a source from the month of its earliest contract
    version (supplier_items.valid_from, current rows) on; an item is sole-sourced in a
    month when exactly one supplier is a source of it by the end of that month.
    Months: from the earliest valid_from through the as-of month.
#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

sources as (

    select
        supplier_id,
        item_id,
        cast({{ dbt.date_trunc('month', 'min(valid_from)') }} as date) as source_from_month
    from {{ ref('stg_supplier_items') }}
    group by supplier_id, item_id

),

months as (

    select cast(month_start as date) as month
    from as_of
    cross join unnest(generate_series(
        cast((select min(source_from_month) from sources) as timestamp),
        cast({{ dbt.date_trunc('month', 'as_of.as_of_date') }} as timestamp),
        interval 1 month)) as spine(month_start)

),

sources_by_month as (

    select
        months.month,
        sources.supplier_id,
        sources.item_id,
        count(*) over (partition by months.month, sources.item_id) as item_sources
    from months
    inner join sources
        on sources.source_from_month <= months.month

)

select
    supplier_id,
    month,
    count(*) as items_supplied,
    count(case when item_sources = 1 then 1 end) as sole_source_items

from sources_by_month
group by supplier_id, month
