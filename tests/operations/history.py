"""What a team would miss after a restore or an upgrade, read as the UI reads it (GraphQL), and
the switches an operator flips."""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.location import INSTIGATORS_QUERY, RUNS_QUERY
from support.stack import REPOSITORY_SELECTOR, START_SCHEDULE, START_SENSOR, STOP_SCHEDULE, STOP_SENSOR, Stack, wait_for

# Each schedule and the variable of its cron.
SCHEDULES = {
    "daily_refresh_schedule": "DAILY_REFRESH_SCHEDULE_CRON",
    "source_refresh_schedule": "SOURCE_REFRESH_SCHEDULE_CRON",
    "analytics_refresh_schedule": "ANALYTICS_REFRESH_SCHEDULE_CRON",
    "business_hours_analytics": "BUSINESS_HOURS_ANALYTICS_CRON",
    "weekend_processing": "WEEKEND_PROCESSING_CRON",
    "retention_schedule": "RETENTION_SCHEDULE_CRON",
}
# The jobs the schedules start. Two schedules share analytics_refresh, and a schedule skips while its
# job has a run going: the first start is over once each job has had a run from a schedule.
SCHEDULED_JOBS = {"daily_refresh", "source_refresh", "analytics_refresh", "weekend_batch", "retention"}
# The one switch left on after the first start (conftest.py): it starts no run while no file is dropped.
KEPT_ON = "incoming_orders_sensor"
IN_PROGRESS = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]

MATERIALIZATIONS_QUERY = """
query {
  assetsOrError {
    ... on AssetConnection { nodes { key { path } assetMaterializations(limit: 1000) { runId timestamp } } }
    ... on PythonError { message }
  }
}
"""
SENSOR_QUERY = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { canReset sensorState { status ticks(limit: 1) { status } } }
    ... on PythonError { message }
  }
}
"""
# How many times a sensor is switched before the switch is taken as refused.
SWITCH_ATTEMPTS = 3
FAILURE_QUERY = """
query($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    ... on EventConnection { events { __typename ... on ExecutionStepFailureEvent { error { message } }
      ... on RunFailureEvent { message } } }
  }
}
"""


@dataclass(frozen=True)
class History:
    runs: dict[str, str]  # run id: status
    instigators: dict[str, str]  # "schedule:name" or "sensor:name": status
    materializations: dict[str, list[tuple[str, str]]]  # asset: (run id, timestamp) of each
    files: dict[str, str]  # path on the data volume: sha256


@dataclass(frozen=True)
class Backup:
    """One `docker compose run --rm backup`, and what the stack showed when it began."""

    folder: Path
    name: str
    before: History
    seconds: float
    size: int


def runs(stack: Stack, **run_filter: Any) -> list[dict]:
    """Every run (or those of the filter), newest first, with its tags as a dict."""
    result = stack.graphql(RUNS_QUERY, filter=run_filter)["runsOrError"]
    assert "results" in result, result
    return [{**run, "tags": {tag["key"]: tag["value"] for tag in run["tags"]}} for run in result["results"]]


def run_statuses(stack: Stack) -> dict[str, str]:
    """Every run's status, by run id."""
    return {run["runId"]: run["status"] for run in runs(stack)}


def scheduled_jobs(listed: list[dict]) -> set[str]:
    """The jobs of the runs a schedule started."""
    return {run["jobName"] for run in listed if "dagster/schedule_name" in run["tags"]}


def wait_until_idle(stack: Stack, timeout: float) -> None:
    wait_for(lambda: not runs(stack, statuses=IN_PROGRESS), timeout, "no run queued or in progress")


def instigators(stack: Stack) -> dict[str, Any]:
    repository = stack.graphql(INSTIGATORS_QUERY, selector=REPOSITORY_SELECTOR)["repositoryOrError"]
    assert "schedules" in repository, repository
    return repository


def set_schedule(stack: Stack, name: str, running: bool) -> None:
    """Turn a schedule on or off as the UI does; its state is then stored, whatever the default."""
    [state] = [each["scheduleState"] for each in instigators(stack)["schedules"] if each["name"] == name]
    if state["status"] == "RUNNING":
        stopped = stack.graphql(STOP_SCHEDULE, id=state["id"])["stopRunningSchedule"]
        assert stopped.get("scheduleState", {}).get("status") == "STOPPED", stopped
    if running:
        selector = {**REPOSITORY_SELECTOR, "scheduleName": name}
        started = stack.graphql(START_SCHEDULE, selector=selector)["startSchedule"]
        assert started.get("scheduleState", {}).get("status") == "RUNNING", started


def set_sensor(stack: Stack, name: str, running: bool) -> None:
    """Turn a sensor on or off as the UI does, its state then stored whatever the default, and
    look again once the sensor's tick under way is over: that tick ends by writing back the
    sensor's state as it read it a moment before (Dagster's sensor daemon), which can undo a switch
    made in that moment, back to a stored state or to the code's default (a sensor that runs by
    default then still shows RUNNING, but no longer stored). An undone switch is made again, as an
    operator would."""
    wanted = "RUNNING" if running else "STOPPED"
    for _ in range(SWITCH_ATTEMPTS):
        switch_sensor(stack, name, running)
        if settled_sensor_switch(stack, name) == wanted:
            return
    raise AssertionError(f"{name} did not stay {wanted} after {SWITCH_ATTEMPTS} switches")


def switch_sensor(stack: Stack, name: str, running: bool) -> None:
    [state] = [each["sensorState"] for each in instigators(stack)["sensors"] if each["name"] == name]
    if state["status"] == "RUNNING":
        stopped = stack.graphql(STOP_SENSOR, id=state["id"])["stopSensor"]
        assert stopped["__typename"] == "StopSensorMutationResult", stopped
    if running:
        started = stack.graphql(START_SENSOR, selector={**REPOSITORY_SELECTOR, "sensorName": name})["startSensor"]
        assert started.get("sensorState", {}).get("status") == "RUNNING", started


def sensor(stack: Stack, name: str) -> dict[str, Any]:
    """The sensor's status, its newest tick, and whether its status is stored (canReset) rather
    than its code's default."""
    found = stack.graphql(SENSOR_QUERY, selector={**REPOSITORY_SELECTOR, "sensorName": name})["sensorOrError"]
    assert "sensorState" in found, found
    return found


def settled_sensor_switch(stack: Stack, name: str) -> str:
    """The sensor's stored status ("default" where none is stored) once its newest tick is over and
    that tick's state write (a moment after the tick's own) is done."""

    def newest_tick_over() -> bool:
        return all(tick["status"] != "STARTED" for tick in sensor(stack, name)["sensorState"]["ticks"])

    wait_for(newest_tick_over, 120, f"the tick under way of {name} to end", interval=0.5)
    time.sleep(1)
    settled = sensor(stack, name)
    return settled["sensorState"]["status"] if settled["canReset"] else "default"


def failures(stack: Stack, run_id: str) -> list[str]:
    """The error messages of a run's failed steps and of the run's own failure."""
    events = stack.graphql(FAILURE_QUERY, runId=run_id)["logsForRun"]["events"]
    failed = [event for event in events if event["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")]
    return [event.get("error", {}).get("message") or event.get("message", "") for event in failed]


def history(stack: Stack) -> History:
    repository = instigators(stack)
    assets = stack.graphql(MATERIALIZATIONS_QUERY)["assetsOrError"]
    assert "nodes" in assets, assets
    listing = stack.exec("user_code", "cd /data && find . -type f -print0 | sort -z | xargs -0 -r sha256sum")
    return History(
        runs=run_statuses(stack),
        instigators={
            **{f"schedule:{each['name']}": each["scheduleState"]["status"] for each in repository["schedules"]},
            **{f"sensor:{each['name']}": each["sensorState"]["status"] for each in repository["sensors"]},
        },
        materializations={
            "/".join(node["key"]["path"]): [
                (each["runId"], each["timestamp"]) for each in node["assetMaterializations"]
            ]
            for node in assets["nodes"]
        },
        files={line.split(maxsplit=1)[1]: line.split(maxsplit=1)[0] for line in listing.splitlines()},
    )
