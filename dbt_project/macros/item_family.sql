{#
    The planning family of an item: the item master's family, 'unassigned' when it has
    none, so every family x site aggregate (demand history, the monthly forecast, S&OP,
    inventory policy) groups such items the same way.
#}
{% macro item_family(column) -%}
    coalesce({{ column }}, 'unassigned')
{%- endmacro %}
