{#
    Cost to serve and margin by customer x month, company currency. Revenue = customer
    invoice lines (positive amounts) by invoice month; returns credit = credit notes
    (negative lines, shown positive) by credit-note month; COGS = delivered quantity x
    the standard cost valid on the shipping date, and freight out = the freight
    allocated to the customer's delivery lines (int_delivery_line_freight, by weight),
    both by shipping month. Cost to serve = freight out + returns credit; margin after
    cost to serve = revenue - COGS - cost to serve. One row per customer and month with
    any invoice, credit note or delivery.
#}
with

invoiced as (

    select
        customer_id,
        month,
        sum(case when not is_credit_note then amount_cc else 0 end) as revenue_cc,
        -sum(case when is_credit_note then amount_cc else 0 end) as returns_credit_cc,
        sum(case when not is_credit_note then 1 else 0 end) as invoice_lines,
        sum(case when is_credit_note then 1 else 0 end) as credit_note_lines,
        sum(case when is_missing_fx_rate then 1 else 0 end) as invoice_lines_missing_fx_rate
    from {{ ref('int_customer_invoice_lines') }}
    group by customer_id, month

),

delivered as (

    select
        customer_id,
        month,
        count(*) as delivery_lines,
        sum(qty_shipped) as qty_shipped,
        sum(cogs_cc) as cogs_cc,
        sum(coalesce(freight_allocated_cc, 0)) as freight_out_cc,
        sum(case when freight_allocated_cc is null then 1 else 0 end) as delivery_lines_freight_pending,
        sum(case when cogs_cc is null then 1 else 0 end) as delivery_lines_without_cost
    from {{ ref('int_delivery_line_cogs') }}
    group by customer_id, month

),

joined as (

    select
        coalesce(invoiced.customer_id, delivered.customer_id) as customer_id,
        coalesce(invoiced.month, delivered.month) as month,
        coalesce(invoiced.revenue_cc, 0) as revenue_cc,
        coalesce(delivered.cogs_cc, 0) as cogs_cc,
        coalesce(delivered.freight_out_cc, 0) as freight_out_cc,
        coalesce(invoiced.returns_credit_cc, 0) as returns_credit_cc,
        coalesce(invoiced.invoice_lines, 0) as invoice_lines,
        coalesce(invoiced.credit_note_lines, 0) as credit_note_lines,
        coalesce(delivered.delivery_lines, 0) as delivery_lines,
        coalesce(delivered.qty_shipped, 0) as qty_shipped,
        coalesce(delivered.delivery_lines_freight_pending, 0) as delivery_lines_freight_pending,
        coalesce(delivered.delivery_lines_without_cost, 0) as delivery_lines_without_cost,
        coalesce(invoiced.invoice_lines_missing_fx_rate, 0) as invoice_lines_missing_fx_rate
    from invoiced
    full outer join delivered
        on invoiced.customer_id = delivered.customer_id
        and invoiced.month = delivered.month

),

measures as (

    select
        *,
        freight_out_cc + returns_credit_cc as cost_to_serve_cc,
        revenue_cc - cogs_cc as gross_margin_cc,
        revenue_cc - cogs_cc - freight_out_cc - returns_credit_cc as margin_after_cost_to_serve_cc
    from joined

)

select
    cast(customer_id as varchar) as customer_id,
    cast(month as date) as month,
    cast(invoice_lines as bigint) as invoice_lines,
    cast(credit_note_lines as bigint) as credit_note_lines,
    cast(delivery_lines as bigint) as delivery_lines,
    cast(qty_shipped as decimal(18, 4)) as qty_shipped,
    cast(revenue_cc as decimal(18, 4)) as revenue_cc,
    cast(cogs_cc as decimal(18, 4)) as cogs_cc,
    cast(gross_margin_cc as decimal(18, 4)) as gross_margin_cc,
    cast(freight_out_cc as decimal(18, 4)) as freight_out_cc,
    cast(returns_credit_cc as decimal(18, 4)) as returns_credit_cc,
    cast(cost_to_serve_cc as decimal(18, 4)) as cost_to_serve_cc,
    cast(margin_after_cost_to_serve_cc as decimal(18, 4)) as margin_after_cost_to_serve_cc,
    {{ pct('cost_to_serve_cc', 'revenue_cc') }} as cost_to_serve_pct,
    {{ pct('margin_after_cost_to_serve_cc', 'revenue_cc') }} as margin_after_cost_to_serve_pct,
    cast(delivery_lines_freight_pending as bigint) as delivery_lines_freight_pending,
    cast(delivery_lines_without_cost as bigint) as delivery_lines_without_cost,
    cast(invoice_lines_missing_fx_rate as bigint) as invoice_lines_missing_fx_rate

from measures
