{#
    Settings the models read. Both come from dbt vars whose defaults are the
    environment (dbt_project.yml): CT_AS_OF and CT_COMPANY_CURRENCY. A var passed with
    --vars wins over the environment.
#}

{# The configured as-of date ('YYYY-MM-DD'), or none when unset. #}
{% macro configured_as_of() -%}
    {%- set value = (var('as_of', '') or '') | string | trim -%}
    {%- if value in ('', 'None', 'none') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error(
            "CT_AS_OF / var as_of must be a date YYYY-MM-DD, got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}


{#
    The as-of date of every "open", "due", "overdue" and "last N days", as a scalar
    SQL expression: the one row of int_as_of (CT_AS_OF when set, else the date of the
    latest extracted_at in any raw extract; NULL on an empty warehouse). Models that use
    it depend on int_as_of, so a unit test sets the date by giving int_as_of as input.
#}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('int_as_of') }})
{%- endmacro %}


{# The company currency as a SQL string literal, e.g. 'USD'. #}
{% macro company_currency() -%}
    {%- set value = (var('company_currency', 'USD') or 'USD') | string | trim | upper -%}
    {%- if not modules.re.fullmatch('[A-Z]{3}', value) -%}
        {{ exceptions.raise_compiler_error(
            "CT_COMPANY_CURRENCY / var company_currency must be an ISO 4217 code, got '" ~ value ~ "'") }}
    {%- endif -%}
    '{{ value }}'
{%- endmacro %}


{#
    Every extract of the raw layer. dbt records a model's sources while it parses,
    when the graph is not yet available, so int_as_of needs the names written once here;
    at run time the list is checked against the sources of the graph (generated from
    the contracts) and a missing or unknown name fails the build. (dbt unit tests run
    without the graph: no check there.)
#}
{% macro raw_extracts() -%}
    {%- set extracts = [
        'sites', 'items', 'item_sites', 'partners', 'supplier_items', 'bom_lines',
        'budgets', 'plan_overrides', 'purchase_order_lines', 'supplier_confirmations',
        'goods_receipts', 'supplier_invoices', 'sales_order_lines', 'deliveries',
        'customer_invoices', 'returns', 'production_orders', 'inventory_movements',
        'inventory_snapshots', 'cycle_counts', 'shipments', 'shipment_events',
        'freight_invoices', 'gl_entries', 'fx_rates',
    ] -%}
    {%- if execute and graph.get('sources') -%}
        {%- set in_graph = [] -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.package_name == project_name and node.source_name == 'raw' -%}
                {%- do in_graph.append(node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if (in_graph | sort) != (extracts | sort) -%}
            {{ exceptions.raise_compiler_error(
                "macros/settings.sql raw_extracts() is out of date with the raw sources: missing "
                ~ (in_graph | reject('in', extracts) | list) ~ ", unknown "
                ~ (extracts | reject('in', in_graph) | list)) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(extracts) }}
{%- endmacro %}
