"""Two teams on one deployment: the bookshop's code location and the warehouse team's, added to the
shared stack's checkout as the operator guide says (support/code_locations.py), each boxed to its own."""

import json
import subprocess
import threading
import time
from typing import Any

from support.stack import LOCATION_STATUS, TIMINGS, Stack, running_run_container, wait_for
from support.switches import instigators, set_schedule

WAREHOUSE = "warehouse"
# A job and a schedule of each location.
JOBS = {"bookshop": "source_refresh", WAREHOUSE: "stock_count_job"}
SCHEDULES = {"bookshop": "daily_refresh_schedule", WAREHOUSE: "stock_count_schedule"}
ASSET_DESCRIPTION = """
query($location: String!) {
  repositoryOrError(repositorySelector: {repositoryLocationName: $location, repositoryName: "__repository__"}) {
    ... on Repository { assetNodes { assetKey { path } description } }
  }
}
"""


def loaded_locations(stack: Stack) -> dict[str, str]:
    """Each code location of the UI's workspace and how it loaded ("LOADED RepositoryLocation")."""
    entries = stack.graphql(LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
    return {entry["name"]: f"{entry['loadStatus']} {entry['locationOrLoadError']['__typename']}" for entry in entries}


def run_container(stack: Stack, location: str) -> tuple[str, dict[str, Any]]:
    """A run of the location's job, its container as Docker inspects it while it runs."""
    launched = stack.launch_run(JOBS[location], location=location)
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    return run_id, running_run_container(run_id)


def code_server(stack: Stack, service: str) -> dict[str, Any]:
    found = subprocess.run(["docker", "inspect", stack.container_id(service)], capture_output=True, check=True)
    return json.loads(found.stdout)[0]


def test_both_code_locations_are_loaded_in_the_ui(stack: Stack):
    assert loaded_locations(stack) == dict.fromkeys(("bookshop", WAREHOUSE), "LOADED RepositoryLocation")


def test_a_run_of_each_code_location_has_its_own_image_settings_and_volumes_only(stack: Stack):
    runs = {location: run_container(stack, location) for location in JOBS}
    servers = {"bookshop": code_server(stack, "user_code"), WAREHOUSE: code_server(stack, WAREHOUSE)}
    env = {
        location: {entry.split("=", 1)[0] for entry in inspected["Config"]["Env"]}
        for location, (_, inspected) in runs.items()
    }
    mounts = {
        location: {mount.get("Name") or mount["Source"] for mount in inspected["Mounts"]}
        for location, (_, inspected) in runs.items()
    }

    for location, (_, inspected) in runs.items():
        assert inspected["Config"]["Image"] == servers[location]["Config"]["Image"], location
        assert inspected["Config"]["Labels"]["bookshop.code-location"] == location
        assert list(inspected["NetworkSettings"]["Networks"]) == [f"{stack.project}_runs"]
    assert servers[WAREHOUSE]["Config"]["Image"].startswith("warehouse-code:")
    assert {"WAREHOUSE_SITE", "WAREHOUSE_API_TOKEN"} <= env[WAREHOUSE]
    assert not {name for name in env[WAREHOUSE] if name.startswith("BOOKSHOP_")}, env[WAREHOUSE]
    assert not {name for name in env["bookshop"] if name.startswith("WAREHOUSE_")}, env["bookshop"]
    # The bookshop's MySQL reader password is on the bookshop's password volume, which the
    # warehouse's runs do not mount; theirs holds Dagster's password alone.
    assert f"{stack.project}_dagster_passwords" in mounts["bookshop"]
    assert f"{stack.project}_dagster_passwords" not in mounts[WAREHOUSE]
    assert f"{stack.project}_warehouse_data" in mounts[WAREHOUSE] and f"{stack.project}_data" not in mounts[WAREHOUSE]
    assert stack.exec(WAREHOUSE, "ls /run/bookshop-passwords").split() == ["postgres"]
    for location, (run_id, _) in runs.items():
        assert stack.wait_until_finished(run_id)["status"] == "SUCCESS", location


def schedule_status(stack: Stack, location: str) -> str:
    [schedule] = [each for each in instigators(stack, location)["schedules"] if each["name"] == SCHEDULES[location]]
    return schedule["scheduleState"]["status"]


def test_a_schedule_of_each_code_location_is_switched_on_and_off(stack: Stack):
    for location, name in SCHEDULES.items():
        was = schedule_status(stack, location)
        set_schedule(stack, name, running=True, location=location)
        assert schedule_status(stack, location) == "RUNNING", location
        set_schedule(stack, name, running=False, location=location)
        assert schedule_status(stack, location) == "STOPPED" == was, "as every test leaves it"


def test_redeploying_one_code_location_leaves_the_other_loaded_and_its_run_untouched(stack: Stack):
    """`docker compose up -d --build warehouse` with a new setting, while a bookshop run is in flight."""
    launched = stack.launch_run(JOBS["bookshop"])
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    wait_for(lambda: stack.run(run_id)["status"] == "STARTED", 180, f"run {run_id} to start", interval=0.5)
    server = stack.container_id(WAREHOUSE)
    seen: list[dict[str, str]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.append(loaded_locations(stack))
            time.sleep(0.5)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        redeployed = {**stack.env, "WAREHOUSE_SITE": "south"}
        stack.compose("up", "--detach", "--build", WAREHOUSE, env=redeployed, timeout=900)
        wait_for(lambda: "south site" in warehouse_description(stack), 180, "the UI to show the redeployed definitions")
        TIMINGS["e2e: one code location redeployed until the UI shows it"] = time.monotonic() - started
    finally:
        done.set()
        watcher.join()
    assert stack.container_id(WAREHOUSE) != server, "the warehouse's code server was not replaced"
    assert len(seen) >= 5 and {polled["bookshop"] for polled in seen} == {"LOADED RepositoryLocation"}
    assert stack.run(run_id)["status"] in ("STARTED", "SUCCESS"), "the bookshop's run went on"
    assert stack.wait_until_finished(run_id)["status"] == "SUCCESS"


def warehouse_description(stack: Stack) -> str:
    nodes = stack.graphql(ASSET_DESCRIPTION, location=WAREHOUSE)["repositoryOrError"].get("assetNodes", [])
    return " ".join(node["description"] or "" for node in nodes)
