{#
    E&O provision by age bucket (fin_inventory_valuation_monthly), from var
    eo_provision_age_buckets: a list of {max_age_days, provision_pct} in increasing
    age, the last one without max_age_days (every older age). Buckets are labelled
    "0-90", "91-180", ..., ">365". Checked here: increasing bounds, a last open bucket,
    percentages 0-100.
#}

{% macro eo_provision_buckets() -%}
    {%- set buckets = var('eo_provision_age_buckets') -%}
    {%- set checked = [] -%}
    {%- set previous = {'max': -1} -%}
    {%- for bucket in buckets -%}
        {%- set pct = bucket.get('provision_pct') -%}
        {%- set bound = bucket.get('max_age_days') -%}
        {%- if pct is none or (pct | float) < 0 or (pct | float) > 100 -%}
            {{ exceptions.raise_compiler_error("var eo_provision_age_buckets: provision_pct must be 0-100, got " ~ bucket) }}
        {%- endif -%}
        {%- if loop.last != (bound is none) -%}
            {{ exceptions.raise_compiler_error("var eo_provision_age_buckets: every bucket but the last needs max_age_days, the last none") }}
        {%- endif -%}
        {%- if bound is not none and (bound | int) <= previous['max'] -%}
            {{ exceptions.raise_compiler_error("var eo_provision_age_buckets: max_age_days must increase, got " ~ bucket) }}
        {%- endif -%}
        {%- set label = ('>' ~ previous['max']) if bound is none else ((previous['max'] + 1) ~ '-' ~ (bound | int)) -%}
        {%- do checked.append({'max': bound, 'pct': pct, 'label': label}) -%}
        {%- if bound is not none -%}
            {%- do previous.update({'max': bound | int}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if checked | length == 0 -%}
        {{ exceptions.raise_compiler_error("var eo_provision_age_buckets is empty") }}
    {%- endif -%}
    {{ return(checked) }}
{%- endmacro %}


{# The bucket label of an age in days (SQL expression). #}
{% macro eo_age_bucket(age_days) -%}
    case
        {%- for bucket in eo_provision_buckets() %}
        {%- if bucket['max'] is not none %}
        when {{ age_days }} <= {{ bucket['max'] }} then '{{ bucket['label'] }}'
        {%- else %}
        when true then '{{ bucket['label'] }}'
        {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}


{# The provision percentage (0-100) of an age in days (SQL expression). #}
{% macro eo_provision_pct(age_days) -%}
    cast(case
        {%- for bucket in eo_provision_buckets() %}
        {%- if bucket['max'] is not none %}
        when {{ age_days }} <= {{ bucket['max'] }} then {{ bucket['pct'] }}
        {%- else %}
        when true then {{ bucket['pct'] }}
        {%- endif %}
        {%- endfor %}
    end as decimal(9, 2))
{%- endmacro %}
