{#
    Custom schemas are used verbatim: models land in `staging`, `intermediate` and
    `marts` (dbt_project.yml), never `<target schema>_marts`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
