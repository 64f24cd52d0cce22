{#
    Three-way match of every supplier invoice line: PO (ordered qty, price) vs receipts
    (net received on or before the invoice date) vs invoice. Tolerances are vars in
    percent: three_way_match_qty_tolerance_pct (0), three_way_match_price_tolerance_pct
    (2). With qc = invoiced on the PO line up to and including this line (invoice
    lines with a positive quantity; credit notes settle returns and are not checked):
    - no_po_line          the invoice names no current PO line
    - currency_mismatch   invoice currency <> PO currency
    - qty_over_received   qc > received by the invoice date (net of rejects and
                          reversals; returns to supplier are matched by credit notes)
                          x (1 + qty tol)
    - qty_over_ordered    qc > ordered x (1 + qty tol)
    - price_mismatch      |invoice price - PO price| > PO price x price tol (same currency)
    Amount at stake (invoice currency, signed; _cc at the invoice date's rate): the whole
    line for no_po_line / currency_mismatch; else excess qty x invoice price (quantity
    exceptions; excess = part of the line above min(received, ordered)) plus
    (invoice price - PO price) x the rest of the line (price exception).
#}
{%- set qty_tolerance = var('three_way_match_qty_tolerance_pct', 0) %}
{%- set price_tolerance = var('three_way_match_price_tolerance_pct', 2) %}

with

invoice_lines as (

    select
        *,
        qty_invoiced_before + qty_invoiced as qty_invoiced_cumulative
    from {{ ref('int_supplier_invoice_lines') }}

),

flagged as (

    select
        *,
        not is_po_line_known as is_no_po_line,
        coalesce(is_po_line_known and currency <> po_currency, false) as is_currency_mismatch,
        coalesce(
            is_po_line_known and qty_invoiced > 0
            and qty_invoiced_cumulative
                > qty_received_by_invoice_date * (1 + cast({{ qty_tolerance }} as decimal(18, 8)) / 100),
            false) as is_qty_over_received,
        coalesce(
            is_po_line_known and qty_invoiced > 0
            and qty_invoiced_cumulative
                > qty_ordered * (1 + cast({{ qty_tolerance }} as decimal(18, 8)) / 100),
            false) as is_qty_over_ordered,
        coalesce(
            is_po_line_known and currency = po_currency
            and abs(unit_price - po_unit_price)
                > po_unit_price * cast({{ price_tolerance }} as decimal(18, 8)) / 100,
            false) as is_price_mismatch
    from invoice_lines

),

excess as (

    select
        *,
        case
            when is_qty_over_received or is_qty_over_ordered
                then greatest(least(
                    qty_invoiced,
                    qty_invoiced_cumulative - least(qty_received_by_invoice_date, qty_ordered)), 0)
            else 0
        end as qty_excess
    from flagged

),

at_stake as (

    select
        *,
        case
            when is_no_po_line or is_currency_mismatch then invoiced_value
            else
                case when qty_excess > 0 then {{ money_product('qty_excess', 'unit_price') }} else 0 end
                + case when is_price_mismatch
                    then {{ money_product('(qty_invoiced - qty_excess)', '(unit_price - po_unit_price)') }}
                    else 0 end
        end as amount_at_stake
    from excess

)

select
    at_stake.*,
    case
        when is_no_po_line then 'no_po_line'
        when is_currency_mismatch then 'currency_mismatch'
        when is_qty_over_received then 'qty_over_received'
        when is_qty_over_ordered then 'qty_over_ordered'
        when is_price_mismatch then 'price_mismatch'
    end as exception_type,
    concat_ws(', ',
        case when is_no_po_line then 'no_po_line' end,
        case when is_currency_mismatch then 'currency_mismatch' end,
        case when is_qty_over_received then 'qty_over_received' end,
        case when is_qty_over_ordered then 'qty_over_ordered' end,
        case when is_price_mismatch then 'price_mismatch' end) as exception_types,
    is_no_po_line or is_currency_mismatch or is_qty_over_received or is_qty_over_ordered
        or is_price_mismatch as has_exception,
    {{ ratio('unit_price - po_unit_price', 'po_unit_price', 2, 100) }} as price_variance_pct,
    {{ to_company_currency('at_stake.amount_at_stake', 'at_stake.currency', 'fx') }} as amount_at_stake_cc

from at_stake
{{ fx_join('fx', 'at_stake.currency', 'at_stake.invoice_date') }}
