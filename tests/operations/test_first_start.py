"""A fresh install started with every schedule and sensor on, every schedule every minute: the
runs that start together in the first minutes all succeed. Every pool exists before the daemon
starts a run (the code server creates them before it serves), so no two runs race to create one.
`docker compose up` of this checkout serves the bookshop's code location alone."""

import re

import yaml

from operations.history import SCHEDULED_JOBS, failures, scheduled_jobs
from support.location import ASSETS
from support.stack import Stack

# Every asset is in a pool of its own name.
POOLS = ASSETS
# A line of `dagster instance concurrency get --all`: a pool of one slot.
LIMIT = re.compile(r'^"(?P<pool>\w+)": \d+ / 1 slots occupied$', re.MULTILINE)


def test_the_code_location_creates_every_pool_on_a_fresh_install(stack: Stack):
    logged = stack.compose("logs", "--no-color", "user_code").stdout
    assert {pool for pool in POOLS if f"Created pool {pool} with 1 slot(s)." in logged} == POOLS, logged
    # `docker compose exec` skips the image's entrypoint, which exports the instance's password.
    limits = stack.exec("webserver", "export-passwords.sh dagster instance concurrency get --all")
    assert {match[1] for match in LIMIT.finditer(limits)} >= POOLS, limits


def test_the_default_workspace_is_the_bookshop_code_location_alone(stack: Stack):
    workspace = yaml.safe_load(stack.exec("daemon", "cat /opt/dagster/workspace/workspace.yaml"))
    assert workspace == {
        "load_from": [{"grpc_server": {"host": "user_code", "port": 4000, "location_name": "bookshop"}}]
    }


def test_a_first_start_with_everything_on_ends_with_no_failed_run(stack: Stack, first_start: list[dict]):
    assert scheduled_jobs(first_start) >= SCHEDULED_JOBS
    failed = {
        run["runId"]: (run["jobName"], run["status"], failures(stack, run["runId"]))
        for run in first_start
        if run["status"] != "SUCCESS"
    }
    assert not failed, failed
