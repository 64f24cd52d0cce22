"""What starts runs without a click: the landing sensor and the schedules.

- landing_deliveries: every 30 s, new files in the landing zone (compared with the
  ingest ledger of the published snapshot) start the core job for the extracts that
  have them and everything downstream; the run's tags name the files.
- daily_pipeline 06:00 (core job), weekly_forecast Monday 05:00 (forecast, planning
  marts, publish), month_start on the first working day of the month (marts.dim_date):
  the S&OP cycle of the month and the month close of the month before, once each.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from ..ingestion.landing import deliveries_key, new_deliveries
from ..planning.cycle import cycle_of, first_working_day
from ..settings import load_settings
from .partitions import month_key


def _status(on: bool) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if on else dg.DefaultSensorStatus.STOPPED


def landing_sensor(core_job, ingest_keys: dict[str, dg.AssetKey],
                   downstream_keys: list[dg.AssetKey]) -> dg.SensorDefinition:
    """`ingest_keys`: extract -> its ingest asset; `downstream_keys`: the rest of the
    core job, refreshed after any new delivery."""

    @dg.sensor(name="landing_deliveries", job=core_job, minimum_interval_seconds=30,
               default_status=_status(load_settings().landing_sensor),
               description="New files in the landing zone start the core job for the "
                           "extracts that have them (and everything downstream).")
    def _sensor(context: dg.SensorEvaluationContext):
        settings = load_settings()
        if not settings.landing_dir.is_dir():
            return dg.SkipReason(f"no landing zone at {settings.landing_dir}")
        new = new_deliveries(settings.landing_dir, settings.published)
        if not new:
            return dg.SkipReason("no new deliveries")
        files = [rel for extract in sorted(new) for rel in new[extract]]
        shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
        return dg.RunRequest(
            run_key=f"landing-{deliveries_key(settings.landing_dir, new)}",
            asset_selection=[ingest_keys[e] for e in sorted(new)] + downstream_keys,
            tags={"ct/trigger": "new deliveries", "ct/extracts": ",".join(sorted(new)),
                  "ct/files": shown[:900]})

    return _sensor


def daily_pipeline(core_job) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="daily_pipeline", job=core_job, cron_schedule="0 6 * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The whole core graph every day at 06:00: whatever landed overnight "
                    "is loaded, the marts rebuilt, the chase drafts written, the "
                    "snapshot published.")


def weekly_forecast(forecast_job) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="weekly_forecast", job=forecast_job, cron_schedule="0 5 * * 1",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The forecast snapshot of the new week's cutoff every Monday at 05:00, "
                    "then the planning marts and the snapshot.")


def month_start(job, partitions: dg.DynamicPartitionsDefinition, months_back: int,
                what: str) -> dg.ScheduleDefinition:
    """Hourly 07:00-12:00 on weekdays; acts on the first working day only, once per month
    (run key), as soon as the daily run has registered the month (`months_back` = 0: the
    month itself, the S&OP cycle; 1: the month before, the month close)."""

    @dg.schedule(name=f"{job.name}_monthly", cron_schedule="0 7-12 * * 1-5", job=job,
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description=f"On the first working day of the month: {what}.")
    def _schedule(context: dg.ScheduleEvaluationContext):
        today: date = context.scheduled_execution_time.date()
        first = first_working_day(today, load_settings().published)
        if today != first:
            return dg.SkipReason(f"{today} is not the first working day of the month "
                                 f"({first})")
        month = cycle_of(today)
        for _ in range(months_back):
            month = cycle_of(month - timedelta(days=1))
        key = month_key(month)
        if not context.instance.has_dynamic_partition(partitions.name, key):
            return dg.SkipReason(f"the data does not reach {key} yet (the daily run "
                                 "registers a new month when it publishes)")
        return dg.RunRequest(run_key=f"{job.name}-{key}", partition_key=key)

    return _schedule
