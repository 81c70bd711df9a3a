"""Schedules and sensors switched on and off as the UI does, and their states as it shows them."""

from typing import Any

from support.location import INSTIGATORS_QUERY
from support.stack import (
    LOCATION,
    REPOSITORY_SELECTOR,
    START_SCHEDULE,
    START_SENSOR,
    STOP_SCHEDULE,
    STOP_SENSOR,
    Stack,
    wait_for,
)

SENSOR_QUERY = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor {
      canReset
      sensorState {
        status
        ticks(limit: 1) { status timestamp }
        typeSpecificData { ... on SensorData { lastTickTimestamp } }
      }
    }
    ... on PythonError { message }
  }
}
"""
SENSOR_TICKS = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 500) { skipReason } } }
    ... on PythonError { message }
  }
}
"""
# How many times a sensor is switched before the switch is taken as refused.
SWITCH_ATTEMPTS = 3


def instigators(stack: Stack, location: str = LOCATION) -> dict[str, Any]:
    """The schedules and sensors of a code location (the bookshop's unless told), with their states."""
    selector = {**REPOSITORY_SELECTOR, "repositoryLocationName": location}
    repository = stack.graphql(INSTIGATORS_QUERY, selector=selector)["repositoryOrError"]
    assert "schedules" in repository, repository
    return repository


def set_schedule(stack: Stack, name: str, running: bool, location: str = LOCATION) -> None:
    """Turn a schedule on or off as the UI does; its state is then stored, whatever the default."""
    [state] = [each["scheduleState"] for each in instigators(stack, location)["schedules"] if each["name"] == name]
    if state["status"] == "RUNNING":
        stopped = stack.graphql(STOP_SCHEDULE, id=state["id"])["stopRunningSchedule"]
        assert stopped.get("scheduleState", {}).get("status") == "STOPPED", stopped
    if running:
        selector = {**REPOSITORY_SELECTOR, "repositoryLocationName": location, "scheduleName": name}
        started = stack.graphql(START_SCHEDULE, selector=selector)["startSchedule"]
        assert started.get("scheduleState", {}).get("status") == "RUNNING", started


def set_sensor(stack: Stack, name: str, running: bool) -> None:
    """Turn a sensor on or off as the UI does, its state then stored whatever the default, and
    look again once the sensor's tick under way is over: that tick ends by writing back the
    sensor's state as it read it a moment before (Dagster's sensor daemon), which can undo a switch
    made in that moment, back to a stored state or to the code's default (a sensor that runs by
    default then still shows RUNNING, but no longer stored). An undone switch is made again, as an
    operator would."""
    wanted = "RUNNING" if running else "STOPPED"
    for _ in range(SWITCH_ATTEMPTS):
        switch_sensor(stack, name, running)
        if settled_sensor_switch(stack, name) == wanted:
            return
    raise AssertionError(f"{name} did not stay {wanted} after {SWITCH_ATTEMPTS} switches")


def switch_sensor(stack: Stack, name: str, running: bool) -> None:
    [state] = [each["sensorState"] for each in instigators(stack)["sensors"] if each["name"] == name]
    if state["status"] == "RUNNING":
        stopped = stack.graphql(STOP_SENSOR, id=state["id"])["stopSensor"]
        assert stopped["__typename"] == "StopSensorMutationResult", stopped
    if running:
        started = stack.graphql(START_SENSOR, selector={**REPOSITORY_SELECTOR, "sensorName": name})["startSensor"]
        assert started.get("sensorState", {}).get("status") == "RUNNING", started


def sensor(stack: Stack, name: str) -> dict[str, Any]:
    """The sensor's status, its newest tick, and whether its status is stored (canReset) rather
    than its code's default."""
    found = stack.graphql(SENSOR_QUERY, selector={**REPOSITORY_SELECTOR, "sensorName": name})["sensorOrError"]
    assert "sensorState" in found, found
    return found


def settled_sensor_switch(stack: Stack, name: str) -> str:
    """The sensor's stored status ("default" where none is stored) once its newest tick is over and
    the state write that ends that tick is done (the state then records the tick's timestamp)."""

    def settled() -> dict[str, Any] | None:
        found = sensor(stack, name)
        state = found["sensorState"]
        if not state["ticks"]:
            return found
        [newest] = state["ticks"]
        recorded = (state["typeSpecificData"] or {}).get("lastTickTimestamp")
        over = newest["status"] != "STARTED" and recorded is not None and recorded >= newest["timestamp"]
        return found if over else None

    found = wait_for(settled, 120, f"the tick under way of {name} to end, its state written", interval=0.5)
    return found["sensorState"]["status"] if found["canReset"] else "default"


def instigator_states(repository: dict[str, Any]) -> dict[str, str]:
    """Each schedule's and sensor's status ("schedule:name" or "sensor:name": status) of `instigators`."""
    return {
        **{f"schedule:{each['name']}": each["scheduleState"]["status"] for each in repository["schedules"]},
        **{f"sensor:{each['name']}": each["sensorState"]["status"] for each in repository["sensors"]},
    }


def tick_reasons(stack: Stack, name: str) -> list[str]:
    """What each of the sensor's last 500 ticks said (its skip reason, or ""), newest first."""
    found = stack.graphql(SENSOR_TICKS, selector={**REPOSITORY_SELECTOR, "sensorName": name})["sensorOrError"]
    assert "sensorState" in found, found
    return [tick["skipReason"] or "" for tick in found["sensorState"]["ticks"]]
