{#
    History of the standard cost and planned lead time of every item x site, from the
    versions of the item_sites snapshot extract kept in raw (staging keeps only the
    newest delivery). One row per version: a version starts with the first delivery
    where the key appears with new values and ends the day before the next version,
    or the day before the first delivery the key is absent from.

    Dates: a delivery is effective from the date of its extracted_at. The first known
    version of a key also covers every earlier date (effective_from = 1900-01-01) so
    that older documents (receipts, stock) find a standard cost; first_seen_on keeps
    the real date. Within one delivery a repeated key keeps its last row (as staging).
#}
with

raw_rows as (

    select
        item_id,
        site_id,
        standard_cost,
        planned_lead_time_days,
        currency,
        extracted_at,
        _load_seq,
        _row_number
    from {{ source('raw', 'item_sites') }}

),

deliveries as (

    select
        extracted_at,
        _load_seq,
        row_number() over (order by extracted_at, _load_seq) as delivery_no
    from (select distinct extracted_at, _load_seq from raw_rows) as d

),

rows_per_delivery as (

    select *
    from (
        select
            raw_rows.*,
            deliveries.delivery_no,
            row_number() over (
                partition by raw_rows.item_id, raw_rows.site_id, deliveries.delivery_no
                order by raw_rows._row_number desc
            ) as rank_in_delivery
        from raw_rows
        inner join deliveries
            on raw_rows.extracted_at is not distinct from deliveries.extracted_at
            and raw_rows._load_seq is not distinct from deliveries._load_seq
    ) as r
    where rank_in_delivery = 1

),

changes as (

    select
        *,
        case
            when lag(delivery_no) over w is null then true
            when lag(delivery_no) over w <> delivery_no - 1 then true
            when lag(standard_cost) over w is distinct from standard_cost then true
            when lag(planned_lead_time_days) over w is distinct from planned_lead_time_days then true
            when lag(currency) over w is distinct from currency then true
            else false
        end as is_new_version
    from rows_per_delivery
    window w as (partition by item_id, site_id order by delivery_no)

),

numbered as (

    select
        *,
        sum(case when is_new_version then 1 else 0 end) over (
            partition by item_id, site_id order by delivery_no
            rows between unbounded preceding and current row
        ) as version_no
    from changes

),

versions as (

    select
        item_id,
        site_id,
        version_no,
        min(delivery_no) as first_delivery_no,
        max(delivery_no) as last_delivery_no,
        any_value(standard_cost) as standard_cost,
        any_value(planned_lead_time_days) as planned_lead_time_days,
        any_value(currency) as currency
    from numbered
    group by item_id, site_id, version_no

),

dated as (

    select
        versions.*,
        cast(first_delivery.extracted_at as date) as first_seen_on,
        cast(next_delivery.extracted_at as date) as ended_by_delivery_on,
        next_delivery.delivery_no is null as is_in_newest_delivery
    from versions
    inner join deliveries as first_delivery
        on versions.first_delivery_no = first_delivery.delivery_no
    left join deliveries as next_delivery
        on versions.last_delivery_no + 1 = next_delivery.delivery_no

)

select
    item_id,
    site_id,
    cast(version_no as integer) as version_no,
    cast(standard_cost as decimal(18, 4)) as standard_cost,
    cast(planned_lead_time_days as integer) as planned_lead_time_days,
    currency,
    first_seen_on,
    case when version_no = 1 then cast('1900-01-01' as date) else first_seen_on end as effective_from,
    cast(ended_by_delivery_on - interval 1 day as date) as effective_to,
    is_in_newest_delivery as is_current

from dated
