"""Dagster's examples/deploy_docker (bench/reference/) beside the bookshop, measured by the same code.

The reference runs on the bookshop stack's network and reads `authors` from its MySQL. Each
figure alternates the two stacks so that a busy moment of the machine costs both alike:
    cold start: containers removed, then `docker compose up --detach` until the webserver reports
        the code location LOADED (the bookshop keeps its volumes; deploy_docker declares none,
        so its Postgres starts empty each time). While one stack starts, the other is stopped
        (the bookshop's MySQL stays up for the reference).
    launch: a one-asset run (`__ASSET_JOB`) from launchRun to the run's recorded end.
    idle CPU: each stack alone at rest, then the bare machine, host-wide (bench/idle_cpu.py).
    idle memory: both stacks up and idle for the same spell, then one `docker stats` of both;
        the whole stack at rest is every service of ours (monitoring and MySQL included).
"""

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from bench import footprint, idle_cpu, process, runs
from support.stack import IMAGE_TAG, Stack, docker_time, free_port

REFERENCE = process.ROOT / "bench" / "reference"
# The four services deploy_docker has, by their name in each stack.
SAME_FOUR = {"daemon": "daemon", "webserver": "webserver", "user_code": "user_code", "postgres": "postgres"}
REFERENCE_FOUR = {
    "daemon": "docker_example_daemon",
    "webserver": "docker_example_webserver",
    "user_code": "docker_example_user_code",
    "postgres": "docker_example_postgresql",
}
ONE_ASSET = {"bookshop": "mysql_authors", "reference": "authors"}


def reference_stack(ours: Stack) -> Stack:
    """deploy_docker as a compose project of its own, on our stack's network, reading our MySQL."""
    port = free_port()
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("COMPOSE_")},
        "BOOKSHOP_IMAGE_TAG": IMAGE_TAG,
        "DAGSTER_WEBSERVER_PORT": str(port),
        "DAGSTER_RUN_NETWORK": f"{ours.project}_default",
        "MYSQL_READER_PASSWORD": ours.env["MYSQL_READER_PASSWORD"],
    }
    project = ours.project.replace("bookshop-", "reference-", 1)
    return Stack(
        project, env, ours.env_file, port, port, compose_files=(REFERENCE / "docker-compose.yml",), location="user_code"
    )


def until_loaded(stack: Stack, timeout: float = 600) -> dict[str, float]:
    """Seconds from `docker compose up --detach` until the webserver has loaded the code location,
    and until `up` returned and each container started (and a one-shot exited), where the time went."""
    since, started = time.time(), time.monotonic()
    stack.compose("up", "--detach", timeout=timeout)
    returned = time.monotonic() - started
    while not stack.location_loaded():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{stack.project}: code location not loaded after {timeout} s")
        time.sleep(0.1)
    return {"seconds": time.monotonic() - started, "up returned": returned, **start_times(stack, since)}


def start_times(stack: Stack, since: float) -> dict[str, float]:
    """'<service> started' (and '<service> exited', for a one-shot): seconds from `since`, as Docker recorded them."""
    containers = {name: row["ID"] for name, row in stack.services().items()}
    listed = subprocess.run(
        ["docker", "inspect", "--format", "{{json .State}}", *containers.values()],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    times = {}
    for service, state in zip(containers, map(json.loads, listed), strict=True):
        times[f"{service} started"] = seconds_after(state["StartedAt"], since)
        if not state["Running"]:
            times[f"{service} exited"] = seconds_after(state["FinishedAt"], since)
    return dict(sorted(times.items(), key=lambda item: item[1]))


def seconds_after(recorded: str, since: float) -> float:
    """A time Docker recorded, as seconds after `since`."""
    return round(docker_time(recorded).timestamp() - since, 1)


def cold_starts(ours: Stack, reference: Stack, repeats: int) -> tuple[list[dict], list[dict]]:
    mine, theirs = [], []
    for _ in range(repeats):
        reference.down()  # first: it sits on our network, which our `down` removes
        ours.down(keep_volumes=True)
        mine.append(until_loaded(ours))
        ours.compose("stop", *(set(footprint.running(ours)) - {"mysql"}))
        theirs.append(until_loaded(reference))
        ours.up()
    return mine, theirs


def launches(ours: Stack, reference: Stack, repeats: int) -> tuple[list[dict], list[dict]]:
    mine, theirs = [], []
    for _ in range(repeats):
        mine.append(runs.launched(ours, runs.ONE_ASSET_JOB, [ONE_ASSET["bookshop"]]))
        theirs.append(runs.launched(reference, runs.ONE_ASSET_JOB, [ONE_ASSET["reference"]]))
    return mine, theirs


def ratio(value: float, base: float) -> float:
    return round(value / base, 3) if base else float("nan")


@contextlib.contextmanager
def beside(ours: Stack) -> Iterator[tuple[Stack, float]]:
    """deploy_docker built and started beside our stack (and the seconds its build took); removed at the end."""
    reference = reference_stack(ours)
    started = time.monotonic()
    reference.build()
    build_seconds = time.monotonic() - started
    try:
        until_loaded(reference)
        yield reference, build_seconds
    finally:
        reference.down()
        remove_run_containers(reference)


def remove_run_containers(reference: Stack) -> None:
    """deploy_docker's launcher keeps each run's container once it exits: remove those of its image."""
    image = f"bookshop-reference-user-code:{reference.env['BOOKSHOP_IMAGE_TAG']}"
    listed = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"ancestor={image}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if listed:
        subprocess.run(["docker", "rm", "--force", *listed], capture_output=True, check=True)


def measure(ours: Stack, reference: Stack, repeats: int, idle_seconds: float) -> dict[str, Any]:
    """Cold starts, launches and idle memory of both stacks; ratios ours / reference."""
    cold_mine, cold_theirs = cold_starts(ours, reference, repeats)
    launch_mine, launch_theirs = launches(ours, reference, repeats)
    cpu = idle_cpu.measure(ours, reference, settle_seconds=60, seconds=60)
    time.sleep(idle_seconds)
    memory_mine, memory_theirs = footprint.memory(ours, reference)
    ours_four = sum(memory_mine[name] for name in SAME_FOUR.values())
    theirs_four = sum(memory_theirs[name] for name in REFERENCE_FOUR.values())
    launch_ours, launch_reference = process.medians(launch_mine), process.medians(launch_theirs)
    cold_ours, cold_reference = process.medians(cold_mine), process.medians(cold_theirs)
    return {
        "launch_ratio": ratio(launch_ours["seconds"], launch_reference["seconds"]),
        "cold_start_ratio": ratio(cold_ours["seconds"], cold_reference["seconds"]),
        "idle_memory_ratio": ratio(ours_four, theirs_four),
        "idle_cpu_ratio": cpu["ratio"],
        "idle_cpu": cpu,
        "whole_stack_at_rest_mb": footprint.whole_stack(memory_mine),
        "ours": {
            "cold_start_seconds": cold_ours.pop("seconds"),
            "cold_start_timeline": cold_ours,
            "launch": launch_ours,
            "idle_memory_mb": memory_mine,
            "idle_memory_same_four_mb": round(ours_four, 1),
        },
        "reference": {
            "cold_start_seconds": cold_reference.pop("seconds"),
            "cold_start_timeline": cold_reference,
            "launch": launch_reference,
            "idle_memory_mb": memory_theirs,
            "idle_memory_same_four_mb": round(theirs_four, 1),
        },
        "idle_seconds": idle_seconds,
        "repeats": repeats,
    }
