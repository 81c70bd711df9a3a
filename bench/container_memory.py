"""The memory of a run's container while it runs: sampled from its cgroup until the container is gone.

A run container is removed by Docker when its run ends, so its figures are read while it lives:
every SAMPLE_SECONDS, the memory `docker stats` shows (usage less inactive file cache: what the
kernel cannot drop under a limit), and at the end the cgroup's own high-water mark (which also
counts page cache, e.g. of the Parquet files the run wrote). cgroup v1 and v2 layouts are read.
"""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.2
CGROUP_FOLDERS = (
    "/sys/fs/cgroup/memory/docker/{id}",  # v1, cgroupfs driver
    "/sys/fs/cgroup/memory/system.slice/docker-{id}.scope",  # v1, systemd driver
    "/sys/fs/cgroup/system.slice/docker-{id}.scope",  # v2, systemd driver
    "/sys/fs/cgroup/docker/{id}",  # v2, cgroupfs driver
)
MIB = 2**20
NO_LIMIT = 2**60  # cgroup v1 reports "no limit" as a huge number


@dataclass
class Peak:
    """What one container used at most (MiB), and the memory limit it ran under (None: no limit)."""

    container_id: str = ""
    peak_mb: float = 0.0
    cgroup_peak_mb: float = 0.0
    limit_mb: float | None = None
    samples: int = 0


def container_of_run(run_id: str) -> str:
    listed = subprocess.run(
        ["docker", "ps", "--quiet", "--no-trunc", "--filter", f"label=dagster/run_id={run_id}"],
        capture_output=True, text=True,
    )  # fmt: skip
    return listed.stdout.strip().split("\n")[0]


def cgroup_folder(container_id: str) -> Path | None:
    for pattern in CGROUP_FOLDERS:
        folder = Path(pattern.format(id=container_id))
        if folder.is_dir():
            return folder
    return None


def read_number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return None if text == "max" else int(text)


def working_set(folder: Path) -> int | None:
    """usage - inactive file cache, as docker stats computes it."""
    usage = read_number(folder / "memory.usage_in_bytes") or read_number(folder / "memory.current")
    try:
        stat = dict(line.split() for line in (folder / "memory.stat").read_text().splitlines())
    except OSError:
        return None
    if usage is None:
        return None
    return usage - int(stat.get("total_inactive_file", stat.get("inactive_file", 0)))


def sample_run(run_id: str, timeout: float = 900) -> Peak:
    """Wait for the run's container, then sample it until it is gone (or `timeout` seconds passed)."""
    peak = Peak()
    deadline = time.monotonic() + timeout
    folder = None
    while folder is None and time.monotonic() < deadline:
        peak.container_id = container_of_run(run_id)
        folder = cgroup_folder(peak.container_id) if peak.container_id else None
        if folder is None:
            time.sleep(SAMPLE_SECONDS)
    if folder is None:
        raise RuntimeError(f"no container (or no readable cgroup) for run {run_id} within {timeout} s")
    limit = read_number(folder / "memory.limit_in_bytes") or read_number(folder / "memory.max")
    peak.limit_mb = round(limit / MIB) if limit and limit < NO_LIMIT else None
    while time.monotonic() < deadline and (current := working_set(folder)) is not None:
        peak.peak_mb = max(peak.peak_mb, round(current / MIB, 1))
        high = read_number(folder / "memory.max_usage_in_bytes") or read_number(folder / "memory.peak")
        peak.cgroup_peak_mb = max(peak.cgroup_peak_mb, round((high or 0) / MIB, 1))
        peak.samples += 1
        time.sleep(SAMPLE_SECONDS)
    return peak
