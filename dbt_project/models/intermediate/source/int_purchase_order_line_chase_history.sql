{#
    How often each PO line was chased before the as-of date, from the log the chase
    drafts asset (exports/po_chase_drafts) appends to: one row per line with at least one
    chase day before the as-of date (docs/chase.md). A chase on the as-of date itself is
    the one being written from this list, so it never counts.

    escalation_level (var chase_escalate_after_days, 7):
    1  chased on one day, less than that many days ago;
    2  chased on two or more days, or first chased that many days ago or more
       (still on the list: the answers have not resolved the line).
    Lines never chased are not here: level 0 (int_purchase_order_line_chases).

    The asset meta/po_chase_log creates the table before dbt runs; where it does not
    exist (dbt run by hand on a new warehouse, the empty warehouse of the dbt unit tests)
    read an empty relation with its columns instead of failing.
#}
{%- set escalate_after_days = var('chase_escalate_after_days', 7) | int %}
{%- set chase_log = source('meta', 'po_chase_log') %}

with

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

chase_log as (

    {% if execute and model.resource_type == 'model' and load_relation(chase_log) is none -%}
    select
        cast(null as date) as as_of_date,
        cast(null as varchar) as po_id,
        cast(null as varchar) as po_line
    where false
    {%- else -%}
    select as_of_date, po_id, po_line from {{ chase_log }}
    {%- endif %}

),

history as (

    select
        chase_log.po_id,
        chase_log.po_line,
        count(distinct chase_log.as_of_date) as times_chased,
        min(chase_log.as_of_date) as first_chased_on,
        max(chase_log.as_of_date) as last_chased_on,
        any_value(as_of.as_of_date) as as_of_date
    from chase_log
    cross join as_of
    where chase_log.as_of_date < as_of.as_of_date
    group by chase_log.po_id, chase_log.po_line

)

select
    po_id,
    po_line,
    times_chased,
    first_chased_on,
    last_chased_on,
    {{ dbt.datediff('first_chased_on', 'as_of_date', 'day') }} as days_since_first_chase,
    case
        when times_chased >= 2
            or {{ dbt.datediff('first_chased_on', 'as_of_date', 'day') }} >= {{ escalate_after_days }}
            then 2
        else 1
    end as escalation_level
from history
