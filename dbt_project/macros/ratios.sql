{#
    ratio(numerator, denominator, scale=4, multiplier=1)
    = multiplier x numerator / denominator, rounded half away from zero to `scale`
    decimals, computed exactly (no floating point), so the same rows give the same
    digits on any engine and thread count. NULL when the denominator is 0 or NULL or the
    numerator is NULL. Inputs may be integers or decimals with up to 8 decimals.

    pct(numerator, denominator) = ratio(numerator, denominator, 2, 100): a *_pct column
    (0-100, 2 decimals).
#}
{% macro ratio(numerator, denominator, scale=4, multiplier=1) -%}
    {{ return(adapter.dispatch('ratio', 'control_tower')(numerator, denominator, scale, multiplier)) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator, scale, multiplier) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 or ({{ numerator }}) is null then null
        else cast(round(cast({{ numerator }} as numeric(38, 12)) * {{ multiplier }} / ({{ denominator }}), {{ scale }}) as numeric(38, {{ scale }}))
    end
{%- endmacro %}

{#
    DuckDB divides decimals in DOUBLE, so the quotient is taken on HUGEINTs:
    n and d are the inputs x 10^8; q = (2|n| * multiplier * 10^scale + |d|) // (2|d|)
    is |n/d| x multiplier x 10^scale rounded half up; q x 10^-scale is a decimal
    product, exact.
#}
{% macro duckdb__ratio(numerator, denominator, scale, multiplier) -%}
    {%- set n = "cast(cast(" ~ numerator ~ " as decimal(38, 8)) * 100000000 as hugeint)" -%}
    {%- set d = "cast(cast(" ~ denominator ~ " as decimal(38, 8)) * 100000000 as hugeint)" -%}
    {%- set factor = (multiplier | int) * (10 ** (scale | int)) -%}
    {%- set unit = ('0.' ~ ('0' * ((scale | int) - 1)) ~ '1') if (scale | int) > 0 else '1' -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 or ({{ numerator }}) is null then null
        else cast(
            cast(
                (case when ({{ n }} < 0) <> ({{ d }} < 0) then -1 else 1 end)
                * ((2 * abs({{ n }}) * cast({{ factor }} as hugeint) + abs({{ d }})) // (2 * abs({{ d }})))
                as decimal(38, 0)
            ) * {{ unit }}
            as decimal(38, {{ scale }}))
    end
{%- endmacro %}

{% macro pct(numerator, denominator) -%}
    cast({{ ratio(numerator, denominator, 2, 100) }} as decimal(9, 2))
{%- endmacro %}

{# Round a floating statistic (std, percentile) to 4 decimals as DECIMAL(18,4). #}
{% macro round4(expression) -%}
    cast(round({{ expression }}, 4) as decimal(18, 4))
{%- endmacro %}
