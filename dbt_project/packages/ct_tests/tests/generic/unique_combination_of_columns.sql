{#
    The combination of columns is a key: no row has a NULL in it and no two rows share
    it. Fails with one row per offending combination.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ ct_tests.unique_combination_of_columns_sql(model, combination_of_columns) }}
{% endtest %}
