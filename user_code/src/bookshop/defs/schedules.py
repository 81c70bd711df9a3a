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


def never_materialized_upstream(
    instance: dg.DagsterInstance, repository: dg.RepositoryDefinition, selection: dg.AssetSelection
) -> list[dg.AssetKey]:
    """The assets a run of `selection` reads but does not write that were never materialized.

    Assets that no job can materialize (incoming_orders: only files land it) are never missing.
    """
    assets = repository.assets_defs_by_key
    read = (selection.upstream(depth=1) - selection).resolve(repository.asset_graph)
    executable = [key for key in read if assets[key].is_executable]
    return sorted(key for key in executable if instance.get_latest_materialization_event(key) is None)


def build_schedule(
    defaults: ScheduleDefaults, cron: str, timezone: str, status: dg.DefaultScheduleStatus
) -> dg.ScheduleDefinition:
    """A schedule that requests its job, or skips while the job still has a run queued or in progress.

    This skip is the one thing that keeps scheduled runs from piling up: it looks at the job, so it
    also covers two schedules of the same job and runs started by hand, and the tick says why.
    A job whose input assets were never materialized (a young install) skips too, saying which,
    instead of failing and alerting.
    """
    job_name = defaults.job.name
    selection = getattr(defaults.job, "selection", None)

    def request_unless_busy(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        busy = context.instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=ACTIVE_STATUSES), limit=1)
        if busy:
            return dg.SkipReason(
                f"{job_name} still has run {busy[0].run_id} {busy[0].status.value}; skipped so runs do not pile up."
            )
        # Only asset jobs have a selection; the retention job reads no asset.
        missing = never_materialized_upstream(context.instance, context.repository_def, selection) if selection else []
        if missing:
            names = ", ".join(key.to_user_string() for key in missing)
            return dg.SkipReason(
                f"{job_name} reads {names}, never materialized yet; skipped until a run of daily_refresh "
                "(or of the job that writes them) has materialized them."
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
            f"{settings.cron_variable(defaults.name)}={cron!r} is not a valid cron expression (e.g. '30 1 * * *')"
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
