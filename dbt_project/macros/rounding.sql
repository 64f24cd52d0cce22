{#
    Rounding, written once. Every rounded number of the warehouse (money, percentages,
    ratios) is rounded HALF TO EVEN on its exact decimal value - the rule of Python's
    Decimal, round() and numpy/pandas - so an independent Python computation of the
    same rows gives the same digits, on any thread count.

    round_half_even(expression, scale): a DECIMAL or DOUBLE rounded to `scale` decimals.

    ratio(numerator, denominator, scale=4, multiplier=1): multiplier x numerator /
    denominator, exact (no floating point) and rounded half to even, as
    DECIMAL(38, scale); NULL when the denominator is 0 or NULL or the numerator is
    NULL. Inputs: integers or decimals with at most 8 decimals.

    pct(numerator, denominator): ratio(numerator, denominator, 2, 100) as
    DECIMAL(9,2), the type of every *_pct column (0-100).

    round4(expression): a floating statistic (std, percentile) as DECIMAL(18,4).
#}

{% macro round_half_even(expression, scale) -%}
    {{ return(adapter.dispatch('round_half_even', 'control_tower')(expression, scale)) }}
{%- endmacro %}

{% macro default__round_half_even(expression, scale) -%}
    round({{ expression }}, {{ scale }})
{%- endmacro %}

{% macro duckdb__round_half_even(expression, scale) -%}
    round_even({{ expression }}, {{ scale }})
{%- endmacro %}


{% macro ratio(numerator, denominator, scale=4, multiplier=1) -%}
    {{ return(adapter.dispatch('ratio', 'control_tower')(numerator, denominator, scale, multiplier)) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator, scale, multiplier) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 or ({{ numerator }}) is null then null
        else cast(
            {{ round_half_even('cast(' ~ numerator ~ ' as numeric(38, 12)) * ' ~ multiplier ~ ' / (' ~ denominator ~ ')', scale) }}
            as numeric(38, {{ scale }}))
    end
{%- endmacro %}

{#
    DuckDB divides decimals in DOUBLE, so the quotient is taken on HUGEINTs:
    t = |numerator| x 10^8 x multiplier x 10^scale and d = |denominator| x 10^8;
    q = t // d, plus one when the remainder is more than half of d, or exactly half
    and q is odd; the result is sign x q x 10^-scale, a decimal product (exact).
#}
{% macro duckdb__ratio(numerator, denominator, scale, multiplier) -%}
    {%- set factor = (multiplier | int) * (10 ** (scale | int)) -%}
    {%- set unit = ('0.' ~ ('0' * ((scale | int) - 1)) ~ '1') if (scale | int) > 0 else '1' -%}
    {%- set n = "cast(cast(" ~ numerator ~ " as decimal(38, 8)) * 100000000 as hugeint)" -%}
    {%- set d = "abs(cast(cast(" ~ denominator ~ " as decimal(38, 8)) * 100000000 as hugeint))" -%}
    {%- set t = "(abs(" ~ n ~ ") * cast(" ~ factor ~ " as hugeint))" -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 or ({{ numerator }}) is null then null
        else cast(
            cast(
                (case when ({{ n }} < 0) <> (({{ denominator }}) < 0) then -1 else 1 end)
                * (
                    {{ t }} // {{ d }}
                    + case
                        when 2 * ({{ t }} % {{ d }}) > {{ d }} then 1
                        when 2 * ({{ t }} % {{ d }}) = {{ d }} then ({{ t }} // {{ d }}) % 2
                        else 0
                    end
                )
                as decimal(38, 0)
            ) * {{ unit }}
            as decimal(38, {{ scale }}))
    end
{%- endmacro %}


{% macro pct(numerator, denominator) -%}
    cast({{ ratio(numerator, denominator, 2, 100) }} as decimal(9, 2))
{%- endmacro %}


{% macro round4(expression) -%}
    cast({{ round_half_even(expression, 4) }} as decimal(18, 4))
{%- endmacro %}
