"""The webserver's GraphQL API, as the benchmark uses it: is the code loaded, launch a run, time it."""

import base64
import json
import time
import urllib.error
import urllib.request
from typing import Any

LOCATION = "bookshop"
REPOSITORY = "__repository__"
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

LOCATION_STATUS = """
query { workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename } } } } }
"""
LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""
RUN_STATUS = "query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }"
RUN_TIMES = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run { status creationTime startTime endTime stepStats { stepKey status startTime endTime } }
  }
  logsForRun(runId: $runId, limit: 5000) {
    ... on EventConnection { events { __typename ... on MessageEvent { timestamp } } }
  }
}
"""


class Dagster:
    """The operator entry of the login proxy, signed in with (user, password)."""

    def __init__(self, port: int, credentials: tuple[str, str]):
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.authorization = "Basic " + base64.b64encode(":".join(credentials).encode()).decode()

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"query": text, "variables": variables}).encode(),
            headers={"Content-Type": "application/json", "Authorization": self.authorization},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def location_loaded(self) -> bool:
        try:
            entries = self.query(LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
        except (OSError, urllib.error.URLError):
            return False
        return any(
            entry["name"] == LOCATION
            and entry["loadStatus"] == "LOADED"
            and entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"
            for entry in entries
        )

    def launch(self, job: str, assets: list[str] | None = None) -> str:
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": job}
        if assets:
            selector["assetSelection"] = [{"path": [name]} for name in assets]
        result = self.query(LAUNCH_RUN, params={"selector": selector, "mode": "default"})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise RuntimeError(f"launchRun of {job}: {result}")
        return result["run"]["runId"]

    def wait(self, run_id: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while (status := self.query(RUN_STATUS, runId=run_id)["runOrError"]["status"]) not in FINISHED:
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {status} after {timeout} s")
            time.sleep(0.25)
        if status != "SUCCESS":
            raise RuntimeError(f"run {run_id} ended {status}")

    def run_times(self, run_id: str) -> dict[str, Any]:
        """The run's record and the first timestamp (epoch seconds) of each kind of event in its log."""
        data = self.query(RUN_TIMES, runId=run_id)
        events: dict[str, float] = {}
        for event in data["logsForRun"]["events"]:
            if "timestamp" in event:
                events.setdefault(event["__typename"], int(event["timestamp"]) / 1000)
        return {**data["runOrError"], "events": events}
