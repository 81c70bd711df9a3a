"""Hangs and database restarts: a run stuck on a MySQL that stopped answering is failed within its
maximum run time, and a restart of Postgres (or MySQL) costs the operator no failed action."""

import subprocess
from typing import Any

from support.stack import REPOSITORY_SELECTOR, START_SCHEDULE, START_SENSOR, STOP_SCHEDULE, STOP_SENSOR, Stack, wait_for

# The run's own bound (the tag overrides run_monitoring.max_runtime_seconds of dagster.yaml). The
# daemon looks every run_monitoring.poll_interval_seconds (30) and Docker stops the container
# within its stop timeout (10 s): the run is failed within BOUND + 30 + 10 s of its start, plus a
# few seconds of writes to the instance (20 allowed, for a loaded machine).
BOUND = 20
DETECTION = 30 + 10 + 20


def launch(stack: Stack, job: str, tags: dict[str, str] | None = None) -> str:
    launched = stack.launch_run(job, tags=tags)
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def wait_healthy(stack: Stack, service: str) -> None:
    """Until Docker reports the restarted (or unpaused, and so far unhealthy) service healthy again.
    (`docker compose up --wait` gives up on a container that is unhealthy at the moment.)"""
    container = stack.container_id(service)

    def healthy() -> bool:
        inspected = ["docker", "inspect", "--format", "{{.State.Health.Status}}", container]
        return subprocess.run(inspected, capture_output=True, text=True).stdout.strip() == "healthy"

    wait_for(healthy, 180, f"{service} to be healthy", interval=0.5)


RUN_EVENTS = """
query($runId: ID!) {
  logsForRun(runId: $runId) { ... on EventConnection { events { __typename ... on MessageEvent { message } } } }
}
"""


def run_events(stack: Stack, run_id: str) -> list[tuple[str, str]]:
    events = stack.graphql(RUN_EVENTS, runId=run_id)["logsForRun"]["events"]
    return [(event["__typename"], event.get("message", "")) for event in events]


def test_a_run_hung_on_a_paused_mysql_fails_within_its_bound_and_frees_its_slot(stack: Stack):
    run_id = launch(stack, "source_refresh", tags={"dagster/max_runtime": str(BOUND)})

    # The run worker, told to stop, writes the run canceled; the daemon then writes it failed,
    # once the container is gone: Canceled is seen for a few seconds before Failure.
    def failed() -> dict[str, Any] | None:
        run = stack.run(run_id)
        return run if run["status"] == "FAILURE" else None

    stack.compose("pause", "mysql")
    try:
        run = wait_for(failed, 300 + BOUND + DETECTION, f"run {run_id} to be failed")
    finally:
        stack.compose("unpause", "mysql")

    events = run_events(stack, run_id)
    assert ("RunCancelingEvent", f"Canceling due to exceeding maximum runtime of {BOUND} seconds.") in events
    assert ("RunFailureEvent", f"Exceeded maximum runtime of {BOUND} seconds.") in events
    assert BOUND <= run["endTime"] - run["startTime"] <= BOUND + DETECTION, (run, events)
    alerts = wait_for(lambda: [a for a in stack.alerts() if a["run_id"] == run_id], 180, f"the alert for {run_id}")
    assert "Exceeded maximum runtime" in alerts[0]["error"]
    # Its slot is free and MySQL answers again: the next run of the same job succeeds.
    wait_healthy(stack, "mysql")
    assert stack.wait_until_finished(launch(stack, "source_refresh"))["status"] == "SUCCESS"


def operator_actions(stack: Stack) -> list[tuple[str, dict[str, Any]]]:
    """What an operator does first after a restart: launch, start and stop a schedule, start a sensor."""
    answers: list[tuple[str, dict[str, Any]]] = []

    def act(name: str, query: str, **variables: Any) -> dict[str, Any]:
        answer = stack.graphql_response(stack.webserver_port, query, **variables)
        answers.append((name, answer))
        return answer

    answers.append(("launchRun", {"data": {"launchRun": stack.launch_run("source_refresh")}}))
    started = act(
        "startSchedule", START_SCHEDULE, selector={**REPOSITORY_SELECTOR, "scheduleName": "weekend_processing"}
    )
    schedule_id = (started.get("data") or {}).get("startSchedule", {}).get("scheduleState", {}).get("id", "")
    act("stopRunningSchedule", STOP_SCHEDULE, id=schedule_id)
    sensor = act(
        "startSensor", START_SENSOR, selector={**REPOSITORY_SELECTOR, "sensorName": "mysql_orders_changed_sensor"}
    )
    sensor_id = (sensor.get("data") or {}).get("startSensor", {}).get("sensorState", {}).get("id", "")
    act("stopSensor", STOP_SENSOR, id=sensor_id)
    return answers


def failures(answers: list[tuple[str, dict[str, Any]]]) -> list[str]:
    failed = []
    for name, answer in answers:
        result = (answer.get("data") or {}).get(name) or {}
        if answer.get("errors") or result.get("__typename") in (None, "PythonError", "UnauthorizedError"):
            failed.append(f"{name}: {answer}")
    return failed


def test_the_first_operator_actions_after_a_postgres_restart_succeed(stack: Stack):
    for _ in range(3):
        # The webserver's connections were used just before the restart, as on a busy day.
        assert not failures(operator_actions(stack))
        stack.compose("restart", "postgres")
        wait_healthy(stack, "postgres")

        answers = operator_actions(stack)

        assert not failures(answers)
        [(_, launched)] = [answer for answer in answers if answer[0] == "launchRun"]
        run_id = launched["data"]["launchRun"]["run"]["runId"]
        assert stack.wait_until_finished(run_id)["status"] == "SUCCESS"


def test_the_first_run_after_a_mysql_restart_succeeds(stack: Stack):
    assert stack.wait_until_finished(launch(stack, "source_refresh"))["status"] == "SUCCESS"
    stack.compose("restart", "mysql")
    wait_healthy(stack, "mysql")

    assert stack.wait_until_finished(launch(stack, "source_refresh"))["status"] == "SUCCESS"
