{#
    The S&OP cycle of the sop_* models as a SQL DATE (first day of the month): var
    sop_cycle (the Dagster asset passes its month partition with --vars), else the
    month of the as-of date. int_sop_cycle refuses a cycle after the as-of month.
#}
{% macro sop_cycle() -%}
    {%- set value = (var('sop_cycle', '') or '') | string | trim -%}
    {%- if value in ('', 'None', 'none') -%}
        cast(date_trunc('month', {{ as_of_date() }}) as date)
    {%- else -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-01', value) -%}
            {{ exceptions.raise_compiler_error(
                "var sop_cycle must be the first day of a month YYYY-MM-01, got '" ~ value ~ "'") }}
        {%- endif -%}
        cast('{{ value }}' as date)
    {%- endif -%}
{%- endmacro %}


{#
    A forecast snapshot table (source forecast.<table>), written by the forecasting
    asset. Before the asset has run once (a new warehouse, the empty warehouse of the
    dbt unit tests) the table does not exist: the models then read an empty relation
    with the pinned columns (models/marts/planning/_forecast__sources.yml) instead of
    failing. Unit tests always read their given rows.
#}
{% macro forecast_snapshots(table) -%}
    {%- set relation = source('forecast', table) -%}
    {%- if execute and model.resource_type == 'model' and load_relation(relation) is none -%}
        {%- set key = {
            'demand_forecast': "cast(null as varchar) as item_id, cast(null as varchar) as site_id, cast(null as date) as week, cast(null as integer) as lag_weeks,",
            'demand_forecast_monthly': "cast(null as varchar) as family, cast(null as varchar) as site_id, cast(null as date) as month, cast(null as integer) as lag_months,",
        }[table] -%}
        (select
            cast(null as date) as cutoff,
            {{ key }}
            cast(null as double) as forecast,
            cast(null as double) as forecast_lo_80,
            cast(null as double) as forecast_hi_80,
            cast(null as double) as forecast_lo_95,
            cast(null as double) as forecast_hi_95,
            {%- if table == 'demand_forecast' %}
            cast(null as double) as seasonal_naive,
            cast(null as varchar) as model,
            cast(null as varchar) as demand_class,
            {%- endif %}
            cast(null as timestamp) as created_at
        where false)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
