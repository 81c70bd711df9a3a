"""A viewer watches: launching, toggling and wiping are refused, in the API and in the UI's controls.

The viewer entry's disabled re-execution of a run is tried in Chromium by tests/e2e/test_browser.py.
"""

import pytest
from playwright.sync_api import Page, expect

from security.attacks import SCHEDULE_SELECTOR, TARGET_SCHEDULE, target_status
from support.browser import automation_row, press, switch
from support.stack import REPOSITORY_SELECTOR, START_SCHEDULE, START_SENSOR, Stack

WIPE = """
mutation($ranges: [PartitionsByAssetSelector!]!) {
  wipeAssets(assetPartitionRanges: $ranges) { __typename }
}
"""
SENSORS = """
query($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) { ... on Repository { sensors { name sensorState { status } } } }
}
"""


def sensor_states(stack: Stack) -> dict[str, str]:
    sensors = stack.graphql(SENSORS, selector=REPOSITORY_SELECTOR)["repositoryOrError"]["sensors"]
    return {sensor["name"]: sensor["sensorState"]["status"] for sensor in sensors}


def test_a_viewer_cannot_launch_toggle_or_wipe_through_graphql(stack: Stack):
    viewer = stack.readonly_port
    assert stack.launch_run("source_refresh", port=viewer)["__typename"] == "UnauthorizedError"

    started = stack.graphql_response(viewer, START_SCHEDULE, selector=SCHEDULE_SELECTOR)["data"]["startSchedule"]
    assert started["__typename"] == "UnauthorizedError"
    assert target_status(stack) == "STOPPED"

    before = sensor_states(stack)
    sensor = next(name for name, status in before.items() if status == "STOPPED")
    selector = {**REPOSITORY_SELECTOR, "sensorName": sensor}
    assert stack.graphql_response(viewer, START_SENSOR, selector=selector)["data"]["startSensor"]["__typename"] == (
        "UnauthorizedError"
    )
    assert sensor_states(stack) == before

    key = {"path": ["mysql_users"]}
    wiped = stack.graphql_response(viewer, WIPE, ranges=[{"assetKey": key}])["data"]["wipeAssets"]
    assert wiped["__typename"] == "UnauthorizedError"


@pytest.fixture
def viewer_page(signed_in, stack: Stack) -> Page:
    return signed_in(stack.viewer)


def test_a_viewers_ui_controls_do_not_launch_or_toggle(stack: Stack, viewer_page: Page):
    entry = f"http://127.0.0.1:{stack.readonly_port}"

    # The schedule's switch is drawn disabled, and pressing it changes nothing.
    viewer_page.goto(f"{entry}/automation")
    toggle = automation_row(viewer_page, TARGET_SCHEDULE).get_by_role("checkbox").nth(1)
    expect(toggle).to_be_disabled(timeout=60_000)
    press(viewer_page, switch(toggle))
    expect(toggle).not_to_be_checked(timeout=60_000)

    assert target_status(stack) == "STOPPED"
