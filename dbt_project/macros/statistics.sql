{#
    Sample standard deviation of an INTEGER column (days), deterministic whatever the
    thread count: the sums are exact integers and only the last division and the square
    root are floating point. NULL under two values. Use inside an aggregate query.
    Round it with round4().
#}
{% macro stddev_samp_days(column) -%}
    case
        when count({{ column }}) < 2 then null
        else sqrt(
            cast(
                count({{ column }}) * sum(cast({{ column }} as hugeint) * {{ column }})
                - sum(cast({{ column }} as hugeint)) * sum(cast({{ column }} as hugeint))
                as double)
            / (count({{ column }}) * (count({{ column }}) - 1))
        )
    end
{%- endmacro %}
