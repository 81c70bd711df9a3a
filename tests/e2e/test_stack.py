"""The deployment end to end, through the GraphQL API of a stack built from this tree.

The tests share one stack (see conftest.py) but not its state: each sets up what it needs,
puts back what it turned on, and passes alone or in any order.
"""

import dataclasses
import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from support.location import ASSETS, RUNS_QUERY
from support.shop_figures import assert_exports_hold_the_figures, stack_figures
from support.stack import (
    LOCATION,
    SERVICES,
    Stack,
    docker_time,
    run_container_ids,
    wait_for,
)
from support.switches import instigator_states, instigators, set_schedule, set_sensor

JOBS = {"daily_refresh", "source_refresh", "analytics_refresh", "weekend_batch", "ingest_order_file", "retention"}
SCHEDULES = {
    "daily_refresh_schedule": "* * * * *",  # retimed by the test environment
    "source_refresh_schedule": "0 */6 * * *",
    "analytics_refresh_schedule": "0 * * * *",
    "business_hours_analytics": "0 9-17 * * 1-5",
    "weekend_processing": "0 0 * * 0,6",
    "retention_schedule": "30 3 * * *",
}
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
IN_PROGRESS = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]

LOCATION_QUERY = """
query {
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation {
            repositories {
              name
              jobs { name }
              assetNodes { assetKey { path } groupName }
            }
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""
RUN_EVENTS_QUERY = """
query($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message }
        ... on LogsCapturedEvent { fileKey }
        ... on ExecutionStepFailureEvent { error { message } }
      }
    }
    ... on PythonError { message }
  }
}
"""
CAPTURED_LOGS_QUERY = "query($key: [String!]!) { capturedLogs(logKey: $key) { stdout stderr } }"


# ---- helpers ---------------------------------------------------------------------------------
def runs(stack: Stack, **run_filter) -> list[dict]:
    result = stack.graphql(RUNS_QUERY, filter=run_filter)["runsOrError"]
    assert "results" in result, result
    return result["results"]


def tags_of(run: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def wait_until_finished(stack: Stack, run_id: str, timeout: float = 300) -> dict:
    def finished():
        [run] = runs(stack, runIds=[run_id])
        return run if run["status"] in FINISHED else None

    return wait_for(finished, timeout, f"run {run_id} to finish")


def run_events(stack: Stack, run_id: str) -> list[dict]:
    result = stack.graphql(RUN_EVENTS_QUERY, runId=run_id)["logsForRun"]
    assert "events" in result, result
    return result["events"]


def drop_file(stack: Stack, name: str, content: str) -> None:
    """Write under a hidden name, then rename: the sensor never sees half a file."""
    stack.exec(
        "user_code",
        f"cat > /data/incoming/.{name}.part && mv /data/incoming/.{name}.part /data/incoming/{name}",
        content,
    )


def files_in(stack: Stack, folder: str) -> set[str]:
    return set(stack.exec("user_code", f"ls -1 {folder} 2>/dev/null || true").split())


def wait_until_idle(stack: Stack, timeout: float = 300) -> None:
    wait_for(lambda: not runs(stack, statuses=IN_PROGRESS), timeout, "no run queued or in progress")


# ---- the steps -------------------------------------------------------------------------------
def test_all_services_are_healthy_and_only_the_login_proxy_is_published(stack: Stack):
    # The harness waited for the daemon's heartbeats; Docker does not check the daemon (it stops
    # itself when one of its threads dies, and Docker starts it again).
    def all_healthy():
        services = stack.services()
        checked = set(SERVICES) - {"daemon"}
        return services if all(services[name].get("Health") == "healthy" for name in checked) else None

    services = wait_for(all_healthy, 120, "Docker to report every service healthy")
    assert services["daemon"]["State"] == "running" and not services["daemon"].get("Health"), services["daemon"]
    assert services["migrate"]["State"] == "exited" and services["migrate"]["ExitCode"] == 0
    published = {
        name: {(p["URL"], p["PublishedPort"]) for p in row.get("Publishers") or [] if p.get("PublishedPort")}
        for name, row in services.items()
    }
    assert published["proxy"] == {("127.0.0.1", stack.webserver_port), ("127.0.0.1", stack.readonly_port)}
    unpublished = set(SERVICES) - {"proxy", "mysql"} | {"webhook_receiver"}
    assert {name for name in unpublished if published[name]} == set()
    # MySQL only through the test overlay, on an ephemeral loopback port, never the host's 3306.
    [(mysql_host, mysql_port)] = published["mysql"]
    assert mysql_host == "127.0.0.1" and mysql_port != 3306


def test_each_service_started_after_what_it_waits_for(stack: Stack):
    """The start order of compose's depends_on, as `docker compose up` followed it."""
    names = ("migrate", "user_code", *DAGSTER_SERVICES, "proxy", "exporter")
    states = {name: inspect_state(stack, name) for name in names}
    migrated = states["migrate"]["FinishedAt"]
    for name in DAGSTER_SERVICES:
        assert migrated < states[name]["StartedAt"], (name, states)
    for name in ("webserver", "webserver_readonly"):
        assert states[name]["StartedAt"] < states["proxy"]["StartedAt"], (name, states)
    # The exporter reads the read-only webserver, and starts after it: the UI starts first.
    assert states["webserver_readonly"]["StartedAt"] < states["exporter"]["StartedAt"], states
    # The code servers do not wait for migrate, nor the webservers for them: each location loads
    # as soon as its code server serves.
    assert states["user_code"]["StartedAt"] < migrated, states


DAGSTER_SERVICES = ("webserver", "webserver_readonly", "daemon")


def inspect_state(stack: Stack, service: str) -> dict[str, datetime]:
    """When the service's container started and (for a one-shot) finished."""
    container = stack.compose("ps", "--all", "--quiet", service).stdout.strip()
    inspected = subprocess.run(
        ["docker", "inspect", "--format", "{{json .State}}", container], capture_output=True, text=True, check=True
    )
    state = json.loads(inspected.stdout)
    return {key: docker_time(state[key]) for key in ("StartedAt", "FinishedAt")}


def test_code_location_is_loaded_with_every_definition(stack: Stack):
    entries = stack.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
    [entry] = [each for each in entries if each["name"] == LOCATION]
    location = entry["locationOrLoadError"]
    assert (entry["name"], entry["loadStatus"], location["__typename"]) == (LOCATION, "LOADED", "RepositoryLocation")
    [repository] = location["repositories"]
    assets = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
    jobs = {job["name"] for job in repository["jobs"]}
    assert assets >= ASSETS
    assert jobs >= JOBS

    definitions = instigators(stack)
    assert {s["name"]: s["cronSchedule"] for s in definitions["schedules"]} == SCHEDULES
    sensors = {s["name"]: s["sensorType"] for s in definitions["sensors"]}
    assert sensors["incoming_orders_sensor"] == sensors["mysql_orders_changed_sensor"] == "STANDARD"
    # The refresh after a landing follows incoming_orders' materializations.
    assert sensors["landed_orders_sensor"] == "ASSET"
    # Plus the automation condition sensor and the run failure alert sensor (a standard sensor
    # that keeps the alerts it owes in its cursor).
    assert sensors["run_failure_alert_sensor"] == "STANDARD"
    assert sorted(sensors.values()) == ["ASSET", "AUTO_MATERIALIZE", "STANDARD", "STANDARD", "STANDARD"]
    # Nothing was turned on by the deployment: BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING is false.
    assert {s["scheduleState"]["status"] for s in definitions["schedules"]} == {"STOPPED"}


def test_daily_refresh_succeeds_in_its_own_container_with_the_figures_sql_computes(
    stack: Stack, run_container_events: Path
):
    run_id = stack.client().submit_job_execution("daily_refresh", repository_location_name=LOCATION)
    run = wait_until_finished(stack, run_id, timeout=420)
    assert run["status"] == "SUCCESS", [e.get("message") for e in run_events(stack, run_id)][-20:]

    # Its own container: a different one from the code server, from the user code image...
    container = tags_of(run)["docker/container_id"]
    code_server = stack.compose("ps", "--quiet", "--no-trunc", "user_code").stdout.strip()
    assert container and code_server and container != code_server
    assert tags_of(run)["dagster/image"] == f"bookshop-user-code:{stack.env['BOOKSHOP_IMAGE_TAG']}"
    # ...that Docker started for this run and removed once it finished.
    actions = wait_for(
        lambda: (
            (found := container_actions(run_container_events, run_id)).get(container, [])[-1:] == ["destroy"] and found
        ),
        60,
        f"the container of run {run_id} to be removed",
    )
    assert list(actions) == [container]
    assert actions[container][:2] == ["create", "start"]
    assert not subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"label=dagster/run_id={run_id}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip

    # The step's output is in the compute-log volume, readable through the webserver (the UI).
    file_keys = [e["fileKey"] for e in run_events(stack, run_id) if e["__typename"] == "LogsCapturedEvent"]
    assert file_keys
    logs = stack.graphql(CAPTURED_LOGS_QUERY, key=[run_id, "compute_logs", file_keys[0]])["capturedLogs"]
    assert "STEP_START" in logs["stderr"]

    # The exports hold the figures computed a second way, in SQL on the MySQL source.
    figures = stack_figures(stack)
    assert_exports_hold_the_figures(lambda name: stack.exec("user_code", f"cat /data/exports/{name}"), figures)


@pytest.fixture
def run_container_events(tmp_path) -> Iterator[Path]:
    """Docker's events for run containers, written to a file while the test runs: asked afterwards,
    a busy engine may have dropped them already (it keeps only a short backlog)."""
    path = tmp_path / "events.jsonl"
    with path.open("w") as log:
        recorder = subprocess.Popen(
            ["docker", "events", "--filter", "type=container", "--filter", "label=dagster/run_id",
             "--format", "{{json .}}"],
            stdout=log,
        )  # fmt: skip
    try:
        yield path
    finally:
        recorder.terminate()
        recorder.wait(10)


def container_actions(events: Path, run_id: str) -> dict[str, list[str]]:
    """The actions Docker recorded for the containers labelled with this run, by container id."""
    actions: dict[str, list[str]] = {}
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event["Actor"]["Attributes"].get("dagster/run_id") == run_id:
            actions.setdefault(event["id"], []).append(event["Action"])
    return actions


def test_a_run_whose_container_dies_is_marked_failed_and_retried(stack: Stack):
    run_id = stack.client().submit_job_execution("daily_refresh", repository_location_name=LOCATION)
    [run] = wait_for(
        lambda: [r for r in runs(stack, runIds=[run_id]) if r["status"] in {"STARTED", *FINISHED}],
        120,
        f"run {run_id} to start",
        interval=0.5,
    )
    assert run["status"] == "STARTED"
    subprocess.run(["docker", "kill", tags_of(run)["docker/container_id"]], capture_output=True, check=True)

    # Run monitoring notices the vanished container (auto-removed) and fails the run...
    assert wait_until_finished(stack, run_id, timeout=150)["status"] == "FAILURE"
    # ...and run retries start it again in a new container, which succeeds.
    [retry] = wait_for(
        lambda: runs(stack, tags=[{"key": "dagster/parent_run_id", "value": run_id}]), 120, f"a retry of run {run_id}"
    )
    assert wait_until_finished(stack, retry["runId"], timeout=420)["status"] == "SUCCESS"


def test_a_schedule_turned_on_through_the_api_is_fired_by_the_daemon(stack: Stack):
    set_schedule(stack, "daily_refresh_schedule", running=True)
    try:
        # The cron is every minute: the daemon's first tick after the turn of the minute fires it.
        scheduled = wait_for(
            lambda: runs(stack, tags=[{"key": "dagster/schedule_name", "value": "daily_refresh_schedule"}]),
            150,
            "a run of daily_refresh_schedule",
        )
        first = scheduled[-1]
        assert first["jobName"] == "daily_refresh"
        assert wait_until_finished(stack, first["runId"], timeout=420)["status"] == "SUCCESS"
    finally:
        # Turned off once its tick is over: the daemon writes the schedule's state back at the end
        # of a tick, so a stop in the same instant can be overwritten.
        set_schedule(stack, "daily_refresh_schedule", running=False)
    assert instigator_states(instigators(stack))["schedule:daily_refresh_schedule"] == "STOPPED"


def test_dropped_order_files_are_loaded_or_rejected(stack: Stack):
    set_sensor(stack, "incoming_orders_sensor", running=True)
    try:
        good, again, bad = "e2e_orders_good.csv", "e2e_orders_again.csv", "e2e_orders_bad.csv"
        orders = (
            "order_id,user_id,book_id,quantity,unit_price,created_at\n"
            "900001,1,1,2,12.50,2026-01-05T10:00:00Z\n"
            "900002,2,3,1,7.99,2026-01-05T11:30:00Z\n"
        )
        drop_file(stack, good, orders)
        drop_file(stack, again, orders)
        drop_file(
            stack, bad, "order_id,user_id,book_id,quantity,unit_price,created_at\n900003,1,1,two,12.50,yesterday\n"
        )

        def settled():
            waiting = files_in(stack, "/data/incoming") & {good, again, bad}
            claimed = stack.exec("user_code", "find /data/incoming/claimed -type f 2>/dev/null || true").split()
            busy = runs(stack, pipelineName="ingest_order_file", statuses=IN_PROGRESS)
            return not waiting and not claimed and not busy and runs(stack, pipelineName="ingest_order_file")

        ingest_runs = wait_for(settled, 240, "the dropped files to be loaded or rejected")

        processed, rejected = files_in(stack, "/data/incoming/processed"), files_in(stack, "/data/incoming/rejected")
        assert {good, again} <= processed
        assert {bad, f"{bad}.reason.txt"} <= rejected and bad not in processed
        reason = stack.exec("user_code", f"cat /data/incoming/rejected/{bad}.reason.txt")
        assert "e2e_orders_bad.csv: row 2, column quantity: 'two' is not a whole number" in reason
        # The same content twice lands once: the second file is a duplicate, with a note saying so.
        [duplicate] = {f"{good}.reason.txt", f"{again}.reason.txt"} & processed
        assert "a duplicate" in stack.exec("user_code", f"cat /data/incoming/processed/{duplicate}")

        # The batch with the bad file ends FAILURE once the others are done, naming the file and problem.
        statuses = {run["status"] for run in ingest_runs}
        assert "FAILURE" in statuses and statuses <= FINISHED
        events = [event for run in ingest_runs for event in run_events(stack, run["runId"])]
        failures = [e["error"]["message"] for e in events if e.get("error")]
        assert any(bad in message and "quantity" in message for message in failures), failures
        assert any(
            f"Landed 2 order(s) from {good}" in e.get("message", "")
            or f"Landed 2 order(s) from {again}" in e.get("message", "")
            for e in events
        )

        parquet = f"/data/storage/incoming_orders/{hashlib.sha256(orders.encode()).hexdigest()}.parquet"
        # os._exit once the answer is printed: pyarrow's threads once aborted this interpreter at exit
        # ("terminate called without an active exception", exit 134) after a correct answer.
        landed = stack.exec(
            "user_code",
            f'python -c \'import os, sys, glob, pandas; f = pandas.read_parquet("{parquet}"); '
            'print(f[["order_id", "quantity", "unit_price_cents"]].to_json(orient="values")); '
            'print(len(glob.glob("/data/storage/incoming_orders/*.parquet"))); '
            "sys.stdout.flush(); os._exit(0)'",
        )
        rows, files = landed.split()
        assert json.loads(rows) == [[900001, 2, 1250], [900002, 1, 799]]
        assert files == "1"
    finally:
        set_sensor(stack, "incoming_orders_sensor", running=False)


def test_run_history_and_schedule_states_survive_down_and_up(stack: Stack, operator_runs):
    # The background runs of conftest.py must be over before the stack goes down.
    operator_runs.result(timeout=600)
    launched = stack.launch_run("source_refresh")
    assert launched["__typename"] == "LaunchRunSuccess", launched
    own_run = stack.wait_until_finished(launched["run"]["runId"])
    # A mix of states that differ from the defaults: one schedule and one sensor on, the rest off.
    set_schedule(stack, "source_refresh_schedule", running=True)
    set_sensor(stack, "mysql_orders_changed_sensor", running=True)
    try:
        wait_until_idle(stack)
        history = {run["runId"]: run["status"] for run in runs(stack)}
        states = instigator_states(instigators(stack))
        assert history[own_run["runId"]] == "SUCCESS"
        assert states["schedule:source_refresh_schedule"] == "RUNNING"
        assert states["sensor:mysql_orders_changed_sensor"] == "RUNNING"
        assert states["schedule:daily_refresh_schedule"] == "STOPPED"

        # `down` during a run: nothing of the stack is left running, its run container neither.
        interrupted = stack.launch_run("source_refresh")["run"]["runId"]
        wait_for(lambda: run_container_ids(interrupted), 180, f"the container of run {interrupted}", interval=0.5)
        stack.compose("down", timeout=300)  # volumes kept
        assert not stack.compose("ps", "--all", "--quiet").stdout.strip()
        assert run_container_ids(interrupted) == []
        started = time.monotonic()
        stack.up()
        stack.timings["second up until all healthy"] = time.monotonic() - started

        after = {run["runId"]: run["status"] for run in runs(stack)}
        assert {run_id: after.get(run_id) for run_id in history} == history
        assert instigator_states(instigators(stack)) == states
        entries = stack.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        assert {entry["loadStatus"] for entry in entries} == {"LOADED"}
        assert stack.wait_until_finished(interrupted)["status"] == "FAILURE"
    finally:
        set_schedule(stack, "source_refresh_schedule", running=False)
        set_sensor(stack, "mysql_orders_changed_sensor", running=False)
        wait_until_idle(stack)


def test_down_with_volumes_removes_every_container_volume_and_network(stack: Stack):
    """On a project of its own from the same files, so the stack the other tests use stays up."""
    removed = dataclasses.replace(stack, project=f"{stack.project}-removal")
    try:
        removed.compose("create")  # every service's container, the network and every volume
        removed.compose("up", "--detach", "--wait", "postgres")  # one of them written to
        assert left(removed, "container") and left(removed, "volume") and left(removed, "network")
    finally:
        removed.compose("down", "--volumes", "--remove-orphans", timeout=300)

    assert left(removed, "container") == left(removed, "volume") == left(removed, "network") == []


def left(stack: Stack, kind: str) -> list[str]:
    """What Docker still holds of a compose project: containers, volumes or networks, by id."""
    everything = ["--all"] if kind == "container" else []
    label = f"label=com.docker.compose.project={stack.project}"
    listed = subprocess.run(
        ["docker", kind, "ls", "--quiet", *everything, "--filter", label],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()
