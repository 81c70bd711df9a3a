"""The code locations of what a mutation names by id (runs, backfills, assets, schedules and
sensors), asked of the webserver through Dagster's public GraphQL API."""

import re
from typing import Any

import requests

RUN = """query($runId: ID!) { runOrError(runId: $runId) {
  ... on Run { jobName repositoryOrigin { repositoryLocationName } } } }"""
BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill {
    assetSelection { path } partitionSet { repositoryOrigin { repositoryLocationName } } } } }"""
ASSETS = """query($keys: [AssetKeyInput!]) { assetNodes(assetKeys: $keys) {
  assetKey { path } repository { location { name } } } }"""
INSTIGATORS = """query { workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
  ... on RepositoryLocation { repositories {
    schedules { name scheduleState { id selectorId } }
    sensors { name sensorState { id selectorId } } } } } } } } }"""
# Dagster's ids (origin and selector ids, and the "compound" id that joins them): hex digests.
ID_PART = re.compile(r"[0-9a-f]{16,}")


class Workspace:
    def __init__(self, graphql_url: str) -> None:
        self.url = graphql_url
        self.http = requests.Session()

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.http.post(self.url, json={"query": query, "variables": variables}, timeout=30)
        answer.raise_for_status()
        return answer.json().get("data") or {}

    def run(self, run_id: str) -> tuple[str, str]:
        """(location, job) of a run; ("", "") when there is no such run."""
        run = self.query(RUN, runId=run_id).get("runOrError") or {}
        origin = run.get("repositoryOrigin") or {}
        return origin.get("repositoryLocationName", ""), run.get("jobName", "")

    def backfill(self, backfill_id: str) -> set[str]:
        backfill = self.query(BACKFILL, id=backfill_id).get("partitionBackfillOrError") or {}
        partition_set = backfill.get("partitionSet") or {}
        locations = {partition_set.get("repositoryOrigin", {}).get("repositoryLocationName", "")}
        return (locations | self.assets(backfill.get("assetSelection") or [])) - {""}

    def assets(self, keys: list[dict[str, Any]]) -> set[str]:
        if not keys:
            return set()
        nodes = self.query(ASSETS, keys=[{"path": key["path"]} for key in keys]).get("assetNodes") or []
        return {node["repository"]["location"]["name"] for node in nodes}

    def instigators(self, ids: list[str]) -> dict[str, str]:
        """The schedules and sensors (name -> location) whose state any of these ids names."""
        wanted = {part for each in ids for part in [each, *ID_PART.findall(each)]}
        found = {}
        workspace = self.query(INSTIGATORS).get("workspaceOrError") or {}
        for entry in workspace.get("locationEntries", []):
            for repository in (entry.get("locationOrLoadError") or {}).get("repositories", []):
                for each in repository["schedules"] + repository["sensors"]:
                    state = each.get("scheduleState") or each.get("sensorState") or {}
                    names = {state.get("id"), state.get("selectorId"), *ID_PART.findall(state.get("id") or "")}
                    if wanted & names:
                        found[each["name"]] = entry["name"]
        return found
