"""Runs launched through the GraphQL API until SUCCESS, each split by its own event log.

Seconds run from the launchRun request to the run's end time as the run worker recorded it
(the host and the containers share one clock), so polling adds nothing.
    queue: run created -> RUN_STARTING (the daemon dequeued it and asks Docker for a container)
    start: RUN_STARTING -> RUN_START (container created and started, Python and the code loaded)
    steps: the steps' own time (stepStats), summed
    finish: the rest (between steps, and RUN_SUCCESS written)
"""

import time
from collections.abc import Callable
from typing import Any

from support.stack import Stack

ONE_ASSET_JOB = "__ASSET_JOB"
RUN_TIMES = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run { status creationTime startTime endTime stepStats { stepKey status startTime endTime } }
  }
  logsForRun(runId: $runId, limit: 5000) {
    ... on EventConnection { events { __typename ... on MessageEvent { timestamp } } }
  }
}
"""


def launch(stack: Stack, job: str, assets: list[str] | None = None, run_config: dict | None = None) -> str:
    launched = stack.launch_run(job, assets, run_config=run_config)
    if launched["__typename"] != "LaunchRunSuccess":
        raise RuntimeError(f"launchRun of {job} on {stack.project}: {launched}")
    return launched["run"]["runId"]


def run_times(stack: Stack, run_id: str) -> dict[str, Any]:
    """The run's record and the first timestamp (epoch seconds) of each kind of event in its log."""
    data = stack.graphql(RUN_TIMES, runId=run_id)
    events: dict[str, float] = {}
    for event in data["logsForRun"]["events"]:
        if "timestamp" in event:
            events.setdefault(event["__typename"], int(event["timestamp"]) / 1000)
    return {**data["runOrError"], "events": events}


def launched(
    stack: Stack,
    job: str,
    assets: list[str] | None = None,
    run_config: dict | None = None,
    while_running: Callable[[str], Any] | None = None,
    timeout: float = 900,
) -> dict[str, float]:
    """One run to SUCCESS and where its time went; `while_running(run_id)` is called until it ends."""
    requested = time.time()
    run_id = launch(stack, job, assets, run_config)
    if while_running:
        while_running(run_id)
    finished = stack.wait_until_finished(run_id, timeout=timeout)
    if finished["status"] != "SUCCESS":
        raise RuntimeError(f"run {run_id} of {job} on {stack.project} ended {finished['status']}")
    run = run_times(stack, run_id)
    events = run["events"]
    steps = sum(step["endTime"] - step["startTime"] for step in run["stepStats"])
    return {
        "seconds": run["endTime"] - requested,
        "request_seconds": run["creationTime"] - requested,
        "queue_seconds": events["RunStartingEvent"] - run["creationTime"],
        "start_seconds": events["RunStartEvent"] - events["RunStartingEvent"],
        "step_seconds": steps,
        "finish_seconds": run["endTime"] - events["RunStartEvent"] - steps,
    }
