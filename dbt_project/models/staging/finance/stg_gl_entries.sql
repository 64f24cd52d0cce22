with

source as (

    {{ current_rows('gl_entries') }}

),

renamed as (

    select
        entry_id,
        line,
        posting_date,
        account,
        account_type,
        cost_center,
        amount,
        currency,
        amount_company,
        partner_id,
        ref_doc_type,
        ref_doc_id,
        source_system,
        extracted_at,
        _source_file

    from source

)

select * from renamed
