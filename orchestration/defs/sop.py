"""The monthly S&OP cycle schedule: the cycle's partition on the first working day."""

from datetime import date

import dagster as dg

from ..planning.cycle import cycle_of, first_working_day
from ..settings import load_settings


def sop_cycle_schedule(job) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="sop_cycle_monthly",
        job=job,
        # every weekday morning; the function runs the cycle only on the month's first
        # working day (weekends and the holiday seed, marts.dim_date)
        cron_schedule="0 6 * * 1-5",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="The S&OP cycle of the month, on its first working day at 06:00.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        today: date = context.scheduled_execution_time.date()
        first = first_working_day(today, load_settings().published)
        if today != first:
            return dg.SkipReason(f"{today} is not the first working day of the month "
                                 f"({first})")
        cycle = cycle_of(today).isoformat()
        return dg.RunRequest(run_key=f"sop_cycle_{cycle}", partition_key=cycle)

    return _schedule
