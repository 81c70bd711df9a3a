"""What the deployment's containers hold in memory, as `docker stats` shows it."""

import json
import subprocess

from support.stack import Stack

MIB_PER = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}  # docker stats uses binary units


def mebibytes(usage: str) -> float:
    """'113.4MiB / 23.4GiB' (docker stats) -> 113.4"""
    amount = usage.split("/")[0].strip()
    for unit in sorted(MIB_PER, key=len, reverse=True):
        if amount.endswith(unit):
            return round(float(amount[: -len(unit)]) * MIB_PER[unit], 1)
    raise ValueError(f"unknown memory figure {usage!r}")


def running(stack: Stack) -> dict[str, str]:
    """Running service name -> container id."""
    return {name: row["ID"] for name, row in stack.services().items() if row["State"] == "running"}


def memory(*stacks: Stack) -> list[dict[str, float]]:
    """MiB of each running service of each stack, read in one `docker stats` call."""
    containers = [running(stack) for stack in stacks]
    ids = [container for services in containers for container in services.values()]
    listed = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{json .}}", *ids], capture_output=True, text=True, check=True
    ).stdout
    usage = {row["ID"]: mebibytes(row["MemUsage"]) for row in map(json.loads, listed.splitlines())}
    return [
        {service: usage[container[:12]] for service, container in sorted(services.items())} for services in containers
    ]


# Not part of the deployment: the test overlay's webhook receiver.
NOT_DEPLOYMENT = {"webhook_receiver"}


def whole_stack(memory: dict[str, float]) -> float:
    """MiB of every service of the deployment, of one stack's figures from `memory`."""
    return round(sum(mib for service, mib in memory.items() if service not in NOT_DEPLOYMENT), 1)
