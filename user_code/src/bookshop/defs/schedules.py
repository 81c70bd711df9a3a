"""Schedules: when each asset job runs. Crons, time zone and initial state come from the environment."""

import os
from dataclasses import dataclass

import dagster as dg

from bookshop import settings

# A run in one of these states means the job is still busy.
ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class PlannedSchedule:
    name: str
    default_cron: str
    job_name: str
    description: str


PLANNED_SCHEDULES = (
    PlannedSchedule(
        "daily_refresh_schedule", "0 2 * * *", "daily_refresh", "Complete refresh of every asset overnight."
    ),
    PlannedSchedule("source_refresh_schedule", "0 */6 * * *", "source_refresh", "Raw MySQL copies, every 6 hours."),
    PlannedSchedule("analytics_refresh_schedule", "0 * * * *", "analytics_refresh", "Analytics and exports, hourly."),
    PlannedSchedule(
        "business_hours_analytics", "0 9-17 * * 1-5", "analytics_refresh", "Analytics and exports, 9-17 on weekdays."
    ),
    PlannedSchedule(
        "weekend_processing", "0 0 * * 0,6", "weekend_batch", "Every asset, at midnight on Saturday and Sunday."
    ),
)


def build_schedule(
    planned: PlannedSchedule, cron: str, timezone: str, status: dg.DefaultScheduleStatus
) -> dg.ScheduleDefinition:
    """A schedule that requests its job, or skips while the job still has a run queued or in progress."""
    job_name = planned.job_name

    def request_unless_busy(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        busy = context.instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=ACTIVE_STATUSES), limit=1)
        if busy:
            return dg.SkipReason(
                f"{job_name} still has run {busy[0].run_id} {busy[0].status.value}; skipped so runs do not pile up."
            )
        return dg.RunRequest()

    try:
        return dg.ScheduleDefinition(
            name=planned.name,
            job_name=job_name,
            cron_schedule=cron,
            execution_fn=request_unless_busy,
            execution_timezone=timezone,
            default_status=status,
            description=planned.description,
        )
    except dg.DagsterInvalidDefinitionError as error:
        raise settings.SettingsError(
            f"{settings.cron_variable(planned.name)}={cron!r} is not a valid cron expression (e.g. '0 2 * * *')"
        ) from error


@dg.definitions
def schedules() -> dg.Definitions:
    env = os.environ
    timezone = settings.timezone(env)
    running = settings.start_running(env)
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    return dg.Definitions(
        schedules=[
            build_schedule(planned, settings.schedule_cron(env, planned.name, planned.default_cron), timezone, status)
            for planned in PLANNED_SCHEDULES
        ]
    )
