"""Runs launched through the GraphQL API until SUCCESS, each split by its own event log.

Seconds run from the launchRun request to the run's end time as the run worker recorded it
(the host and the containers share one clock), so polling adds nothing.
    queue: run created -> RUN_STARTING (the daemon dequeued it and asks Docker for a container)
    start: RUN_STARTING -> RUN_START (container created and started, Python and the code loaded)
    steps: the steps' own time (stepStats), summed
    finish: the rest (between steps, and RUN_SUCCESS written)
"""

import time
from typing import Any

from bench import process
from bench.graphql import Dagster

ONE_ASSET_JOB = "__ASSET_JOB"
ONE_ASSET = "mysql_authors"


def launched(dagster: Dagster, job: str, assets: list[str] | None = None) -> dict[str, float]:
    requested = time.time()
    run_id = dagster.launch(job, assets)
    dagster.wait(run_id)
    run = dagster.run_times(run_id)
    events = run["events"]
    steps = sum(step["endTime"] - step["startTime"] for step in run["stepStats"])
    total = run["endTime"] - requested
    queue = events["RunStartingEvent"] - run["creationTime"]
    start = events["RunStartEvent"] - events["RunStartingEvent"]
    return {
        "seconds": total,
        "request_seconds": run["creationTime"] - requested,
        "queue_seconds": queue,
        "start_seconds": start,
        "step_seconds": steps,
        "finish_seconds": run["endTime"] - events["RunStartEvent"] - steps,
    }


def medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {name: process.middle([sample[name] for sample in samples]) for name in samples[0]}


def launch_latency(dagster: Dagster, user_code_image: str, repeats: int) -> dict[str, Any]:
    """A one-asset run against `docker run --rm <user code image> python -c "import dagster"`."""
    floor, runs = [], []
    for _ in range(repeats):
        floor.append(process.run(["docker", "run", "--rm", user_code_image, "python", "-c", "import dagster"]))
        runs.append(launched(dagster, ONE_ASSET_JOB, [ONE_ASSET]))
    return {
        "asset": ONE_ASSET,
        **medians(runs),
        "floor_seconds": process.middle([sample.seconds for sample in floor]),
        "repeats": repeats,
    }


def daily_refresh(dagster: Dagster, repeats: int) -> dict[str, Any]:
    """The whole daily_refresh job on the seed data, against the sum of its steps' own time."""
    return {**medians([launched(dagster, "daily_refresh") for _ in range(repeats)]), "repeats": repeats}
