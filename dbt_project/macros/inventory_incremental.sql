{#
    Incremental rebuild of the daily inventory tables (int_inventory_daily and
    fct_inventory_daily), written once for both.

    An incremental run rebuilds every day from the REBUILD DATE through the as-of date:
    a pre-hook deletes the stored rows from that date on (delete_rebuilt_days), the
    model selects the rows from that date on, and they are appended. The rebuild date
    is the earliest day any new input can change, found from the raw rows loaded since
    the table was last built (their _load_seq above the stored watermark):
      - inventory movements: every date of every version of a movement that has a new
        version (new, changed or deleted movements, also late postings);
      - item_sites: the date of a new delivery (a new standard-cost version starts, the
        one before ends); a key delivered for the first time changes every day (its
        first version is effective from 1900-01-01);
      - fx rates: the earliest new rate_date;
      - the day after the newest stored day (new days when the as-of date advances) and
        the day after the as-of date (rows after an as-of date moved back are deleted);
    minus var inventory_rebuild_lookback_days, a safety margin. Every other day is
    unchanged by construction: balances before the rebuild date come from the same
    movements, so the table equals a full refresh.

    The watermark and a fingerprint (checksums of the model and of every model it is
    built from, and the settings it reads) are kept in the table's comment
    (record_incremental_state, a post-hook). Without a stored state, or when the
    fingerprint differs (the logic or a setting changed), every day is rebuilt.
    Macros are not in the fingerprint: after changing one the models use (currency,
    rounding), run `dbt build --full-refresh`.
#}

{# The rebuild date as 'YYYY-MM-DD' (only called in incremental runs). #}
{% macro inventory_rebuild_from() -%}
    {%- if not execute -%}
        {{ return('1900-01-01') }}
    {%- endif -%}
    {%- set state = stored_incremental_state(this) -%}
    {%- if state is none or state.get('fingerprint') != incremental_fingerprint() -%}
        {{ return('1900-01-01') }}
    {%- endif -%}
    {%- set watermark = state.get('load_seq') | int -%}
    {%- set lookback = var('inventory_rebuild_lookback_days', 0) | int -%}
    {%- set query -%}
        with

        changed_movement_dates as (
            select min(versions.posted_on) as first_day
            from {{ source('raw', 'inventory_movements') }} as versions
            where versions.movement_id in (
                select movement_id
                from {{ source('raw', 'inventory_movements') }}
                where _load_seq > {{ watermark }}
            )
        ),

        cost_rows as (
            select
                extracted_at,
                _load_seq,
                row_number() over (
                    partition by item_id, site_id order by extracted_at, _load_seq
                ) as delivery_rank_of_key
            from {{ source('raw', 'item_sites') }}
        ),

        changed_cost_dates as (
            select min(
                case
                    when delivery_rank_of_key = 1 then date '1900-01-01'
                    else cast(extracted_at as date)
                end) as first_day
            from cost_rows
            where _load_seq > {{ watermark }}
        ),

        changed_rate_dates as (
            select min(rate_date) as first_day
            from {{ source('raw', 'fx_rates') }}
            where _load_seq > {{ watermark }}
        ),

        stored as (
            select max(date_day) as last_day from {{ this }}
        )

        select cast(coalesce(
            least(
                (select first_day from changed_movement_dates),
                (select first_day from changed_cost_dates),
                (select first_day from changed_rate_dates),
                (select last_day from stored) + 1,
                {{ as_of_date() }} + 1
            ) - {{ lookback }},
            date '1900-01-01') as varchar)
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}


{# Pre-hook: delete the stored days the incremental run rebuilds. #}
{% macro delete_rebuilt_days() -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where date_day >= date '{{ inventory_rebuild_from() }}'
    {%- endif -%}
{%- endmacro %}


{# Post-hook: store the watermark and fingerprint in the table's comment. #}
{% macro record_incremental_state() -%}
    {%- if execute -%}
        {%- set state = {'load_seq': inventory_load_watermark(), 'fingerprint': incremental_fingerprint()} -%}
        comment on table {{ this }} is '{{ tojson(state) }}'
    {%- endif -%}
{%- endmacro %}


{# The newest _load_seq of the raw inputs (0 when empty). #}
{% macro inventory_load_watermark() -%}
    {%- set query -%}
        select coalesce(max(_load_seq), 0) from (
            {%- for extract in ['inventory_movements', 'item_sites', 'fx_rates'] %}
            select max(_load_seq) as _load_seq from {{ source('raw', extract) }}
            {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as inputs
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] | int) }}
{%- endmacro %}


{# The state stored by record_incremental_state, or none. #}
{% macro stored_incremental_state(relation) -%}
    {%- set query -%}
        select comment
        from duckdb_tables()
        where database_name = '{{ relation.database }}'
          and schema_name = '{{ relation.schema }}'
          and table_name = '{{ relation.identifier }}'
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length == 0 or not rows[0][0] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = fromjson(rows[0][0], none) -%}
    {{ return(state if state is mapping else none) }}
{%- endmacro %}


{#
    Checksums of the model and of every model upstream of it, with the settings the
    inventory tables read: a change to any of them rebuilds every day.
#}
{% macro incremental_fingerprint() -%}
    {%- set checksums = [] -%}
    {%- set queue = [model.unique_id] -%}
    {%- set seen = {} -%}
    {%- for unique_id in queue -%}
        {%- if unique_id not in seen -%}
            {%- do seen.update({unique_id: true}) -%}
            {%- set node = graph.nodes.get(unique_id) -%}
            {%- if node is not none -%}
                {%- do checksums.append(unique_id ~ '=' ~ node.checksum.checksum) -%}
                {%- for parent in node.depends_on.nodes -%}
                    {%- do queue.append(parent) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in ['days_of_supply_window_days', 'company_currency'] -%}
        {%- do checksums.append(name ~ '=' ~ var(name, '')) -%}
    {%- endfor -%}
    {{ return(local_md5(checksums | sort | join(';'))) }}
{%- endmacro %}
