"""Roles per code location: an operator of the bookshop acts on the bookshop's schedules, sensors,
jobs and runs, and is refused on the warehouse team's, with a message that says why, in the API
as in the browser. The refusal is decided from what the request acts on, looked up by the login
service, not from what the request claims."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from security.conftest import People
from support.accounts import refusal, token_client
from support.browser import switch, toggle_of
from support.stack import LAUNCH_RUN, REPOSITORY, START_SCHEDULE, STOP_SCHEDULE, STOP_SENSOR, TERMINATE_RUN, Stack
from support.switches import instigators

WAREHOUSE = "warehouse"
WAREHOUSE_SCHEDULE = "stock_count_schedule"
WAREHOUSE_SENSOR = "stock_delivery_sensor"


@pytest.fixture
def warehouse_run(stack: Stack, people: People) -> Iterator[str]:
    """A run of the warehouse's job, launched by an admin, cancelled at the end."""
    client = token_client(stack, people.admin.token)
    run_id = client.submit_job_execution(
        "stock_count_job", repository_location_name=WAREHOUSE, repository_name=REPOSITORY
    )
    yield run_id
    stack.graphql(TERMINATE_RUN, runId=run_id)


def test_role_operator_of_one_location_is_refused_on_anothers_schedule_sensor_job_and_run(
    stack: Stack, people: People, warehouse_run: str
):
    name, token = people.bookshop_operator.name, people.bookshop_operator.token
    why = f"{name} is an operator of bookshop, not of {WAREHOUSE}"
    warehouse = instigators(stack, WAREHOUSE)
    selector = {"repositoryLocationName": WAREHOUSE, "repositoryName": REPOSITORY}

    client = token_client(stack, token)
    schedule = {**selector, "scheduleName": WAREHOUSE_SCHEDULE}
    assert why in refusal(lambda: client._execute(START_SCHEDULE, {"selector": schedule}))
    [sensor] = [each["sensorState"] for each in warehouse["sensors"] if each["name"] == WAREHOUSE_SENSOR]
    assert why in refusal(lambda: client._execute(STOP_SENSOR, {"id": sensor["id"]}))
    params = {"selector": {**selector, "jobName": "stock_count_job"}}
    assert why in refusal(lambda: client._execute(LAUNCH_RUN, {"params": params}))
    assert why in refusal(
        lambda: client.submit_job_execution(
            "stock_count_job", repository_location_name=WAREHOUSE, repository_name=REPOSITORY
        )
    )
    # A run is acted on by its id alone: its location is looked up.
    assert why in refusal(lambda: client._execute(TERMINATE_RUN, {"runId": warehouse_run}))
    assert instigators(stack, WAREHOUSE) == warehouse, "nothing of the warehouse changed"

    # The bookshop's own schedule: switched on and off again by the same person.
    own = {"repositoryLocationName": "bookshop", "repositoryName": REPOSITORY, "scheduleName": "retention_schedule"}
    state = client._execute(START_SCHEDULE, {"selector": own})["startSchedule"]["scheduleState"]
    assert state["status"] == "RUNNING"
    assert (
        client._execute(STOP_SCHEDULE, {"id": state["id"]})["stopRunningSchedule"]["scheduleState"]["status"]
        == "STOPPED"
    )


def test_role_operator_of_one_location_cannot_report_an_event_of_anothers_asset(stack: Stack, people: People):
    """Dagster's REST endpoint for an asset's event is checked as its mutation is."""
    name, token = people.bookshop_operator.name, people.bookshop_operator.token
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    for asset, why in (("stock_count", f"{name} is an operator of bookshop, not of {WAREHOUSE}"),
                       ("no_such_asset", "what it acts on was not found")):  # fmt: skip
        path = f"/report_asset_materialization/{asset}"
        answer = stack.http(stack.webserver_port, path, method="POST", body=b"{}", headers=headers, signed_in=False)
        assert answer.status == 403 and why in answer.json()["error"], (asset, answer.status, answer.body)


def test_role_refusal_shows_in_the_browser_on_the_schedule_switch(stack: Stack, browser: Browser, people: People):
    """Signed in on the sign-in page, the bookshop's operator presses the warehouse's switch."""
    name, password = people.bookshop_operator.credentials
    before = instigators(stack, WAREHOUSE)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US", timezone_id="UTC")
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{stack.webserver_port}/automation")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/automation")
        toggle = toggle_of(page, WAREHOUSE_SCHEDULE, location=WAREHOUSE)
        switch(toggle).click()
        page.get_by_text("View error info").click()
        expect(page.get_by_text(f"{name} is an operator of bookshop, not of {WAREHOUSE}")).to_be_visible()
        expect(toggle).not_to_be_checked()
    finally:
        context.close()
    assert instigators(stack, WAREHOUSE) == before
