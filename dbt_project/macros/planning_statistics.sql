{#
    Statistics of the planning models.

    inverse_normal_cdf(p): z such that P(Z <= z) = p for a standard normal Z, as a
    DOUBLE SQL expression; NULL outside 0 < p < 1. Peter J. Acklam's rational
    approximation (relative error < 1.15e-9: every z rounded to 4 decimals is exact),
    central region 0.02425 <= p <= 0.97575, tails through q = sqrt(-2 ln(min(p, 1-p))).
    Used for the safety factor of the service level (z(0.95) = 1.6449).
    `p` should be a column or a cheap expression: it appears several times.
#}
{% macro inverse_normal_cdf(p) -%}
    {%- set a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00] -%}
    {%- set b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01] -%}
    {%- set c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00] -%}
    {%- set d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00] -%}
    {%- set pd = 'cast(' ~ p ~ ' as double)' -%}
    {%- set tail_q = 'sqrt(-2 * ln(least(' ~ pd ~ ', 1 - ' ~ pd ~ ')))' -%}
    {%- set r = '((' ~ pd ~ ' - 0.5) * (' ~ pd ~ ' - 0.5))' -%}
    case
        when {{ pd }} is null or {{ pd }} <= 0 or {{ pd }} >= 1 then null
        when {{ pd }} < 0.02425 or {{ pd }} > 0.97575 then
            (case when {{ pd }} < 0.5 then 1 else -1 end)
            * ({{ horner(c, tail_q) }})
            / ({{ horner(d + [1], tail_q) }})
        else
            ({{ horner(a, r) }}) * ({{ pd }} - 0.5)
            / ({{ horner(b + [1], r) }})
    end
{%- endmacro %}


{# c[0] x^(n-1) + ... + c[n-1] written as Horner's nested products. #}
{% macro horner(coefficients, x) -%}
    {%- set ns = namespace(expr=(coefficients[0] | string)) -%}
    {%- for coefficient in coefficients[1:] -%}
        {%- set ns.expr = '(' ~ ns.expr ~ ') * ' ~ x ~ ' + ' ~ (coefficient | string) -%}
    {%- endfor -%}
    {{ ns.expr }}
{%- endmacro %}


{#
    Sample standard deviation of a DECIMAL column (quantities), deterministic whatever
    the thread count: the sums are exact decimals, only the last division and the
    square root are floating point (as stddev_samp_days for integer days). NULL under
    two values. Use inside an aggregate query; round it with round4().
#}
{% macro stddev_samp_decimal(column) -%}
    {%- set x = 'cast(' ~ column ~ ' as decimal(38, 8))' -%}
    case
        when count({{ column }}) < 2 then null
        else sqrt(greatest(
            cast(count({{ column }}) * sum({{ x }} * {{ x }}) - sum({{ x }}) * sum({{ x }}) as double)
            / (count({{ column }}) * (count({{ column }}) - 1)),
            0))
    end
{%- endmacro %}


{# Root mean square of a numeric column, from an exact decimal sum of squares. #}
{% macro root_mean_square(column) -%}
    {%- set x = 'cast(' ~ column ~ ' as decimal(38, 8))' -%}
    sqrt(cast(sum({{ x }} * {{ x }}) as double) / count({{ column }}))
{%- endmacro %}
