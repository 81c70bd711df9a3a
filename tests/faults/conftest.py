"""The deployment under faults: a stack of its own, since these tests kill, pause and restart its parts."""

import subprocess
from collections.abc import Iterator

import pytest

from support.stack import Stack, started_stack


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    with started_stack("faults") as started:
        yield started


def kill_container_process(container_id: str) -> None:
    """SIGKILL the container's main process from the host, as the kernel's OOM killer would.

    `docker kill` would be recorded by Docker as a manual stop; this is a crash.
    """
    pid = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.Pid}}", container_id], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert pid not in ("", "0"), f"container {container_id} is not running"
    subprocess.run(["kill", "-9", pid], check=True)
