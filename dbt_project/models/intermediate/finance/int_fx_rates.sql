{#
    Exchange rates to the company currency, one row per currency and rate_date:
    1 currency = rate_to_cc company currency from rate_date until the next rate.
    A pair quoted the other way round (company currency -> currency) gives 1 / rate,
    rounded half to even to 18 decimals; when both directions are quoted for the same date
    the direct quote wins. Rates <= 0 are not rates. The company currency itself is not
    listed: the conversion macros convert it at 1 (macros/currency.sql).
#}
with

rates as (

    select rate_date, from_currency, to_currency, rate
    from {{ ref('stg_fx_rates') }}
    where rate > 0

),

direct_quotes as (

    select
        from_currency as currency,
        rate_date,
        cast(rate as decimal(38, 18)) as rate_to_cc,
        false as is_inverse,
        rate as quoted_rate
    from rates
    where to_currency = {{ company_currency() }}
      and from_currency <> {{ company_currency() }}

),

inverse_quotes as (

    select
        to_currency as currency,
        rate_date,
        {{ ratio('1', 'rate', 18) }} as rate_to_cc,
        true as is_inverse,
        rate as quoted_rate
    from rates
    where from_currency = {{ company_currency() }}
      and to_currency <> {{ company_currency() }}

),

quotes as (

    select * from direct_quotes
    union all
    select * from inverse_quotes

),

ranked as (

    select
        *,
        row_number() over (
            partition by currency, rate_date
            order by is_inverse
        ) as preference
    from quotes

)

select
    currency,
    rate_date,
    cast(rate_to_cc as decimal(38, 18)) as rate_to_cc,
    is_inverse,
    quoted_rate
from ranked
where preference = 1
