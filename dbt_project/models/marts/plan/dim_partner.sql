{# Partners: suppliers, customers and carriers, one row per partner. #}
select
    cast(partner_id as varchar) as partner_id,
    cast(role as varchar) as role,
    cast(name as varchar) as partner_name,
    cast(country as varchar) as country,
    cast(currency as varchar) as currency,
    cast(payment_terms_days as integer) as payment_terms_days,
    cast(tax_id as varchar) as tax_id,
    cast(segment as varchar) as segment,
    cast(contact_name as varchar) as contact_name,
    cast(contact_email as varchar) as contact_email

from {{ ref('stg_partners') }}
