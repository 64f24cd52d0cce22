{# The calendar (int_calendar): one row per day, ISO weeks, months, working days. #}
select
    cast(date_day as date) as date_day,
    cast(year as integer) as year,
    cast(quarter as integer) as quarter,
    cast(month as date) as month,
    cast(month_of_year as integer) as month_of_year,
    cast(day_of_month as integer) as day_of_month,
    cast(iso_day_of_week as integer) as iso_day_of_week,
    cast(day_name as varchar) as day_name,
    cast(iso_year as integer) as iso_year,
    cast(iso_week as integer) as iso_week,
    cast(iso_week_start as date) as iso_week_start,
    cast(is_weekend as boolean) as is_weekend,
    cast(is_holiday as boolean) as is_holiday,
    cast(holiday_name as varchar) as holiday_name,
    cast(is_working_day as boolean) as is_working_day,
    cast(is_month_end as boolean) as is_month_end

from {{ ref('int_calendar') }}
