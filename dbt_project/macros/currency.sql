{#
    Conversion to the company currency, written once (docs/conventions.md "Money").

    A model that converts a document amount joins the rates with fx_join() and selects
    to_company_currency() and is_missing_fx_rate() from that join:

        select
            doc.amount,
            {{ to_company_currency('doc.amount', 'doc.currency', 'fx') }} as amount_cc,
            {{ is_missing_fx_rate('doc.amount', 'doc.currency', 'fx') }} as is_missing_fx_rate
        from documents as doc
        {{ fx_join('fx', 'doc.currency', 'doc.order_date') }}

    The rate is the one of the document date or the latest earlier one (an ASOF join on
    int_fx_rates). The company currency converts at 1. No rate: the *_cc amount is
    NULL and is_missing_fx_rate is true; never a silent 1.0. The *_cc amount is the
    document amount x rate_to_cc rounded half to even to 4 decimals.
#}

{% macro fx_join(alias, currency, document_date) -%}
    asof left join {{ ref('int_fx_rates') }} as {{ alias }}
        on {{ alias }}.currency = {{ currency }}
        and {{ document_date }} >= {{ alias }}.rate_date
{%- endmacro %}


{% macro to_company_currency(amount, currency, alias) -%}
    cast(
        case
            when {{ currency }} = {{ company_currency() }} then {{ amount }}
            else {{ round_half_even(amount ~ ' * ' ~ alias ~ '.rate_to_cc', 4) }}
        end
        as decimal(18, 4))
{%- endmacro %}


{% macro is_missing_fx_rate(amount, currency, alias) -%}
    coalesce(
        {{ amount }} is not null
        and ({{ currency }} is null
             or ({{ currency }} <> {{ company_currency() }} and {{ alias }}.rate_to_cc is null)),
        false)
{%- endmacro %}


{# qty x price as money: DECIMAL(18,4), rounded half to even (macros/rounding.sql). #}
{% macro money_product(quantity, price) -%}
    cast({{ round_half_even('cast(' ~ quantity ~ ' as decimal(38, 4)) * ' ~ price, 4) }} as decimal(18, 4))
{%- endmacro %}
