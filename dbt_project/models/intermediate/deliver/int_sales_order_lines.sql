{#
    Current sales order lines with their service deadline and ordered value in the
    company currency. Deadline = the first committed date, or requested_date when the
    line was never promised. The first committed date is read from every version of
    the line kept in raw (the earliest version, by extracted_at, file and row, that
    carries a committed_date): a source that overwrites committed_date with a
    re-promise cannot move the deadline. Re-promises are tracked:
    latest_committed_date (the current version's, else the last one given) and
    repromise_count (changes of committed_date from one version to the next). A line cancelled by the customer leaves the service
    denominator; one we cancelled ourselves (cancel_reason own or empty) stays in as a
    miss. Ordered value = qty_ordered x unit_price at the rate of the order date or the
    latest earlier one.
#}
with

sales_order_lines as (

    select * from {{ ref('stg_sales_order_lines') }}

),

versions as (

    select
        so_id,
        so_line,
        committed_date,
        lag(committed_date) over (
            partition by so_id, so_line
            order by extracted_at, _load_seq, _row_number) as previous_committed_date,
        row_number() over (
            partition by so_id, so_line
            order by extracted_at, _load_seq, _row_number) as version_no
    from {{ source('raw', 'sales_order_lines') }}
    where committed_date is not null

),

promises as (

    select
        so_id,
        so_line,
        arg_min(committed_date, version_no) as first_committed_date,
        arg_max(committed_date, version_no) as last_committed_date,
        count(*) filter (where committed_date <> previous_committed_date) as repromise_count
    from versions
    group by so_id, so_line

),

lines as (

    select
        so_id,
        so_line,
        customer_id,
        site_id,
        item_id,
        channel,
        status,
        cancel_reason,
        coalesce(status = 'cancelled' and cancel_reason = 'customer', false) as is_customer_cancelled,
        coalesce(status = 'cancelled' and coalesce(cancel_reason, 'own') <> 'customer', false) as is_own_cancelled,
        order_date,
        requested_date,
        coalesce(promises.first_committed_date, sales_order_lines.committed_date) as committed_date,
        coalesce(sales_order_lines.committed_date, promises.last_committed_date) as latest_committed_date,
        coalesce(promises.repromise_count, 0) as repromise_count,
        coalesce(promises.first_committed_date, sales_order_lines.committed_date, requested_date) as deadline,
        qty_ordered,
        unit_price,
        currency,
        {{ money_product('qty_ordered', 'unit_price') }} as ordered_value

    from sales_order_lines
    left join promises
        using (so_id, so_line)

)

select
    lines.*,
    {{ to_company_currency('lines.ordered_value', 'lines.currency', 'fx') }} as ordered_value_cc,
    {{ is_missing_fx_rate('lines.ordered_value', 'lines.currency', 'fx') }} as is_missing_fx_rate

from lines
{{ fx_join('fx', 'lines.currency', 'lines.order_date') }}
