{#
    Invoiced freight per shipment, one row per shipment with any freight invoice line.
    Every invoice line converts at the rate of its invoice date (or the latest
    earlier one). freight_cost = linehaul + fuel + accessorial; duty is kept apart
    (a customs cost, not freight). A shipment with any unconvertible line has its
    *_cc sums over the convertible lines and has_missing_fx_rate = true.
#}
with

charges as (

    select
        invoices.shipment_id,
        invoices.freight_invoice_id,
        invoices.charge_type,
        invoices.amount,
        {{ to_company_currency('invoices.amount', 'invoices.currency', 'fx') }} as amount_cc,
        {{ is_missing_fx_rate('invoices.amount', 'invoices.currency', 'fx') }} as is_missing_fx_rate
    from {{ ref('stg_freight_invoices') }} as invoices
    {{ fx_join('fx', 'invoices.currency', 'invoices.invoice_date') }}
    where invoices.shipment_id is not null

)

select
    shipment_id,
    count(distinct freight_invoice_id) as freight_invoice_count,
    cast(coalesce(sum(case when charge_type = 'linehaul' then amount_cc end), 0) as decimal(18, 4)) as linehaul_cc,
    cast(coalesce(sum(case when charge_type = 'fuel' then amount_cc end), 0) as decimal(18, 4)) as fuel_cc,
    cast(coalesce(sum(case when charge_type = 'accessorial' then amount_cc end), 0) as decimal(18, 4)) as accessorial_cc,
    cast(coalesce(sum(case when charge_type = 'duty' then amount_cc end), 0) as decimal(18, 4)) as duty_cc,
    cast(coalesce(sum(case when charge_type in ('linehaul', 'fuel', 'accessorial') then amount_cc end), 0) as decimal(18, 4)) as freight_cost_cc,
    bool_or(is_missing_fx_rate) as has_missing_fx_rate

from charges
group by shipment_id
