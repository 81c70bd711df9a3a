"""Run containers, seen from Docker while a run executes: what they may do, and what they carry."""

import json
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import pytest

from bookshop.variables import VARIABLES
from support.stack import LOCATION, REPOSITORY, Stack, wait_for

# Tried inside the run's container while it runs.
PROBE = r"""
for field in CapEff CapPrm CapBnd; do grep "^$field:" /proc/self/status; done
for path in /opt/venv/probe /opt/dagster/probe /etc/probe /probe \
            /data/probe /opt/dagster/compute_logs/probe /tmp/probe; do
  if (echo x > "$path") 2>/dev/null; then rm -f "$path"; echo "$path written"; else echo "$path refused"; fi
done
"""
TERMINATE = """
mutation($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on UnauthorizedError { message }
    ... on TerminateRunFailure { message }
  }
}
"""
LAUNCH_WITH_CONFIG = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message }
  }
}
"""
RUN_VARIABLES = {variable.name for variable in VARIABLES if variable.run} | {"DAGSTER_RUN_JOB_NAME"}


@dataclass
class WatchedRun:
    inspected: dict[str, Any]
    image_env: set[str]
    probe: list[str]
    viewer_terminate: dict[str, Any]
    finished: dict[str, Any]


@pytest.fixture(scope="module")
def watched_run(stack: Stack) -> WatchedRun:
    """source_refresh, its container inspected and probed while it runs (it is removed after)."""
    launched = stack.launch_run("source_refresh")
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    def container() -> str:
        listed = subprocess.run(
            ["docker", "ps", "--quiet", "--no-trunc", "--filter", f"label=dagster/run_id={run_id}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return listed.stdout.strip()

    container_id = wait_for(container, 180, f"the container of run {run_id}", interval=0.2)
    inspected = json.loads(subprocess.run(["docker", "inspect", container_id], capture_output=True, check=True).stdout)[
        0
    ]
    probe = subprocess.run(
        ["docker", "exec", container_id, "sh", "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    terminate = stack.graphql_response(stack.readonly_port, TERMINATE, runId=run_id)["data"]["terminateRun"]
    image = json.loads(
        subprocess.run(
            ["docker", "image", "inspect", inspected["Config"]["Image"]], capture_output=True, check=True
        ).stdout
    )[0]
    image_env = {entry.split("=", 1)[0] for entry in image["Config"]["Env"]}
    return WatchedRun(inspected, image_env, probe, terminate, stack.wait_until_finished(run_id))


def test_a_run_container_has_no_capabilities(watched_run: WatchedRun):
    host = watched_run.inspected["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["PidsLimit"] == 256
    assert not host["Privileged"]
    assert watched_run.probe[:3] == [f"{field}:\t0000000000000000" for field in ("CapEff", "CapPrm", "CapBnd")]


def test_a_run_container_writes_only_to_its_volumes_and_tmp(watched_run: WatchedRun):
    assert watched_run.inspected["HostConfig"]["ReadonlyRootfs"] is True
    assert watched_run.probe[3:] == [
        "/opt/venv/probe refused",
        "/opt/dagster/probe refused",
        "/etc/probe refused",
        "/probe refused",
        "/data/probe written",
        "/opt/dagster/compute_logs/probe written",
        "/tmp/probe written",
    ]
    assert watched_run.finished["status"] == "SUCCESS", "the run itself needs nothing more"


def test_a_run_container_carries_no_secret_runs_do_not_use(stack: Stack, watched_run: WatchedRun):
    env = dict(entry.split("=", 1) for entry in watched_run.inspected["Config"]["Env"])
    assert set(env) - watched_run.image_env == RUN_VARIABLES
    unused = ("MYSQL_ROOT_PASSWORD", "POSTGRES_ADMIN_PASSWORD", "BOOKSHOP_OPERATOR_PASSWORD",
              "DAGSTER_POSTGRES_VIEWER_PASSWORD", "BOOKSHOP_ALERT_WEBHOOK_URL")  # fmt: skip
    everything = json.dumps(watched_run.inspected)
    for name in unused:
        assert stack.env[name] not in everything, name
    assert stack.viewer[1] not in everything
    assert not [m for m in watched_run.inspected["Mounts"] if "docker.sock" in m.get("Source", "")]
    assert "DOCKER_HOST" not in env


def test_a_viewer_cannot_terminate_a_run(watched_run: WatchedRun):
    refused = watched_run.viewer_terminate
    assert (refused["__typename"], refused["message"]) == (
        "TerminateRunFailure",
        "You do not have permission to terminate this run",
    )
    assert watched_run.finished["status"] == "SUCCESS"


def test_an_order_file_outside_the_incoming_folder_is_refused_and_nothing_moves(stack: Stack):
    target = "/data/exports/user_stats.csv"
    content = f"user_id,spend\n1,{time.time()}\n"
    stack.exec("user_code", f"cat > {target}", input=content)
    before = stack.exec("user_code", "find /data/incoming -type f | sort")
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": "ingest_order_file"}
    config = {"ops": {"load_order_file": {"config": {"file_name": "../exports/user_stats.csv"}}}}
    answer = stack.graphql(LAUNCH_WITH_CONFIG, params={"selector": selector, "runConfigData": config})["launchRun"]
    if answer["__typename"] == "LaunchRunSuccess":
        assert stack.wait_until_finished(answer["run"]["runId"])["status"] == "FAILURE"
    else:
        assert answer["__typename"] in ("RunConfigValidationInvalid", "PythonError"), answer
    assert stack.exec("user_code", f"cat {target}") == content
    assert stack.exec("user_code", "find /data/incoming -type f | sort") == before
