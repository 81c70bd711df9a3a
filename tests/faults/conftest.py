"""The deployment under faults: a stack of its own, since these tests kill, pause and restart its parts."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.stack import Stack, started_stack

# Monitoring on a short clock, so that the dead-daemon alert arrives and resolves within minutes
# (test_monitoring.py); thresholds and `for:` durations are monitoring/rules.yml's own. Failed runs
# are looked for, and a failed alert POST first tried again, every 5 s (test_alerts.py).
FAST_MONITORING = {
    "BOOKSHOP_MONITORING_INTERVAL_SECONDS": "5",
    "BOOKSHOP_ALERT_GROUP_WAIT": "5s",
    "BOOKSHOP_ALERT_GROUP_INTERVAL": "10s",
    "BOOKSHOP_ALERT_INTERVAL_SECONDS": "5",
}


@pytest.fixture(scope="package")
def incoming_folder(tmp_path_factory) -> Path:
    """The drop folder on this machine (BOOKSHOP_INCOMING_PATH as a host path), writable by any account."""
    folder = tmp_path_factory.mktemp("incoming")
    folder.chmod(0o777)
    return folder


@pytest.fixture(scope="package")
def stack(incoming_folder: Path) -> Iterator[Stack]:
    with started_stack("faults", FAST_MONITORING | {"BOOKSHOP_INCOMING_PATH": str(incoming_folder)}) as started:
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
