{#
    The current version of every row of one raw extract (docs/conventions.md,
    "Versions of a row"). Key and kind come from the source's meta, which
    `orchestration.ingestion.dbt_sources` writes from the extract contract, so a key is
    never typed twice.

    delta:    per key, the latest version by extracted_at, then _load_seq (later file),
              then _row_number; keys whose latest version has is_deleted = true are
              dropped (NULL is_deleted = false).
    snapshot: only the rows of the newest delivery (highest extracted_at, then
              _load_seq) are current; a key absent from it is gone. Within that
              delivery a repeated key keeps its last row.

    Returns a select of every raw column (lineage included) of the current rows;
    the staging model picks and renames the columns it publishes. A staging model must
    sit in the folder of its extract's stage (models/staging/<stage>/): checked here.
#}
{% macro current_rows(extract) -%}
    {%- set relation = source('raw', extract) -%}
    {%- set meta = raw_source_meta(extract) -%}
    {%- set key_columns = meta['key'] -%}
    {%- if execute and model.resource_type == 'model' -%}
        {%- set model_stage = (model.config.meta or {}).get('stage') -%}
        {%- if model_stage != meta.get('stage') -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ " is in the staging folder of stage '" ~ model_stage ~ "' but raw."
                ~ extract ~ " belongs to stage '" ~ meta.get('stage') ~ "': move it to models/staging/"
                ~ meta.get('stage') ~ "/") }}
        {%- endif -%}
    {%- endif -%}
    {%- set quoted_keys = [] -%}
    {%- for column in key_columns -%}
        {%- do quoted_keys.append(adapter.quote(column)) -%}
    {%- endfor -%}
    {%- set partition_by = quoted_keys | join(', ') -%}
    {%- if meta['kind'] == 'snapshot' %}
    select *
    from (
        select
            raw_rows.*,
            row_number() over (
                partition by {{ partition_by }}
                order by raw_rows._row_number desc
            ) as _version_rank
        from {{ relation }} as raw_rows
        inner join (
            select extracted_at, _load_seq
            from {{ relation }}
            order by extracted_at desc nulls last, _load_seq desc nulls last
            limit 1
        ) as newest_delivery
            on raw_rows._load_seq = newest_delivery._load_seq
    ) as versions
    where _version_rank = 1
    {%- elif meta['kind'] == 'delta' %}
    select *
    from (
        select
            raw_rows.*,
            row_number() over (
                partition by {{ partition_by }}
                order by
                    raw_rows.extracted_at desc nulls last,
                    raw_rows._load_seq desc nulls last,
                    raw_rows._row_number desc nulls last
            ) as _version_rank
        from {{ relation }} as raw_rows
    ) as versions
    where _version_rank = 1
      and not coalesce(is_deleted, false)
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "source raw." ~ extract ~ " has kind " ~ meta['kind'] ~ "; expected snapshot or delta") }}
    {%- endif %}
{%- endmacro %}


{#
    The meta (key, kind, stage) of raw.<extract> from the graph. The graph is empty
    while dbt parses, so parse time gets a placeholder; the SQL that runs always uses
    the real meta.
#}
{% macro raw_source_meta(extract) -%}
    {%- if not execute -%}
        {{ return({'key': ['_row_number'], 'kind': 'delta', 'stage': none}) }}
    {%- endif -%}
    {%- set unique_id = 'source.' ~ project_name ~ '.raw.' ~ extract -%}
    {%- set node = graph.sources.get(unique_id) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error("no source raw." ~ extract ~ " in the graph") }}
    {%- endif -%}
    {%- set meta = {} -%}
    {%- do meta.update(node.get('meta') or {}) -%}
    {%- do meta.update((node.get('config') or {}).get('meta') or {}) -%}
    {%- if not meta.get('key') or meta.get('kind') not in ('snapshot', 'delta') -%}
        {{ exceptions.raise_compiler_error(
            "source raw." ~ extract ~ " needs meta key and kind (snapshot|delta); got " ~ meta) }}
    {%- endif -%}
    {{ return(meta) }}
{%- endmacro %}
