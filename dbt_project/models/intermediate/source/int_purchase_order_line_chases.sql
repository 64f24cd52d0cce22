{#
    Open PO lines that need a buyer's action as of the as-of date, one row per line
    with at least one reason (docs/kpi_catalog.md, po_chase_list). Open = status open
    with qty still to receive (int_scheduled_receipts, the same rule as
    fct_purchase_order_lines.qty_open > 0).

    Reasons, in order of severity (the first that holds is the primary reason):
    1. overdue                   deadline < as-of (qty open > 0 by construction)
    2. confirmed_after_need_date the latest confirmed date is after the need date
    3. date_slipped              the latest confirmed date is after the previous one
    4. qty_short                 the latest confirmed qty is below the ordered qty
    5. unconfirmed               never confirmed and ordered more than
                                 var chase_unconfirmed_after_days days ago

    Shortage impact: open sales order lines (status open, ordered - shipped > 0) of the
    same item x site whose deadline is on or before the PO line's expected arrival
    (latest confirmed date, else need date; the as-of date when already past). Gross:
    not netted against stock or other PO lines (each line blocking it shows it).

    priority_score (0-100): 40 x min(days late, 30) / 30
                          + 30 x cume_dist of the shortage value (lines with shortage)
                          + 20 x cume_dist of the value at risk (lines with value)
                          + 10 x (reasons - 1) / 4;
    priority_rank 1 = highest score, ties by deadline, po_id, po_line.

    Escalation (int_purchase_order_line_chase_history, docs/chase.md): a line never
    chased before is level 0 and gets the action of its reason; level 1 (chased once,
    recently) -> call the supplier; level 2 (chased on 2+ days, or first chased
    var chase_escalate_after_days days ago or more) -> escalate to the purchasing manager.
#}
{%- set unconfirmed_after_days = var('chase_unconfirmed_after_days', 3) | int %}

with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

open_lines as (

    select
        document_id as po_id,
        document_line as po_line,
        expected_date,
        available_on,
        qty_open
    from {{ ref('int_scheduled_receipts') }}
    where supply_type = 'purchase_order'

),

lines as (

    select
        po.po_id,
        po.po_line,
        po.supplier_id,
        po.site_id,
        po.item_id,
        po.buyer_id,
        po.order_date,
        po.requested_date,
        po.deadline,
        po.qty_ordered,
        po.unit_price,
        po.currency,
        po.confirmation_count,
        confirmations.latest_confirmed_date,
        confirmations.previous_confirmed_date,
        confirmations.latest_confirmed_qty,
        open_lines.expected_date,
        open_lines.available_on,
        open_lines.qty_open,
        as_of.as_of_date
    from open_lines
    inner join {{ ref('int_purchase_order_lines') }} as po
        on open_lines.po_id = po.po_id
        and open_lines.po_line = po.po_line
    left join {{ ref('int_purchase_order_line_confirmations') }} as confirmations
        on open_lines.po_id = confirmations.po_id
        and open_lines.po_line = confirmations.po_line
    cross join as_of

),

reasons as (

    select
        *,
        coalesce(deadline < as_of_date, false) as is_overdue,
        coalesce(latest_confirmed_date > requested_date, false) as is_confirmed_after_need_date,
        coalesce(latest_confirmed_date > previous_confirmed_date, false) as is_date_slipped,
        coalesce(latest_confirmed_qty < qty_ordered, false) as is_qty_short,
        coalesce(
            confirmation_count = 0
            and {{ dbt.datediff('order_date', 'as_of_date', 'day') }} > {{ unconfirmed_after_days }},
            false) as is_unconfirmed
    from lines

),

chase_lines as (

    select
        *,
        case
            when is_overdue then 'overdue'
            when is_confirmed_after_need_date then 'confirmed_after_need_date'
            when is_date_slipped then 'date_slipped'
            when is_qty_short then 'qty_short'
            else 'unconfirmed'
        end as chase_reason,
        concat_ws(', ',
            case when is_overdue then 'overdue' end,
            case when is_confirmed_after_need_date then 'confirmed_after_need_date' end,
            case when is_date_slipped then 'date_slipped' end,
            case when is_qty_short then 'qty_short' end,
            case when is_unconfirmed then 'unconfirmed' end) as chase_reasons,
        cast(is_overdue as integer) + cast(is_confirmed_after_need_date as integer)
            + cast(is_date_slipped as integer) + cast(is_qty_short as integer)
            + cast(is_unconfirmed as integer) as reason_count,
        greatest({{ dbt.datediff('deadline', 'as_of_date', 'day') }}, 0) as days_late,
        {{ money_product('qty_open', 'unit_price') }} as value_at_risk
    from reasons
    where is_overdue or is_confirmed_after_need_date or is_date_slipped or is_qty_short
        or is_unconfirmed

),

open_sales as (

    select
        sales.site_id,
        sales.item_id,
        sales.deadline,
        sales.qty_ordered - coalesce(deliveries.qty_shipped, 0) as qty_backlog,
        {{ money_product('sales.qty_ordered - coalesce(deliveries.qty_shipped, 0)', 'sales.unit_price') }} as backlog_value,
        sales.currency,
        sales.order_date
    from {{ ref('int_sales_order_lines') }} as sales
    left join {{ ref('int_sales_order_line_deliveries') }} as deliveries
        on sales.so_id = deliveries.so_id
        and sales.so_line = deliveries.so_line
    where sales.status = 'open'
      and sales.qty_ordered - coalesce(deliveries.qty_shipped, 0) > 0

),

open_sales_cc as (

    select
        open_sales.*,
        {{ to_company_currency('open_sales.backlog_value', 'open_sales.currency', 'fx') }} as backlog_value_cc
    from open_sales
    {{ fx_join('fx', 'open_sales.currency', 'open_sales.order_date') }}

),

shortage as (

    select
        chase_lines.po_id,
        chase_lines.po_line,
        count(*) as shortage_sales_lines,
        sum(open_sales_cc.qty_backlog) as shortage_qty,
        sum(open_sales_cc.backlog_value_cc) as shortage_value_cc
    from chase_lines
    inner join open_sales_cc
        on chase_lines.item_id = open_sales_cc.item_id
        and chase_lines.site_id = open_sales_cc.site_id
        and open_sales_cc.deadline <= chase_lines.available_on
    group by chase_lines.po_id, chase_lines.po_line

),

valued as (

    select
        chase_lines.*,
        {{ to_company_currency('chase_lines.value_at_risk', 'chase_lines.currency', 'fx') }} as value_at_risk_cc,
        {{ is_missing_fx_rate('chase_lines.value_at_risk', 'chase_lines.currency', 'fx') }} as is_missing_fx_rate,
        coalesce(shortage.shortage_sales_lines, 0) as shortage_sales_lines,
        coalesce(shortage.shortage_qty, 0) as shortage_qty,
        coalesce(shortage.shortage_value_cc, 0) as shortage_value_cc,
        partners.name as supplier_name,
        partners.contact_name as supplier_contact_name,
        partners.contact_email as supplier_contact_email,
        coalesce(history.times_chased, 0) as times_chased,
        history.first_chased_on,
        history.days_since_first_chase,
        coalesce(history.escalation_level, 0) as escalation_level
    from chase_lines
    left join shortage
        on chase_lines.po_id = shortage.po_id
        and chase_lines.po_line = shortage.po_line
    left join {{ ref('int_purchase_order_line_chase_history') }} as history
        on chase_lines.po_id = history.po_id
        and chase_lines.po_line = history.po_line
    left join {{ ref('stg_partners') }} as partners
        on chase_lines.supplier_id = partners.partner_id
    {{ fx_join('fx', 'chase_lines.currency', 'chase_lines.order_date') }}

),

scored as (

    select
        *,
        {{ round_half_even(
            '40.0 * least(days_late, 30) / 30'
            ~ ' + case when shortage_value_cc > 0 then 30 * cume_dist() over (partition by shortage_value_cc > 0 order by shortage_value_cc) else 0 end'
            ~ ' + case when coalesce(value_at_risk_cc, 0) > 0 then 20 * cume_dist() over (partition by coalesce(value_at_risk_cc, 0) > 0 order by value_at_risk_cc) else 0 end'
            ~ ' + 10.0 * (reason_count - 1) / 4', 2) }} as priority_score
    from valued

)

select
    *,
    case
        when escalation_level = 2 then 'escalate to the purchasing manager'
        when escalation_level = 1 then 'call the supplier'
        when chase_reason in ('overdue', 'confirmed_after_need_date') then 'expedite'
        when chase_reason = 'date_slipped' then 'confirm new date'
        when chase_reason = 'qty_short' then 'confirm full quantity'
        else 'request confirmation'
    end as suggested_action,
    row_number() over (order by priority_score desc, deadline, po_id, po_line) as priority_rank
from scored
