"""A viewer watches: launching, toggling and wiping are refused by the viewer entry's API.

The same entry's controls (switches drawn disabled that do not switch when pressed, a run's
re-execution disabled) are tried in Chromium by tests/e2e/test_browser.py.
"""

from security.attacks import SCHEDULE_SELECTOR, target_status
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
