"""The month partitions of the monthly assets, and where their keys come from.

Both sets come from the data, not from a date fixed for one company: S&OP cycles run
from the first complete month in the warehouse to the month of the as-of date; closed
finance months from the same first month to the month before the as-of date. They are
dynamic partitions (keys 'YYYY-MM'), added by `register_months` whenever the core graph
has run (tower run, the landing sensor), so a landing zone of 1996-1998 data gets its
own cycles and months.
"""

from __future__ import annotations

import dagster as dg

from ..planning.cycle import MonthSpan

SOP_CYCLES = dg.DynamicPartitionsDefinition(name="sop_cycles")
CLOSED_MONTHS = dg.DynamicPartitionsDefinition(name="closed_months")


def register_months(instance: dg.DagsterInstance, span: MonthSpan | None) -> None:
    """Add the cycles and closed months of `span` the instance does not know yet, in
    calendar order (the last key is the current cycle / the latest closed month)."""
    if span is None:
        return
    for definition, keys in ((SOP_CYCLES, span.cycles), (CLOSED_MONTHS, span.closed_months)):
        known = set(instance.get_dynamic_partitions(definition.name))
        missing = [k for k in keys if k not in known]
        if missing:
            instance.add_dynamic_partitions(definition.name, missing)


def month_key(month) -> str:
    """'YYYY-MM' of a date."""
    return f"{month.year:04d}-{month.month:02d}"
