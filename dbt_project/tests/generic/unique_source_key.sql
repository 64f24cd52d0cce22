{#
    A staging model holds one row per key of its extract, with no NULL in the key. The
    key is read from the source meta (from the extract contract), never typed here.
    The extract is the model name without `stg_`, unless given.
#}
{% test unique_source_key(model, extract=none) %}
    {%- set extract = extract or (model.identifier | replace('stg_', '', 1)) -%}
    {%- set key_columns = raw_source_meta(extract)['key'] -%}
    {{ ct_tests.unique_combination_of_columns_sql(model, key_columns) }}
{% endtest %}
