{#
    After-sales facts of a sales order line that spoil a perfect order, one row per
    line that has any: returns with reason `damaged`, and credit notes (customer invoice
    lines with a negative amount) against the line.
#}
with

damaged_returns as (

    select
        so_id,
        so_line,
        cast(sum(qty_returned) as decimal(18, 4)) as qty_returned_damaged,
        min(returned_on) as first_damaged_return_date
    from {{ ref('stg_returns') }}
    where reason_code = 'damaged'
      and so_id is not null
      and so_line is not null
    group by so_id, so_line

),

credit_notes as (

    select
        so_id,
        so_line,
        count(*) as credit_note_count,
        min(invoice_date) as first_credit_note_date
    from {{ ref('stg_customer_invoices') }}
    where amount < 0
      and so_id is not null
      and so_line is not null
    group by so_id, so_line

)

select
    coalesce(damaged_returns.so_id, credit_notes.so_id) as so_id,
    coalesce(damaged_returns.so_line, credit_notes.so_line) as so_line,
    coalesce(damaged_returns.qty_returned_damaged, 0) as qty_returned_damaged,
    damaged_returns.so_id is not null as is_returned_damaged,
    damaged_returns.first_damaged_return_date,
    coalesce(credit_notes.credit_note_count, 0) as credit_note_count,
    credit_notes.so_id is not null as is_invoice_credited,
    credit_notes.first_credit_note_date

from damaged_returns
full outer join credit_notes
    on damaged_returns.so_id = credit_notes.so_id
    and damaged_returns.so_line = credit_notes.so_line
