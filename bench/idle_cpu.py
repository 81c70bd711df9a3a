"""The machine's CPU while a stack rests: everything the host spends on it, Docker's own work included.

Read host-wide from /proc/stat, so that dockerd, containerd, the shims and runc (which run every
health check) count beside the containers' processes. Each stack is measured alone, after a spell
to settle, and the bare machine (both stacks stopped) beside them; the figures are percent of one core.
"""

import os
import time

from support.stack import Stack

# /proc/stat's `cpu` line: user nice system idle iowait irq softirq steal (guest time is in user).
IDLE_FIELDS = (3, 4)


def jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:9]]
    idle = sum(fields[index] for index in IDLE_FIELDS)
    return sum(fields) - idle, sum(fields)


def percent_of_one_core(seconds: float) -> float:
    """The whole machine's busy CPU over `seconds`, as percent of one core."""
    busy_before, total_before = jiffies()
    time.sleep(seconds)
    busy_after, total_after = jiffies()
    return round(100 * (os.cpu_count() or 1) * (busy_after - busy_before) / (total_after - total_before), 1)


def at_rest(stack: Stack, settle_seconds: float, seconds: float) -> float:
    """The machine's CPU with `stack` started and left alone (every other stack already stopped)."""
    stack.compose("up", "--detach", "--wait")
    time.sleep(settle_seconds)
    return percent_of_one_core(seconds)


def measure(ours: Stack, reference: Stack, settle_seconds: float, seconds: float) -> dict[str, float]:
    """Each stack alone at rest, then the bare machine; both stacks are started again at the end."""
    reference.compose("stop")
    ours_percent = at_rest(ours, settle_seconds, seconds)
    ours.compose("stop")
    reference_percent = at_rest(reference, settle_seconds, seconds)
    reference.compose("stop")
    bare = percent_of_one_core(seconds)
    for stack in (ours, reference):
        stack.compose("up", "--detach", "--wait")
    return {
        "ours_percent_of_a_core": ours_percent,
        "reference_percent_of_a_core": reference_percent,
        "bare_machine_percent_of_a_core": bare,
        "ratio": round(ours_percent / reference_percent, 2) if reference_percent else float("nan"),
        "settle_seconds": settle_seconds,
        "seconds": seconds,
    }
