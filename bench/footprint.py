"""What the deployment costs at rest: memory of each container after an idle spell, and its images."""

import json
import subprocess
from typing import Any

from support.stack import IMAGE_TAG, Stack

BASE_IMAGE = "python:3.11-slim"  # both project images start FROM it
MIB_PER = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}  # docker stats uses binary units
# Present in an image only if something to build or fetch packages was left in it.
BUILD_LEFTOVERS = (
    "for tool in gcc cc g++ make git; do command -v $tool; done; "
    "for dir in /root/.cache/pip /opt/dagster/.cache /var/cache/apt/archives /var/lib/apt/lists; do "
    '[ -n "$(ls -A $dir 2>/dev/null | grep -v -x -e partial -e lock -e auxfiles)" ] '
    "&& echo $dir:$(du -sk $dir | cut -f1)kB; done; true"
)


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


def build_leftovers(image: str) -> list[str]:
    return subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", "--user", "0", image, "-c", BUILD_LEFTOVERS],
        capture_output=True, text=True,
    ).stdout.split()  # fmt: skip


def images(stack: Stack) -> dict[str, Any]:
    """Image sizes, and what the project's own layers left behind that its base image does not hold."""
    sizes, leftovers = {}, {}
    in_base = set(build_leftovers(BASE_IMAGE))
    for image in sorted(set(stack.compose("config", "--images").stdout.split())):
        size = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Size}}", image], capture_output=True, text=True, check=True
        ).stdout
        sizes[image] = round(int(size) / 1e6)
        if image.endswith(f":{IMAGE_TAG}"):  # the public images (MySQL, Postgres) are not ours to trim
            leftovers[image] = [found for found in build_leftovers(image) if found not in in_base]
    return {"image_mb": sizes, "image_build_leftovers": leftovers, "base_image_leftovers": sorted(in_base)}
