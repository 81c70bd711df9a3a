"""Redeploying the code location while a run is in flight, with the command the operator guide
gives (`docker compose up -d --build user_code`): the run finishes, the UI and the daemon pick up
the new definitions by themselves (the webserver when the code server's id changes, the daemon at
its reload of every location once a minute), and schedules go on firing. The new deployment here
is a new cron for one schedule (a setting of the code location), visible from outside."""

import time

from operations.history import runs, wait_until_idle
from support.location import INSTIGATORS_QUERY
from support.stack import REPOSITORY_SELECTOR, TIMINGS, Stack, wait_for
from support.switches import set_schedule

NEW_CRON = "*/7 * * * *"
# Within these many seconds of the command's return: the UI shows the new definitions, and the
# daemon launches a scheduled run (its reload each minute, the schedule's minute, the launch).
UI_BOUND = 30
DAEMON_BOUND = 60 + 60 + 30


def cron_of(stack: Stack, schedule: str) -> str | None:
    """The schedule's cron as the UI shows it; None while the location is reloading."""
    repository = stack.graphql(INSTIGATORS_QUERY, selector=REPOSITORY_SELECTOR)["repositoryOrError"]
    return next((each["cronSchedule"] for each in repository.get("schedules", []) if each["name"] == schedule), None)


def scheduled_runs(stack: Stack, schedule: str) -> set[str]:
    return {run["runId"] for run in runs(stack, tags=[{"key": "dagster/schedule_name", "value": schedule}])}


def test_a_redeploy_during_a_run_lets_it_finish_and_is_picked_up_without_a_reload(stack: Stack, first_start):
    redeployed = {**stack.env, "ANALYTICS_REFRESH_SCHEDULE_CRON": NEW_CRON}
    code_server = stack.container_id("user_code")
    wait_until_idle(stack, timeout=600)
    launched = stack.launch_run("daily_refresh")
    assert launched["__typename"] == "LaunchRunSuccess", launched
    in_flight = launched["run"]["runId"]
    wait_for(lambda: stack.run(in_flight)["status"] == "STARTED", 180, "the run to start")
    set_schedule(stack, "source_refresh_schedule", running=True)
    try:
        redeploy_started = time.time()
        stack.compose("up", "--detach", "--build", "user_code", env=redeployed, timeout=900)
        returned = time.monotonic()
        TIMINGS["operations: docker compose up -d --build user_code"] = time.time() - redeploy_started
        fired_before = scheduled_runs(stack, "source_refresh_schedule")
        assert stack.container_id("user_code") != code_server, "the code server was not replaced"

        wait_for(lambda: cron_of(stack, "analytics_refresh_schedule") == NEW_CRON, UI_BOUND, "the UI's new cron", 1)
        TIMINGS["operations: redeploy until the UI shows the new definitions"] = time.monotonic() - returned

        wait_for(
            lambda: scheduled_runs(stack, "source_refresh_schedule") - fired_before,
            DAEMON_BOUND,
            "a scheduled run launched after the redeploy",
            1,
        )
        TIMINGS["operations: redeploy until the daemon launches a scheduled run"] = time.monotonic() - returned

        finished = stack.wait_until_finished(in_flight, timeout=600)
        assert finished["status"] == "SUCCESS", finished
        assert finished["endTime"] > redeploy_started, "the run was over before the redeploy: nothing was in flight"
    finally:
        set_schedule(stack, "source_refresh_schedule", running=False)
        wait_until_idle(stack, timeout=600)
