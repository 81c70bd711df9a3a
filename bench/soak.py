"""A compressed month: every schedule every minute, every sensor on, for `minutes`.

The code server and the daemon are recreated with every `*_CRON` setting of docker-compose.yml at
`* * * * *` and schedules and sensors running by default. Every service's memory (`docker stats`)
is sampled every SAMPLE_SECONDS; after the warm-up (the first sixth of the spell) the first and
the last sample of each service give its drift, the worst service's is `memory_drift_ratio`. At
the end (the settings put back): the month's runs by outcome once every one has ended, Dagster's
Postgres database growth per 1,000 of them, and the containers of those runs still there.
"""

import re
import subprocess
import time
from collections import Counter
from typing import Any

from bench import footprint
from bench.burst import UNFINISHED
from bench.process import ROOT
from support.stack import Stack

SAMPLE_SECONDS = 30
SETTLE_SECONDS = 30  # after the last run ended, for Docker to remove its container
EVERY_MINUTE = "* * * * *"
RUNS = """
query($filter: RunsFilter!) {
  runsOrError(filter: $filter, limit: 20000) { ... on Runs { results { runId status } } }
}
"""
RUN_LABEL = '{{.Label "dagster/run_id"}}'
DATABASE_BYTES = 'psql -U postgres -d "$DAGSTER_POSTGRES_DB" -tAc "SELECT pg_database_size(current_database())"'


def cron_settings() -> list[str]:
    return sorted(set(re.findall(r"\b([A-Z][A-Z_]*_CRON)\b", (ROOT / "code_locations" / "bookshop.yaml").read_text())))


def recreate(stack: Stack, everything_on: bool) -> None:
    """The code server and the daemon with every schedule every minute and everything on (or as deployed)."""
    settings = {name: EVERY_MINUTE for name in cron_settings()}
    settings["BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING"] = "true"
    for name, value in settings.items():
        if everything_on:
            stack.env[name] = value
        else:
            stack.env.pop(name, None)
    stack.compose("up", "--detach", "--wait", "--no-deps", "--force-recreate", "user_code", "daemon", timeout=600)


def database_bytes(stack: Stack) -> int:
    return int(stack.exec("postgres", DATABASE_BYTES).strip())


def runs_between(stack: Stack, started: float, ended: float) -> list[dict[str, str]]:
    window = {"createdAfter": started, "createdBefore": ended}
    return stack.graphql(RUNS, filter=window)["runsOrError"]["results"]


def leftover_run_containers(run_ids: set[str]) -> int:
    """Containers of these (ended) runs that still exist, running or not, SETTLE_SECONDS after they
    ended at the latest: a run is recorded ended just before its process exits, and Docker removes
    the container after that (`auto_remove`)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        listed = subprocess.run(
            ["docker", "ps", "--all", "--filter", "label=dagster/run_id", "--format", RUN_LABEL],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        left = len(set(listed) & run_ids)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(1)


def after_warm_up(samples: list[dict[str, float]]) -> list[dict[str, float]]:
    """The samples after the warm-up: all but the first sixth."""
    return samples[len(samples) // 6 :]


def ratios(first: dict[str, float], last: dict[str, float]) -> dict[str, float]:
    return {service: round(last[service] / first[service], 3) for service in first if service in last}


def drift(samples: list[dict[str, float]]) -> dict[str, float]:
    """Per service, its last sample over its first one after the warm-up."""
    kept = after_warm_up(samples)
    return ratios(kept[0], kept[-1])


def second_half_drift(samples: list[dict[str, float]]) -> dict[str, float]:
    """The drift of the second half of the samples after the warm-up alone: near 1 for a service
    that levelled off, as large as the first half's for one that keeps growing."""
    kept = after_warm_up(samples)
    return ratios(kept[len(kept) // 2], kept[-1])


def measure(stack: Stack, minutes: float, finish_timeout: float = 900) -> dict[str, Any]:
    bytes_before = database_bytes(stack)
    recreate(stack, everything_on=True)
    started = time.time()
    samples = []
    while time.time() - started < minutes * 60:
        samples.append(footprint.memory(stack)[0])
        time.sleep(SAMPLE_SECONDS)
    samples.append(footprint.memory(stack)[0])
    recreate(stack, everything_on=False)
    ended = time.time()
    deadline = time.monotonic() + finish_timeout
    made = runs_between(stack, started, ended)
    while any(run["status"] in UNFINISHED for run in made):
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs still unfinished {finish_timeout} s after the compressed month")
        time.sleep(5)
        made = runs_between(stack, started, ended)
    growth = database_bytes(stack) - bytes_before
    drifts = drift(samples)
    return {
        "minutes": minutes,
        "memory_drift_ratio": max(drifts.values()),
        "memory_drift": drifts,
        "memory_drift_second_half": second_half_drift(samples),
        "memory_first_mb": after_warm_up(samples)[0],
        "memory_last_mb": samples[-1],
        "runs": dict(Counter(run["status"] for run in made)),
        "postgres_growth_mb_per_1000_runs": round(growth / 2**20 / len(made) * 1000, 1) if made else None,
        "postgres_growth_mb": round(growth / 2**20, 1),
        "leftover_run_containers": leftover_run_containers({run["runId"] for run in made}),
        "samples": len(samples),
        "memory_mb_by_sample": samples,
    }
