"""Run containers, seen from Docker while a run executes: what they may do, and what they carry."""

import json
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import pytest

from support.stack import LAUNCH_RUN, LOCATION, REPOSITORY, TERMINATE_RUN, Stack, running_run_container

# Tried inside the run's container while it runs.
PROBE = r"""
for field in CapEff CapPrm CapBnd; do grep "^$field:" /proc/self/status; done
for path in /opt/venv/probe /opt/dagster/probe /etc/probe /probe \
            /data/probe /opt/dagster/compute_logs/probe /tmp/probe; do
  if (echo x > "$path") 2>/dev/null; then rm -f "$path"; echo "$path written"; else echo "$path refused"; fi
done
"""
# Tried from a container like the run's: a TCP connection to each host:port of argv, all at once
# (a name lookup or a connection that fails takes seconds each).
REACH = """
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
def reach(target):
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        return "reached"
    except socket.gaierror:
        return "no such name"
    except OSError:
        return "unreachable"
targets = sys.argv[1:]
with ThreadPoolExecutor(len(targets)) as pool:
    print(json.dumps(dict(zip(targets, pool.map(reach, targets)))))
"""
# What a run needs, and the stack's services it must not reach, by name.
NEEDED = ("postgres:5432", "mysql:3306")
NOT_NEEDED = (
    "webserver:3000", "webserver_readonly:3000", "user_code:4000", "proxy:3000", "proxy:3001",
    "docker_api_daemon:2375", "docker_api_webserver:2375", "webhook_receiver:8080",
)  # fmt: skip
# What a run container gets: Dagster's instance settings, its job, and what its code location's
# code server has (code_locations/code-location.yaml and bookshop.yaml) but the variables the code
# server keeps to itself. The MySQL reader's password is read from the bookshop's password volume.
RUN_VARIABLES = {
    *("DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_PORT", "DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_PASSWORD"),
    *("DAGSTER_POSTGRES_DB", "DAGSTER_MAX_CONCURRENT_RUNS", "DAGSTER_DEQUEUE_INTERVAL_SECONDS"),
    *("DAGSTER_RUN_NETWORK", "DAGSTER_RUN_VOLUMES", "DAGSTER_RUN_JOB_NAME"),
    *("DAGSTER_GRPC_HOST", "DAGSTER_GRPC_PORT", "CODE_LOCATION_MODULE"),
    *("BOOKSHOP_MYSQL_HOST", "BOOKSHOP_MYSQL_PORT", "BOOKSHOP_MYSQL_DATABASE", "BOOKSHOP_MYSQL_USER"),
    *("BOOKSHOP_STORAGE_PATH", "BOOKSHOP_EXPORTS_PATH", "BOOKSHOP_INCOMING_PATH"),
    *("BOOKSHOP_INCOMING_MAX_FILES_PER_RUN", "BOOKSHOP_INCOMING_MAX_BYTES_PER_RUN"),
    *("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"),
    *("BOOKSHOP_TIMEZONE", "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING", "BOOKSHOP_RETENTION_DAYS"),
    *("DAILY_REFRESH_SCHEDULE_CRON", "SOURCE_REFRESH_SCHEDULE_CRON", "ANALYTICS_REFRESH_SCHEDULE_CRON"),
    *("BUSINESS_HOURS_ANALYTICS_CRON", "WEEKEND_PROCESSING_CRON", "RETENTION_SCHEDULE_CRON"),
}


@dataclass
class WatchedRun:
    inspected: dict[str, Any]
    image_env: set[str]
    probe: list[str]
    reach: dict[str, str]
    # The same services by address (and the host, by the stack network's gateway), as "name:port".
    addresses: dict[str, str]
    viewer_terminate: dict[str, Any]
    finished: dict[str, Any]


@pytest.fixture(scope="module")
def watched_run(stack: Stack) -> WatchedRun:
    """source_refresh, its container inspected and probed while it runs (it is removed after)."""
    launched = stack.launch_run("source_refresh")
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    inspected = running_run_container(run_id)
    probe = subprocess.run(
        ["docker", "exec", inspected["Id"], "sh", "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    # From a container like the run's (its image, network and hardening), which outlives the run.
    addresses = service_addresses(stack)
    host = inspected["HostConfig"]
    reached = subprocess.run(
        ["docker", "run", "--rm", "-i", "--network", host["NetworkMode"], "--cap-drop", "ALL", "--read-only",
         "--security-opt", "no-new-privileges:true", inspected["Config"]["Image"],
         "python", "-", *NEEDED, *NOT_NEEDED, *addresses],
        input=REACH, capture_output=True, text=True, check=True, timeout=180,
    ).stdout  # fmt: skip
    terminate = stack.graphql_response(stack.readonly_port, TERMINATE_RUN, runId=run_id)["data"]["terminateRun"]
    image = json.loads(
        subprocess.run(
            ["docker", "image", "inspect", inspected["Config"]["Image"]], capture_output=True, check=True
        ).stdout
    )[0]
    image_env = {entry.split("=", 1)[0] for entry in image["Config"]["Env"]}
    return WatchedRun(
        inspected, image_env, probe, json.loads(reached), addresses, terminate, stack.wait_until_finished(run_id)
    )


def service_addresses(stack: Stack) -> dict[str, str]:
    """Each service's address on the stack's default network (and its gateway, the host), by "ip:port"."""
    ports = {"webserver": 3000, "user_code": 4000, "proxy": 3000, "webhook_receiver": 8080}
    addresses = {}
    for service, port in ports.items():
        inspected = subprocess.run(
            ["docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", stack.container_id(service)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        default = json.loads(inspected)[f"{stack.project}_default"]
        addresses[f"{default['IPAddress']}:{port}"] = service
    addresses[f"{default['Gateway']}:{stack.webserver_port}"] = "the host"
    return addresses


def test_a_run_container_reaches_the_databases_and_nothing_else(stack: Stack, watched_run: WatchedRun):
    assert list(watched_run.inspected["NetworkSettings"]["Networks"]) == [f"{stack.project}_runs"]
    assert {target: watched_run.reach[target] for target in NEEDED} == dict.fromkeys(NEEDED, "reached")
    assert {target: watched_run.reach[target] for target in NOT_NEEDED} == dict.fromkeys(NOT_NEEDED, "no such name")
    by_address = {f"{watched_run.addresses[target]} at {target}": watched_run.reach[target]
                  for target in watched_run.addresses}  # fmt: skip
    assert by_address == dict.fromkeys(by_address, "unreachable")


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
    answer = stack.graphql(LAUNCH_RUN, params={"selector": selector, "runConfigData": config})["launchRun"]
    if answer["__typename"] == "LaunchRunSuccess":
        assert stack.wait_until_finished(answer["run"]["runId"])["status"] == "FAILURE"
    else:
        assert answer["__typename"] in ("RunConfigValidationInvalid", "PythonError"), answer
    assert stack.exec("user_code", f"cat {target}") == content
    assert stack.exec("user_code", "find /data/incoming -type f | sort") == before
