"""A code location for the exporter's tests: a schedule and a sensor running by default, a schedule stopped."""

import dagster as dg


@dg.op
def nothing() -> None:
    """Does nothing: the schedules and the sensor need a job."""


@dg.job
def idle_job() -> None:
    nothing()


@dg.sensor(job=idle_job, minimum_interval_seconds=45, default_status=dg.DefaultSensorStatus.RUNNING)
def running_sensor() -> dg.SkipReason:
    return dg.SkipReason("nothing to do")


defs = dg.Definitions(
    jobs=[idle_job],
    schedules=[
        dg.ScheduleDefinition(
            name="running_schedule",
            job=idle_job,
            cron_schedule="0 * * * *",
            default_status=dg.DefaultScheduleStatus.RUNNING,
        ),
        dg.ScheduleDefinition(name="stopped_schedule", job=idle_job, cron_schedule="0 * * * *"),
    ],
    sensors=[running_sensor],
)
