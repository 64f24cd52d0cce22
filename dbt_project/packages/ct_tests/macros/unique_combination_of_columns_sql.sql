{#
    The key check behind unique_combination_of_columns (and the project's
    unique_source_key): one row per offending combination, a duplicate or a NULL in it.
#}
{% macro unique_combination_of_columns_sql(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
        {%- for column in combination_of_columns %}
        or {{ column }} is null
        {%- endfor %}
{% endmacro %}
