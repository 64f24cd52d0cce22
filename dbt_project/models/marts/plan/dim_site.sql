{# Sites: plants, distribution centres and stores, one row per site. #}
select
    cast(site_id as varchar) as site_id,
    cast(name as varchar) as site_name,
    cast(country as varchar) as country,
    cast(site_type as varchar) as site_type,
    cast(currency as varchar) as currency

from {{ ref('stg_sites') }}
