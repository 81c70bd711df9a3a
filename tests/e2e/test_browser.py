"""The UI as operators and ops teams use it, in headless Chromium.

The browser is the `browser` fixture of tests/conftest.py. Every page a test looks at is saved
as a PNG under test-output/screenshots/, or under BOOKSHOP_SCREENSHOT_DIR when that is set
(docs/screenshots: the operator guide's pictures).
"""

import re
from concurrent.futures import wait
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from support.browser import automation_row, move_away, press, screenshot, switch, toggle_of
from support.stack import (
    REPOSITORY_SELECTOR,
    START_SCHEDULE,
    STOP_SCHEDULE,
    Stack,
    wait_for,
)

SCHEDULE_NAMES = {
    "daily_refresh_schedule",
    "source_refresh_schedule",
    "analytics_refresh_schedule",
    "business_hours_analytics",
    "weekend_processing",
    "retention_schedule",
}
TOGGLED = "analytics_refresh_schedule"
UNTOUCHED = "weekend_processing"  # what the read-only UI tries to turn on
# Run in the daemon's container: waits, through its DagsterInstance, until the scheduler can no
# longer write back a RUNNING state of the (hourly) schedule it is given over a stop (at most 180 s):
# its first checkpoint since the schedule was turned on is written, this hour's tick (due when the
# schedule was on before the hour) is over, and the next hour's is more than 30 s away.
STOP_CAN_STICK = """
import sys, time
import dagster as dg
name, deadline = sys.argv[1], time.monotonic() + 180
with dg.DagsterInstance.get() as instance:
    while time.monotonic() < deadline:
        [state] = [s for s in instance.all_instigator_state() if s.instigator_name == name and s.is_running]
        now = time.time()
        hour = now - now % 3600
        [tick] = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1) or [None]
        ticked = state.instigator_data.start_timestamp >= hour or (
            tick is not None and tick.timestamp >= hour and tick.status.value != "STARTED"
        )
        if state.instigator_data.last_iteration_timestamp and ticked and now - hour < 3570:
            sys.exit(0)
        time.sleep(0.5)
sys.exit(f"the scheduler could still write {name} back after 180 s")
"""

SCHEDULES_QUERY = """
query($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    ... on Repository {
      schedules {
        name cronSchedule description
        scheduleState { id status }
      }
    }
    ... on PythonError { message }
  }
}
"""
# The UI loads a page's parts in separate requests, slower while a run container starts.
expect.set_options(timeout=30_000)


# ---- fixtures and helpers ------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _runs_are_made_meanwhile(operator_runs):
    """The run pages need finished runs: they are made while the schedule tests go on (conftest)."""
    yield
    wait([operator_runs])  # MySQL is running again before the next module starts


@pytest.fixture(scope="module", autouse=True)
def _toggled_schedule_is_stopped_at_the_end(stack: Stack):
    """The stack's other tests expect every schedule stopped, as deployed."""
    yield
    if status(stack, TOGGLED) != "STOPPED":
        wait_until_a_stop_sticks(stack)
        stack.graphql(STOP_SCHEDULE, id=schedules(stack)[TOGGLED]["scheduleState"]["id"])


@pytest.fixture
def page(signed_in, stack: Stack) -> Page:
    """Signed in as an operator (who may use the viewer entry too), on both entries."""
    return signed_in(stack.operator)


def ui(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}{path}"


def schedules(stack: Stack) -> dict[str, dict[str, Any]]:
    repository = stack.graphql(SCHEDULES_QUERY, selector=REPOSITORY_SELECTOR)["repositoryOrError"]
    assert "schedules" in repository, repository
    return {schedule["name"]: schedule for schedule in repository["schedules"]}


def status(stack: Stack, name: str) -> str:
    return schedules(stack)[name]["scheduleState"]["status"]


def wait_until_a_stop_sticks(stack: Stack) -> None:
    """Wait until stopping the toggled schedule cannot be undone by Dagster's scheduler.

    At its first iteration after a schedule is turned on (at a turn of the minute), the scheduler
    writes the schedule's state back with a checkpoint (its `last_iteration_timestamp`), as it read
    the state at the start of that iteration: a stop that lands in between is overwritten with
    RUNNING. A tick writes it back too (the toggled schedule's are on the hour). So the stop waits
    for those states in the daemon's instance (STOP_CAN_STICK).
    """
    stack.exec("daemon", f"export-passwords.sh python - {TOGGLED}", STOP_CAN_STICK)


def tooltip(page: Page, text: str) -> Locator:
    return page.get_by_role("tooltip").filter(has_text=text)


def hover_for_tooltip(page: Page, target: Locator, text: str) -> None:
    """Hover target until its tooltip shows text, then move away until the tooltip is gone (an
    open tooltip covers what is under it). The hover is tried again when the target was drawn
    anew under the pointer (a row that finished loading): the new element never saw it enter."""
    for attempt in range(4):
        try:
            target.hover(timeout=10_000)
            expect(tooltip(page, text)).to_be_visible(timeout=5_000)
            break
        except (AssertionError, PlaywrightTimeoutError):
            if attempt == 3:
                raise
            move_away(page)
    move_away(page)
    expect(tooltip(page, text)).to_be_hidden()


def run_row(page: Page, run_id: str) -> Locator:
    return page.locator("[data-index]").filter(has=page.locator(f'a[href="/runs/{run_id}"]'))


def shown_time(timestamp: float) -> str:
    """A run's time as the runs list shows it in the browser's time zone (UTC here)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%b %-d, %-I:%M %p")


# ---- operators -------------------------------------------------------------------------------
def test_an_operator_turns_a_schedule_on_with_the_uis_own_toggle(stack: Stack, page: Page):
    defined = schedules(stack)
    assert set(defined) == SCHEDULE_NAMES
    assert defined[TOGGLED]["scheduleState"]["status"] == "STOPPED"

    # The schedules list: every schedule with its cron (in words, and as written in the tooltip)
    # and its description (behind the info icon).
    page.goto(ui(stack.webserver_port, "/automation"))
    for name, schedule in defined.items():
        assert schedule["description"], name
        toggle_of(page, name)  # the row has loaded its schedule (after a reload if it stayed unloaded)
        row = automation_row(page, name)
        hover_for_tooltip(page, row.get_by_text("Scheduled").locator("[data-state]"), schedule["cronSchedule"])
        hover_for_tooltip(page, row.get_by_role("img", name="info"), schedule["description"])

    toggle = toggle_of(page, TOGGLED)
    expect(toggle).not_to_be_checked()
    expect(toggle).to_be_enabled()
    switch(toggle).click()
    expect(toggle).to_be_checked()
    wait_for(lambda: status(stack, TOGGLED) == "RUNNING", 30, f"{TOGGLED} RUNNING in the API", interval=0.5)

    page.reload()
    toggle = toggle_of(page, TOGGLED)
    assert status(stack, TOGGLED) == "RUNNING", "the schedule was turned off behind the operator's back"
    expect(toggle).to_be_checked()
    screenshot(page, "schedules")
    # It is turned off again by the last test of this module (or, failing that, by its teardown).


# ---- ops teams: the read-only UI -------------------------------------------------------------
def test_the_read_only_ui_refuses_launches_and_toggles(stack: Stack, page: Page):
    before = {name: schedule["scheduleState"] for name, schedule in schedules(stack).items()}

    # Its GraphQL API refuses a launch, and a schedule turned on or off.
    launched = stack.launch_run("source_refresh", port=stack.readonly_port)
    assert launched["__typename"] == "UnauthorizedError", launched
    selector = {**REPOSITORY_SELECTOR, "scheduleName": UNTOUCHED}
    started = stack.graphql_response(stack.readonly_port, START_SCHEDULE, selector=selector)["data"]["startSchedule"]
    assert started["__typename"] == "UnauthorizedError", started
    stopped = stack.graphql_response(stack.readonly_port, STOP_SCHEDULE, id=before[TOGGLED]["id"])
    assert stopped["data"]["stopRunningSchedule"]["__typename"] == "UnauthorizedError", stopped

    # In the browser: every schedule to watch, and switches that do not switch.
    page.goto(ui(stack.readonly_port, "/automation"))
    for name in SCHEDULE_NAMES:
        expect(automation_row(page, name)).to_be_visible()
    toggle = toggle_of(page, UNTOUCHED, editable=False)
    expect(toggle).to_be_disabled()
    hover_for_tooltip(page, switch(toggle), "Insufficient permissions")
    press(page, switch(toggle))  # what a determined operator would try
    # Looked at again through toggle_of: Dagster's switch keeps an error icon once its one state
    # request has failed (seen under load), and a person reloads.
    expect(toggle_of(page, UNTOUCHED, editable=False)).not_to_be_checked()
    screenshot(page, "readonly-schedules")
    assert {name: schedule["scheduleState"] for name, schedule in schedules(stack).items()} == before


# ---- runs: made meanwhile in the background (see conftest) ------------------------------------
def test_finished_runs_are_listed_and_open_on_their_steps_and_logs(stack: Stack, page: Page, operator_runs):
    made = operator_runs.result(timeout=420)
    succeeded, failed = made.succeeded, made.failed
    assert (succeeded["status"], failed["status"]) == ("SUCCESS", "FAILURE")

    # The runs list: each run with its status, job and time.
    page.goto(ui(stack.webserver_port, "/runs"))
    for run, shown_status in ((succeeded, "Success"), (failed, "Failure")):
        row = run_row(page, run["runId"])
        expect(row).to_contain_text(run["runId"][:8])
        expect(row).to_contain_text(run["jobName"])
        expect(row).to_contain_text(shown_status)
        times = {shown_time(run["creationTime"]), shown_time(run["startTime"])}
        expect(row).to_contain_text(re.compile("|".join(map(re.escape, times))))
    screenshot(page, "runs")

    # The successful run: its steps and their events...
    page.goto(ui(stack.webserver_port, f"/runs/{succeeded['runId']}"))
    steps = [step["stepKey"] for step in succeeded["stepStats"]]
    assert len(steps) == 5 and {step["status"] for step in succeeded["stepStats"]} == {"SUCCESS"}
    expect(page.get_by_text(f"Succeeded ({len(steps)})")).to_be_visible()
    expect(page.get_by_text("RUN_SUCCESS")).to_be_visible()
    screenshot(page, "run")

    # ...and the compute logs that the run container wrote, served by the webserver.
    page.get_by_role("button", name="stderr").click()
    page.get_by_placeholder("Select a step").click()
    page.get_by_role("menuitem").filter(has_text=f"{len(steps)} steps").click()
    for step in steps:
        expect(page.get_by_text(f'STEP_SUCCESS - Finished execution of step "{step}"')).to_be_visible()
    screenshot(page, "run-logs")

    # The failed run: the failed step, and re-execution from the failure on offer.
    page.goto(ui(stack.webserver_port, f"/runs/{failed['runId']}"))
    errored = [step["stepKey"] for step in failed["stepStats"] if step["status"] == "FAILURE"]
    assert "mysql_users" in errored
    expect(page.get_by_text(f"Errored ({len(errored)})")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Steps failed: \[.*'mysql_users'.*\]"))).to_be_visible()
    page.get_by_role("button", name="Re-execute all (*)").locator("xpath=following-sibling::*[1]").click()
    expect(page.get_by_role("menuitem", name=re.compile("From failure"))).to_be_enabled()
    screenshot(page, "run-failed")

    # The read-only UI shows the same run to ops teams, without re-execution.
    page.goto(ui(stack.readonly_port, f"/runs/{failed['runId']}"))
    expect(page.get_by_text(re.compile(r"Steps failed: \[.*'mysql_users'.*\]"))).to_be_visible()
    expect(page.get_by_role("button", name="Re-execute all (*)")).to_be_disabled()


def test_an_operator_turns_the_schedule_off_again_with_the_uis_own_toggle(stack: Stack, page: Page):
    if status(stack, TOGGLED) != "RUNNING":  # this test alone: on first, through the API
        stack.graphql(START_SCHEDULE, selector={**REPOSITORY_SELECTOR, "scheduleName": TOGGLED})

    page.goto(ui(stack.webserver_port, "/automation"))
    toggle = toggle_of(page, TOGGLED)
    expect(toggle).to_be_checked()
    expect(toggle).to_be_enabled()
    wait_until_a_stop_sticks(stack)
    switch(toggle).click()
    expect(toggle).not_to_be_checked()
    wait_for(lambda: status(stack, TOGGLED) == "STOPPED", 30, f"{TOGGLED} STOPPED in the API", interval=0.5)
    page.reload()
    expect(toggle_of(page, TOGGLED)).not_to_be_checked()


def test_the_ops_view_shows_the_deployment_at_a_glance(page: Page, stack: Stack):
    """Prometheus's ops console on the operator entry: daemons, run queue, runs, ticks, free space."""
    path = "/prometheus/consoles/ops.html"
    wait_for(lambda: b"SCHEDULER" in stack.http(stack.webserver_port, path).body, 180, "the exporter's first figures")
    page.goto(ui(stack.webserver_port, path))
    expect(page.get_by_role("heading", name="Bookshop Dagster: operations")).to_be_visible()
    for heading, shown in (
        ("Daemon heartbeats", "SCHEDULER"),
        ("Run queue", "Queued runs"),
        ("Free space", "compute_logs"),
    ):
        section = page.locator("section").filter(has=page.get_by_role("heading", name=heading))
        expect(section).to_contain_text(shown)
    screenshot(page, "ops-view")
