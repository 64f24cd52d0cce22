{#
    The boolean SQL expression holds on every row (NULL counts as a failure unless the
    expression handles it). Fails with the rows where it does not.
#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
