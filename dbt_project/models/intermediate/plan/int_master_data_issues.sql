{#
    Master-data issues: one row per record x rule broken in the CURRENT master data
    (staging), with the raw delivery that first showed it. The rules are what a data
    steward of this company checks (docs/kpi_catalog.md):

    - missing_standard_cost (item_sites): no standard cost, so stock and usage of the
      item x site cannot be valued.
    - missing_planned_lead_time (item_sites): no planned lead time, so replenishment
      cannot be planned.
    - contract_price_jump (supplier_items): a contract price more than
      var contract_price_jump_pct % above the supplier's previous price version for
      the item (same currency), a typo rather than a negotiation.
    - duplicate_partner_tax_id (partners): a partner with the tax id of another
      partner of the same role; the partner with the lowest id is the original, every
      other one is reported.
    - supplier_without_payment_terms (partners): a supplier without payment terms.
    - bom_component_not_in_item_master (bom_lines): a bill-of-material line whose
      component is not in the item master.

    record_key joins the key columns of the entity with '|' (item_id|site_id;
    supplier_id|item_id|valid_from; partner_id; parent_item_id|component_item_id|
    valid_from). first_seen_at = the earliest extracted_at of a raw version of the
    record showing the same offending value.
#}
{%- set jump_pct = var('contract_price_jump_pct') | string %}
with

item_sites as (

    select * from {{ ref('stg_item_sites') }}

),

price_versions as (

    select
        supplier_id,
        item_id,
        valid_from,
        unit_price,
        currency,
        lag(unit_price) over versions as previous_price,
        lag(currency) over versions as previous_currency,
        lag(valid_from) over versions as previous_valid_from
    from {{ ref('stg_supplier_items') }}
    window versions as (partition by supplier_id, item_id order by valid_from)

),

partners as (

    select
        *,
        min(partner_id) over (partition by role, tax_id) as original_partner_id
    from {{ ref('stg_partners') }}

),

issues as (

    select
        'item_sites' as entity,
        item_id || '|' || site_id as record_key,
        'missing_standard_cost' as rule,
        'standard_cost' as column_name,
        cast(null as varchar) as column_value,
        'no standard cost: stock and usage of the item at the site cannot be valued' as detail,
        item_id,
        site_id,
        cast(null as varchar) as partner_id
    from item_sites
    where standard_cost is null

    union all

    select
        'item_sites',
        item_id || '|' || site_id,
        'missing_planned_lead_time',
        'planned_lead_time_days',
        cast(null as varchar),
        'no planned lead time: replenishment of the item at the site cannot be planned',
        item_id,
        site_id,
        cast(null as varchar)
    from item_sites
    where planned_lead_time_days is null

    union all

    select
        'supplier_items',
        supplier_id || '|' || item_id || '|' || cast(valid_from as varchar),
        'contract_price_jump',
        'unit_price',
        cast(unit_price as varchar),
        cast(round((unit_price / previous_price - 1) * 100) as bigint) || ' % above the version before ('
            || cast(previous_price as varchar) || ' ' || currency || ', valid from '
            || cast(previous_valid_from as varchar) || ')',
        item_id,
        cast(null as varchar),
        supplier_id
    from price_versions
    where previous_price > 0
      and currency is not distinct from previous_currency
      and unit_price * 100 > previous_price * (100 + cast({{ jump_pct }} as decimal(18, 4)))

    union all

    select
        'partners',
        partner_id,
        'duplicate_partner_tax_id',
        'tax_id',
        tax_id,
        'same tax id as ' || original_partner_id,
        cast(null as varchar),
        cast(null as varchar),
        partner_id
    from partners
    where tax_id is not null
      and partner_id <> original_partner_id

    union all

    select
        'partners',
        partner_id,
        'supplier_without_payment_terms',
        'payment_terms_days',
        cast(null as varchar),
        'supplier without payment terms: its invoices cannot be scheduled for payment',
        cast(null as varchar),
        cast(null as varchar),
        partner_id
    from partners
    where role = 'supplier'
      and payment_terms_days is null

    union all

    select
        'bom_lines',
        bom.parent_item_id || '|' || bom.component_item_id || '|' || cast(bom.valid_from as varchar),
        'bom_component_not_in_item_master',
        'component_item_id',
        bom.component_item_id,
        'component ' || bom.component_item_id || ' of ' || bom.parent_item_id || ' is not in the item master',
        bom.parent_item_id,
        cast(null as varchar),
        cast(null as varchar)
    from {{ ref('stg_bom_lines') }} as bom
    where not exists (
        select 1 from {{ ref('stg_items') }} as items where items.item_id = bom.component_item_id
    )

),

{# the raw versions showing each offending value #}
first_seen as (

    select 'missing_standard_cost' as rule, item_id || '|' || site_id as record_key, min(extracted_at) as first_seen_at
    from {{ source('raw', 'item_sites') }}
    where standard_cost is null
    group by item_id, site_id

    union all

    select 'missing_planned_lead_time', item_id || '|' || site_id, min(extracted_at)
    from {{ source('raw', 'item_sites') }}
    where planned_lead_time_days is null
    group by item_id, site_id

    union all

    select 'contract_price_jump', raw_prices.supplier_id || '|' || raw_prices.item_id || '|' || cast(raw_prices.valid_from as varchar), min(raw_prices.extracted_at)
    from {{ source('raw', 'supplier_items') }} as raw_prices
    inner join {{ ref('stg_supplier_items') }} as current_prices
        on raw_prices.supplier_id = current_prices.supplier_id
        and raw_prices.item_id = current_prices.item_id
        and raw_prices.valid_from = current_prices.valid_from
        and raw_prices.unit_price = current_prices.unit_price
    group by raw_prices.supplier_id, raw_prices.item_id, raw_prices.valid_from

    union all

    select 'duplicate_partner_tax_id', raw_partners.partner_id, min(raw_partners.extracted_at)
    from {{ source('raw', 'partners') }} as raw_partners
    inner join partners
        on raw_partners.partner_id = partners.partner_id
        and raw_partners.tax_id = partners.tax_id
    group by raw_partners.partner_id

    union all

    select 'supplier_without_payment_terms', partner_id, min(extracted_at)
    from {{ source('raw', 'partners') }}
    where payment_terms_days is null
    group by partner_id

    union all

    select 'bom_component_not_in_item_master', parent_item_id || '|' || component_item_id || '|' || cast(valid_from as varchar), min(extracted_at)
    from {{ source('raw', 'bom_lines') }}
    group by parent_item_id, component_item_id, valid_from

)

select
    issues.entity,
    issues.record_key,
    issues.rule,
    issues.column_name,
    issues.column_value,
    issues.detail,
    issues.item_id,
    issues.site_id,
    issues.partner_id,
    first_seen.first_seen_at

from issues
left join first_seen
    on issues.rule = first_seen.rule
    and issues.record_key = first_seen.record_key
