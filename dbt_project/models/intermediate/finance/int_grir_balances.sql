{#
    GR/IR (goods received / invoice received) balance of every PO line at every
    month-end, from the sub-ledgers: net receipts (int_goods_receipt_movements) and
    supplier invoice lines with a quantity on a current PO line
    (int_supplier_invoice_lines). Both sides are valued at the PO price, as the
    clearing account is: the invoice-vs-PO price difference is PPV
    (int_purchase_price_variances), never a GR/IR balance.

    Rows: each month from the line's first receipt or invoice through the as-of month,
    kept when the balance at the month-end is not zero or the line had a receipt or an
    invoice in that month (the month it clears shows a zero balance). Cumulative to the
    month-end (the as-of month: to the as-of date). *_cc at the month-end's rate (open
    items are revalued at period end).

    Age: days from the oldest unmatched document to the month-end (as-of date in the
    as-of month). Received > invoiced: the earliest receipt day whose cumulative net
    received exceeds the quantity invoiced at the month-end (first in, first matched);
    invoiced > received: the earliest invoice day whose cumulative invoiced quantity
    exceeds the net received.
#}
with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

events as (

    select po_id, po_line, received_on as event_date, qty_net as qty_received, 0 as qty_invoiced
    from {{ ref('int_goods_receipt_movements') }}
    union all
    select po_id, po_line, invoice_date as event_date, 0 as qty_received, qty_invoiced
    from {{ ref('int_supplier_invoice_lines') }}
    where is_po_line_known and qty_invoiced is not null

),

daily as (

    select
        po_id,
        po_line,
        event_date,
        cast({{ dbt.date_trunc('month', 'event_date') }} as date) as month,
        sum(qty_received) as qty_received,
        sum(qty_invoiced) as qty_invoiced,
        sum(sum(qty_received)) over w as qty_received_cumulative,
        sum(sum(qty_invoiced)) over w as qty_invoiced_cumulative
    from events
    group by po_id, po_line, event_date
    window w as (
        partition by po_id, po_line order by event_date
        rows between unbounded preceding and current row)

),

monthly as (

    select
        po_id,
        po_line,
        month,
        sum(sum(qty_received)) over w as qty_received_net,
        sum(sum(qty_invoiced)) over w as qty_invoiced,
        lead(month) over (partition by po_id, po_line order by month) as next_active_month
    from daily
    group by po_id, po_line, month
    window w as (
        partition by po_id, po_line order by month
        rows between unbounded preceding and current row)

),

{#
    A month with activity is a row; a non-zero balance also carries over the quiet
    months until the next active month (or through the as-of month): only open items
    are expanded, not every line x month.
#}
carried as (

    select
        monthly.po_id,
        monthly.po_line,
        cast(quiet.month_start as date) as month,
        false as has_activity,
        monthly.qty_received_net,
        monthly.qty_invoiced
    from monthly
    cross join as_of
    cross join unnest(generate_series(
        cast(monthly.month + interval 1 month as timestamp),
        cast(coalesce(
            monthly.next_active_month - interval 1 month,
            {{ dbt.date_trunc('month', 'as_of.as_of_date') }}) as timestamp),
        interval 1 month)) as quiet(month_start)
    where monthly.qty_received_net <> monthly.qty_invoiced

),

open_items as (

    select
        po_id,
        po_line,
        month,
        cast(last_day(month) as date) as month_end,
        least(last_day(month), as_of.as_of_date) as balance_date,
        has_activity,
        qty_received_net,
        qty_invoiced
    from (
        select po_id, po_line, month, true as has_activity, qty_received_net, qty_invoiced
        from monthly
        union all
        select po_id, po_line, month, has_activity, qty_received_net, qty_invoiced
        from carried
    ) as line_months
    cross join as_of

),

oldest_unmatched as (

    select
        open_items.po_id,
        open_items.po_line,
        open_items.month,
        min(case
            when open_items.qty_received_net > open_items.qty_invoiced
                and daily.qty_received <> 0
                and daily.qty_received_cumulative > open_items.qty_invoiced
                then daily.event_date
            when open_items.qty_invoiced > open_items.qty_received_net
                and daily.qty_invoiced <> 0
                and daily.qty_invoiced_cumulative > open_items.qty_received_net
                then daily.event_date
        end) as oldest_unmatched_date
    from open_items
    inner join daily
        on open_items.po_id = daily.po_id
        and open_items.po_line = daily.po_line
        and daily.event_date <= open_items.month_end
    where open_items.qty_received_net <> open_items.qty_invoiced
    group by open_items.po_id, open_items.po_line, open_items.month

),

valued as (

    select
        open_items.*,
        oldest_unmatched.oldest_unmatched_date,
        lines.supplier_id,
        lines.item_id,
        lines.site_id,
        lines.unit_price,
        lines.currency,
        {{ money_product('open_items.qty_received_net', 'lines.unit_price') }} as received_value,
        {{ money_product('open_items.qty_invoiced', 'lines.unit_price') }} as invoiced_value
    from open_items
    inner join {{ ref('int_purchase_order_lines') }} as lines
        on open_items.po_id = lines.po_id
        and open_items.po_line = lines.po_line
    left join oldest_unmatched
        on open_items.po_id = oldest_unmatched.po_id
        and open_items.po_line = oldest_unmatched.po_line
        and open_items.month = oldest_unmatched.month

)

select
    valued.po_id,
    valued.po_line,
    valued.month,
    valued.month_end,
    valued.supplier_id,
    valued.item_id,
    valued.site_id,
    valued.unit_price,
    valued.currency,
    valued.has_activity,
    cast(valued.qty_received_net as decimal(18, 4)) as qty_received_net,
    cast(valued.qty_invoiced as decimal(18, 4)) as qty_invoiced,
    cast(valued.qty_received_net - valued.qty_invoiced as decimal(18, 4)) as qty_balance,
    valued.received_value,
    valued.invoiced_value,
    cast(valued.received_value - valued.invoiced_value as decimal(18, 4)) as grir_balance,
    {{ to_company_currency('valued.received_value', 'valued.currency', 'fx') }} as received_value_cc,
    {{ to_company_currency('valued.invoiced_value', 'valued.currency', 'fx') }} as invoiced_value_cc,
    {{ to_company_currency('(valued.received_value - valued.invoiced_value)', 'valued.currency', 'fx') }} as grir_balance_cc,
    {{ is_missing_fx_rate('valued.received_value', 'valued.currency', 'fx') }} as is_missing_fx_rate,
    case
        when valued.qty_received_net > valued.qty_invoiced then 'received_not_invoiced'
        when valued.qty_invoiced > valued.qty_received_net then 'invoiced_not_received'
    end as unmatched_side,
    valued.oldest_unmatched_date,
    {{ dbt.datediff('valued.oldest_unmatched_date', 'valued.balance_date', 'day') }} as age_days

from valued
{{ fx_join('fx', 'valued.currency', 'valued.month_end') }}
