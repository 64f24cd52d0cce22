{#
    One row per day from var calendar_start to var calendar_end, or, when they are empty,
    from the data (never the wall clock, so 1996 data gets a 1996 calendar): 1 January of
    the year before the earliest order or the as-of date, to 31 December three years
    after the as-of year. ISO week (Monday start), month, and working days. A working day
    is Monday-Friday and not a holiday of the company calendar (var holiday_calendar, a
    country of seeds/holidays.csv).
#}
{%- set start = (var('calendar_start', '') or '') | string | trim -%}
{%- set end = (var('calendar_end', '') or '') | string | trim -%}
with

first_order as (

    select min(order_date) as first_order_date
    from (
        select order_date from {{ ref('stg_sales_order_lines') }}
        union all
        select order_date from {{ ref('stg_purchase_order_lines') }}
    ) as orders

),

bounds as (

    select
        {% if start -%}
        cast('{{ start }}' as date) as calendar_start,
        {%- else -%}
        make_date(cast(extract(year from least(
            coalesce(first_order.first_order_date, as_of.as_of_date), as_of.as_of_date
        )) as integer) - 1, 1, 1) as calendar_start,
        {%- endif %}
        {% if end -%}
        cast('{{ end }}' as date) as calendar_end
        {%- else -%}
        make_date(cast(extract(year from as_of.as_of_date) as integer) + 3, 12, 31) as calendar_end
        {%- endif %}
    from {{ ref('int_as_of') }} as as_of
    cross join first_order

),

days as (

    select cast(unnest(generate_series(
        cast(calendar_start as timestamp), cast(calendar_end as timestamp), interval 1 day
    )) as date) as date_day
    from bounds
    where calendar_start is not null and calendar_end is not null

),

holidays as (

    select holiday_date, holiday_name
    from {{ ref('holidays') }}
    where country = '{{ var("holiday_calendar") }}'

)

select
    days.date_day,
    cast(extract(year from days.date_day) as integer) as year,
    cast(extract(quarter from days.date_day) as integer) as quarter,
    cast(date_trunc('month', days.date_day) as date) as month,
    cast(extract(month from days.date_day) as integer) as month_of_year,
    cast(extract(day from days.date_day) as integer) as day_of_month,
    cast(isodow(days.date_day) as integer) as iso_day_of_week,
    dayname(days.date_day) as day_name,
    cast(isoyear(days.date_day) as integer) as iso_year,
    cast(weekofyear(days.date_day) as integer) as iso_week,
    cast(date_trunc('week', days.date_day) as date) as iso_week_start,
    isodow(days.date_day) >= 6 as is_weekend,
    holidays.holiday_date is not null as is_holiday,
    holidays.holiday_name,
    isodow(days.date_day) < 6 and holidays.holiday_date is null as is_working_day,
    days.date_day = last_day(days.date_day) as is_month_end

from days
left join holidays
    on days.date_day = holidays.holiday_date
