{#
    Supplier confirmations of a PO line, one row per line that has any. The FIRST
    confirmation (earliest confirmed_at, ties by confirmation_id) sets the supplier
    deadline; every later one is a re-confirmation, counted but never used as the
    deadline. The latest confirmation (latest confirmed_at, ties by the highest
    confirmation_id) gives the latest confirmed date and quantity; the one before it
    gives the previous confirmed date (a slip = latest > previous, po_chase_list).
#}
with

confirmations as (

    select po_id, po_line, confirmation_id, confirmed_at, confirmed_date, confirmed_qty
    from {{ ref('stg_supplier_confirmations') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by po_id, po_line
            order by confirmed_at asc, confirmation_id asc
        ) as rank_first,
        row_number() over (
            partition by po_id, po_line
            order by confirmed_at desc, confirmation_id desc
        ) as rank_latest
    from confirmations

)

select
    po_id,
    po_line,
    max(case when rank_first = 1 then confirmation_id end) as first_confirmation_id,
    max(case when rank_first = 1 then confirmed_at end) as first_confirmed_at,
    max(case when rank_first = 1 then confirmed_date end) as first_confirmed_date,
    max(case when rank_first = 1 then confirmed_qty end) as first_confirmed_qty,
    max(case when rank_latest = 1 then confirmed_at end) as latest_confirmed_at,
    max(case when rank_latest = 1 then confirmed_date end) as latest_confirmed_date,
    max(case when rank_latest = 1 then confirmed_qty end) as latest_confirmed_qty,
    max(case when rank_latest = 2 then confirmed_date end) as previous_confirmed_date,
    count(*) as confirmation_count,
    count(*) - 1 as reconfirmation_count

from ranked
group by po_id, po_line
