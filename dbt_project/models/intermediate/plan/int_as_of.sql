{#
    One row: the as-of date of every "open", "due", "overdue" and "last N days"
    (docs/conventions.md). CT_AS_OF (var as_of) when set, else the date of the latest
    extracted_at in any raw extract; NULL on an empty warehouse. Every raw extract is a
    dependency whatever the setting, so the graph does not change with it.
#}
{%- set configured = configured_as_of() -%}

with

latest_extract as (

    select max(extracted_at) as latest_extracted_at
    from (
        {%- for extract in raw_extracts() %}
        select max(extracted_at) as extracted_at from {{ source('raw', extract) }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as per_extract

)

select
    {% if configured -%}
    cast('{{ configured }}' as date) as as_of_date,
    {%- else -%}
    cast(latest_extracted_at as date) as as_of_date,
    {%- endif %}
    latest_extracted_at,
    '{{ "setting" if configured else "latest_extracted_at" }}' as as_of_basis

from latest_extract
