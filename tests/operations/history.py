"""What a team would miss after a restore or an upgrade, read as the UI reads it (GraphQL), and
the switches an operator flips."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.location import RUNS_QUERY
from support.stack import Stack, wait_for
from support.switches import instigator_states, instigators

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
    launched_run: str  # a run the operator launched through the UI's API before the backup


def successful_run(stack: Stack, job: str) -> dict[str, Any]:
    """A run of the job launched as the operator launches it, once it has finished."""
    launched = stack.launch_run(job)
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return stack.wait_until_finished(launched["run"]["runId"], timeout=600)


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
        instigators=instigator_states(repository),
        materializations={
            "/".join(node["key"]["path"]): [
                (each["runId"], each["timestamp"]) for each in node["assetMaterializations"]
            ]
            for node in assets["nodes"]
        },
        files={line.split(maxsplit=1)[1]: line.split(maxsplit=1)[0] for line in listing.splitlines()},
    )
