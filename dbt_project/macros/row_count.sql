{#
    Post-hook of every model (dbt_project.yml): the rows of the table just built, logged
    as "row_count <unique_id> <rows>". The Dagster step reads it from dbt's event stream
    and adds it to the model's materialization (dagster/row_count) as the model
    finishes, instead of counting every table again after dbt has let go of the
    warehouse. Views are not counted (that would run them). Renders no SQL.
#}
{% macro log_row_count() -%}
    {%- if execute and config.get('materialized') in ('table', 'incremental') -%}
        {%- set result = run_query('select count(*) from ' ~ this) -%}
        {%- do log('row_count ' ~ model.unique_id ~ ' ' ~ result.columns[0].values()[0], info=True) -%}
    {%- endif -%}
{%- endmacro %}
