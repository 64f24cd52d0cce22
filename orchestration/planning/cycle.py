"""The S&OP cycle calendar (plain Python): which month is a cycle and when it runs.

The cycle is the month of the as-of date (spec/interfaces.md); its scheduled run is on
the first working day of the month, from marts.dim_date (weekends plus the holiday seed)
of the published snapshot — readers never open the live warehouse.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb


def cycle_of(day: date) -> date:
    """The S&OP cycle (first day of the month) a day belongs to."""
    return day.replace(day=1)


def first_working_day(month: date, published: Path) -> date:
    """First working day of the month per marts.dim_date; Monday-Friday when the
    snapshot (or its calendar for that month) is not there yet."""
    start = cycle_of(month)
    if published.exists():
        con = duckdb.connect(str(published), read_only=True)
        try:
            rows = con.execute(
                "SELECT min(date_day) FROM marts.dim_date WHERE is_working_day "
                "AND month = ?", [start]).fetchall()
        except duckdb.Error:
            rows = [(None,)]
        finally:
            con.close()
        if rows[0][0] is not None:
            return rows[0][0]
    day = start
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
