{# The model has exactly `equals` rows. #}
{% test row_count(model, equals) %}
    select count(*) as n_rows
    from {{ model }}
    having count(*) <> {{ equals }}
{% endtest %}
