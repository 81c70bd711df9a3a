"""Housekeeping: a nightly job that keeps the run history and the handled order files bounded."""

import os
from datetime import UTC, datetime, timedelta

import dagster as dg

from bookshop import settings
from bookshop.defs.schedules import ScheduleDefaults, build_schedule
from bookshop.retention import Retention, prune_files, prune_runs


@dg.op(description="Deletes finished runs (event and compute logs too) and handled order files older than the limit.")
def prune_old_history(context: dg.OpExecutionContext, retention: Retention) -> None:
    if retention.days <= 0:
        context.log.info("BOOKSHOP_RETENTION_DAYS is 0: everything is kept.")
        return
    cutoff = datetime.now(UTC) - timedelta(days=retention.days)
    runs = prune_runs(context.instance, cutoff)
    files = {folder.name: prune_files(folder, cutoff) for folder in retention.folders()}
    context.log.info(f"Older than {cutoff:%Y-%m-%d %H:%M} UTC: deleted {runs} runs and files {files}.")
    context.log.info("Landed orders (<storage>/incoming_orders/) are all kept: orders_cleaned reads them.")


@dg.job(description="Prunes runs, their logs and handled order files older than BOOKSHOP_RETENTION_DAYS.")
def retention() -> None:
    prune_old_history()


RETENTION_SCHEDULE = ScheduleDefaults(
    "retention_schedule", "30 3 * * *", retention, "Prunes old runs, logs and order files, nightly."
)


@dg.definitions
def housekeeping() -> dg.Definitions:
    env = os.environ
    running = settings.start_running(env)
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    cron = settings.schedule_cron(env, RETENTION_SCHEDULE.name, RETENTION_SCHEDULE.default_cron)
    return dg.Definitions(
        jobs=[retention],
        schedules=[build_schedule(RETENTION_SCHEDULE, cron, settings.timezone(env), status)],
        resources={
            "retention": Retention(days=settings.retention_days(env), incoming_path=dg.EnvVar("BOOKSHOP_INCOMING_PATH"))
        },
    )
