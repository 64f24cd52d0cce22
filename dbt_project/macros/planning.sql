{#
    The forecast cutoff: Monday of the last complete ISO week before the as-of date
    (docs/conventions.md). The week holding the as-of date is still being ordered
    (even on its Sunday the day's orders may be partial), so it is never history.
    demand_history ends on this week and the forecast snapshot of a run is keyed by it.
#}
{% macro forecast_cutoff() -%}
    (cast(date_trunc('week', {{ as_of_date() }}) as date) - 7)
{%- endmacro %}
