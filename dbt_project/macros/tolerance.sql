{#
    ordered x (1 - tolerance) for the in-full test; the tolerance is a var (0 by
    default) checked to be a number in [0, 1).
#}
{% macro in_full_threshold(qty_ordered, tolerance_var) -%}
    {%- set tolerance = var(tolerance_var, 0) | string | trim -%}
    {%- if not modules.re.fullmatch('0*(\\.[0-9]+)?|0?\\.[0-9]+', tolerance) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ tolerance_var ~ " must be a number in [0, 1), got '" ~ tolerance ~ "'") }}
    {%- endif -%}
    {%- if tolerance | float == 0 -%}
        {{ qty_ordered }}
    {%- else -%}
        ({{ qty_ordered }} * (1 - cast({{ tolerance }} as decimal(18, 8))))
    {%- endif -%}
{%- endmacro %}
