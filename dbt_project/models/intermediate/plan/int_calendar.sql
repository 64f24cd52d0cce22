{#
    One row per day from var calendar_start to var calendar_end (fixed, so the calendar
    never depends on the wall clock): ISO week (Monday start), month, and working days.
    A working day is Monday-Friday and not a holiday of the company calendar (var
    holiday_calendar, a country of seeds/holidays.csv).
#}
with

days as (

    select cast(day_ts as date) as date_day
    from range(
        cast('{{ var("calendar_start") }}' as timestamp),
        cast('{{ var("calendar_end") }}' as timestamp) + interval 1 day,
        interval 1 day
    ) as spine(day_ts)

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
