"""Schedules: when each asset job runs. Crons, time zone and initial state come from the environment."""

import os
from dataclasses import dataclass
from typing import Any

import dagster as dg

from bookshop import settings
from bookshop.defs import jobs

# A run in one of these states means the job is still busy.
ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class ScheduleDefaults:
    """A schedule as shipped: its job and the cron it runs on unless its variable retimes it."""

    name: str
    default_cron: str
    job: Any  # a job from dg.define_asset_job, whose class Dagster does not export
    description: str


SCHEDULE_DEFAULTS = (
    ScheduleDefaults(
        "daily_refresh_schedule", "0 2 * * *", jobs.daily_refresh, "Complete refresh of every asset overnight."
    ),
    ScheduleDefaults("source_refresh_schedule", "0 */6 * * *", jobs.source_refresh, "Raw MySQL copies, every 6 hours."),
    ScheduleDefaults(
        "analytics_refresh_schedule", "0 * * * *", jobs.analytics_refresh, "Analytics and exports, hourly."
    ),
    ScheduleDefaults(
        "business_hours_analytics", "0 9-17 * * 1-5", jobs.analytics_refresh, "Analytics and exports, 9-17 on weekdays."
    ),
    ScheduleDefaults(
        "weekend_processing", "0 0 * * 0,6", jobs.weekend_batch, "Every asset, at midnight on Saturday and Sunday."
    ),
)


def build_schedule(
    defaults: ScheduleDefaults, cron: str, timezone: str, status: dg.DefaultScheduleStatus
) -> dg.ScheduleDefinition:
    """A schedule that requests its job, or skips while the job still has a run queued or in progress.

    This skip is the one thing that keeps scheduled runs from piling up: it looks at the job, so it
    also covers two schedules of the same job and runs started by hand, and the tick says why.
    """
    job_name = defaults.job.name

    def request_unless_busy(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        busy = context.instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=ACTIVE_STATUSES), limit=1)
        if busy:
            return dg.SkipReason(
                f"{job_name} still has run {busy[0].run_id} {busy[0].status.value}; skipped so runs do not pile up."
            )
        return dg.RunRequest()

    try:
        return dg.ScheduleDefinition(
            name=defaults.name,
            job=defaults.job,
            cron_schedule=cron,
            execution_fn=request_unless_busy,
            execution_timezone=timezone,
            default_status=status,
            description=defaults.description,
        )
    except dg.DagsterInvalidDefinitionError as error:
        raise settings.SettingsError(
            f"{settings.cron_variable(defaults.name)}={cron!r} is not a valid cron expression (e.g. '0 2 * * *')"
        ) from error


@dg.definitions
def schedules() -> dg.Definitions:
    env = os.environ
    timezone = settings.timezone(env)
    running = settings.start_running(env)
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    return dg.Definitions(
        schedules=[
            build_schedule(each, settings.schedule_cron(env, each.name, each.default_cron), timezone, status)
            for each in SCHEDULE_DEFAULTS
        ]
    )
