"""The deployment's Prometheus endpoint: what Dagster's GraphQL API says, refreshed in a loop.

Read through public interfaces only: the read-only webserver's GraphQL API (daemon heartbeats, runs,
schedule and sensor state and ticks, code locations, asset checks, freshness), `pg_database_size`
on the instance's Postgres, and the free space of the mounted volumes; Dagster's Python packages
are not imported (a third of the memory). A refresh runs every BOOKSHOP_MONITORING_INTERVAL_SECONDS;
Prometheus scrapes what the last one found. A part that fails counts in
bookshop_exporter_refresh_errors_total{part} and leaves its previous figures in place;
bookshop_exporter_last_refresh_timestamp_seconds{part} then stops moving.
"""

import json
import logging
import math
import os
import shutil
import time
import urllib.request
from collections.abc import Callable

import psycopg2
from prometheus_client import Counter, Gauge, Histogram, start_http_server

LOG = logging.getLogger("bookshop.exporter")
PORT = 9100
GRAPHQL_URL = "http://webserver_readonly:3000/graphql"
# The volumes whose free space is reported, where docker-compose.yml mounts them.
VOLUMES = {"data": "/data", "compute_logs": "/opt/dagster/compute_logs"}
IN_FLIGHT = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]
FINISHED = ["SUCCESS", "FAILURE", "CANCELED"]
# Finished runs are counted from this far back when the exporter starts, so a restart of the
# exporter shows the last day's runs instead of none.
HISTORY_SECONDS = 24 * 3600
DURATION_BUCKETS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, math.inf)
WORKSPACE_QUERY = """
query {
  workspaceOrError { __typename ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } }
  assetNodes {
    assetKey { path }
    freshnessStatusInfo { freshnessStatus }
    assetChecksOrError {
      __typename ... on AssetChecks { checks { name executionForLatestMaterialization { status } } }
    }
  }
}
"""
NEXT_TICK_QUERY = """
query($selector: ScheduleSelector!, $cursor: Float!) {
  scheduleOrError(scheduleSelector: $selector) {
    ... on Schedule { futureTicks(cursor: $cursor, limit: 1) { results { timestamp } } }
  }
}
"""
DAEMONS_QUERY = "query { instance { daemonHealth { allDaemonStatuses { daemonType required lastHeartbeatTime } } } }"
RUNS_QUERY = """
query($filter: RunsFilter!) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId jobName status creationTime updateTime startTime endTime } }
    ... on PythonError { message }
  }
}
"""
# Each running schedule and sensor of every loaded location: its state, its ticks since $after
# (newest first) and, for a sensor, its interval and last evaluation.
INSTIGATORS_QUERY = """
query($after: Float!) {
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        locationOrLoadError {
          ... on RepositoryLocation {
            name
            repositories {
              name
              schedules { name scheduleState { ...state } }
              sensors { name minIntervalSeconds sensorState { ...state } }
            }
          }
        }
      }
    }
  }
}
fragment state on InstigationState {
  status
  typeSpecificData { ... on SensorData { lastTickTimestamp } ... on ScheduleData { startTimestamp } }
  latest: ticks(limit: 10) { id timestamp status }
  recent: ticks(afterTimestamp: $after, limit: 1000) { id timestamp status }
}
"""
FAILED_CHECK = {"FAILED", "EXECUTION_FAILED"}
OVERDUE = {"DEGRADED"}

DAEMON_HEARTBEAT_AGE = Gauge(
    "dagster_daemon_heartbeat_age_seconds",
    "Seconds since each required daemon last wrote a heartbeat (+Inf: never).",
    ["daemon"],
)
RUNS = Gauge("dagster_runs", "Runs not yet finished, by job and status.", ["job", "status"])
QUEUE_DEPTH = Gauge("dagster_run_queue_depth", "Runs waiting in the run queue.")
OLDEST_QUEUED_AGE = Gauge("dagster_run_oldest_queued_age_seconds", "Age of the oldest queued run (0: none).")
RUNS_FINISHED = Counter("dagster_runs_finished_total", "Runs that finished, by job and outcome.", ["job", "status"])
RUN_DURATION = Histogram(
    "dagster_run_duration_seconds", "Wall time of finished runs, start to end.", ["job"], buckets=DURATION_BUCKETS
)
SENSOR_EVALUATED = Gauge(
    "dagster_sensor_last_evaluation_timestamp_seconds", "When the daemon last evaluated each running sensor.", ["name"]
)
SENSOR_INTERVAL = Gauge(
    "dagster_sensor_minimum_interval_seconds", "Each running sensor's minimum interval between evaluations.", ["name"]
)
SCHEDULE_DUE = Gauge(
    "dagster_schedule_next_tick_due_timestamp_seconds",
    "When each running schedule's next tick is due: the first cron time after its latest tick.",
    ["name"],
)
INSTIGATOR_LAST_TICK = Gauge(
    "dagster_instigator_last_tick_timestamp_seconds", "Time of the latest tick (Unix time).", ["type", "name"]
)
INSTIGATOR_FAILING = Gauge(
    "dagster_instigator_tick_consecutive_failures",
    "Failed ticks in a row, up to the latest one (of its last 10).",
    ["type", "name"],
)
INSTIGATOR_FAILURES = Counter("dagster_instigator_tick_failures_total", "Failed ticks.", ["type", "name"])
LOCATION_LOAD_ERROR = Gauge(
    "dagster_code_location_load_error", "1 while a code location fails to load, else 0.", ["location"]
)
ASSET_CHECK_FAILED = Gauge(
    "dagster_asset_check_failed", "1 while an asset check's latest execution failed.", ["asset", "check"]
)
ASSET_FRESHNESS_OVERDUE = Gauge(
    "dagster_asset_freshness_overdue", "1 while an asset is past its freshness policy's fail window.", ["asset"]
)
DATABASE_SIZE = Gauge("bookshop_postgres_database_size_bytes", "Size of the instance's Postgres database.")
VOLUME_FREE = Gauge("bookshop_volume_free_bytes", "Free space on each volume.", ["volume"])
VOLUME_SIZE = Gauge("bookshop_volume_size_bytes", "Size of each volume.", ["volume"])
LAST_REFRESH = Gauge(
    "bookshop_exporter_last_refresh_timestamp_seconds",
    "When each part last refreshed, or the exporter started if it never has (Unix time).",
    ["part"],
)
REFRESH_ERRORS = Counter("bookshop_exporter_refresh_errors_total", "Refreshes that failed, by part.", ["part"])


def graphql(query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(GRAPHQL_URL, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise RuntimeError("; ".join(error["message"] for error in answer["errors"]))
    return answer["data"]


def runs(**run_filter: object) -> list[dict]:
    found = graphql(RUNS_QUERY, {"filter": run_filter})["runsOrError"]
    if found["__typename"] != "Runs":
        raise RuntimeError(found.get("message", found["__typename"]))
    return found["results"]


def refresh_daemons() -> None:
    now = time.time()
    for status in graphql(DAEMONS_QUERY)["instance"]["daemonHealth"]["allDaemonStatuses"]:
        if status["required"]:
            heartbeat = status["lastHeartbeatTime"]
            DAEMON_HEARTBEAT_AGE.labels(status["daemonType"]).set(now - heartbeat if heartbeat else math.inf)


def refresh_in_flight_runs() -> None:
    in_flight = runs(statuses=IN_FLIGHT)
    counts: dict[tuple[str, str], int] = {}
    for run in in_flight:
        key = (run["jobName"], run["status"])
        counts[key] = counts.get(key, 0) + 1
    RUNS.clear()
    for (job, status), count in counts.items():
        RUNS.labels(job, status).set(count)
    queued = [run["creationTime"] for run in in_flight if run["status"] == "QUEUED"]
    QUEUE_DEPTH.set(len(queued))
    OLDEST_QUEUED_AGE.set(time.time() - min(queued) if queued else 0)


class CountedOnce:
    """Counts each run or tick once as it finishes: each refresh reads again the last
    OVERLAP_SECONDS before the latest finish it saw (two that finish in the same instant may be
    stored a moment apart) and skips those already counted."""

    OVERLAP_SECONDS = 60

    def __init__(self) -> None:
        self.since = time.time() - HISTORY_SECONDS
        self.counted: dict[str, float] = {}

    def after(self) -> float:
        return self.since - self.OVERLAP_SECONDS

    def first_time(self, key: str, finished: float) -> bool:
        self.since = max(self.since, finished)
        if key in self.counted:
            return False
        self.counted[key] = finished
        return True

    def forget_old(self) -> None:
        horizon = self.since - 2 * self.OVERLAP_SECONDS
        self.counted = {key: finished for key, finished in self.counted.items() if finished >= horizon}


class FinishedRuns(CountedOnce):
    """Each run, counted once as it finishes, with its duration."""

    def refresh(self) -> None:
        for run in sorted(runs(statuses=FINISHED, updatedAfter=self.after()), key=lambda run: run["updateTime"]):
            if not self.first_time(run["runId"], run["updateTime"]):
                continue
            RUNS_FINISHED.labels(run["jobName"], run["status"]).inc()
            if run["startTime"] and run["endTime"]:
                RUN_DURATION.labels(run["jobName"]).observe(run["endTime"] - run["startTime"])
        self.forget_old()


class Instigators(CountedOnce):
    """Each running schedule and sensor of the loaded locations: its latest tick, its failed
    ticks (each counted once), when its next tick is due. A tick is read by when it started and
    counted once it is over: the next refresh reads again from the start of the oldest tick
    still under way, however long ago another instigator's last tick ended."""

    def __init__(self) -> None:
        super().__init__()
        self.oldest_under_way = math.inf

    def refresh(self) -> None:
        data = graphql(INSTIGATORS_QUERY, {"after": self.after()})
        self.oldest_under_way = math.inf
        for metric in (SENSOR_EVALUATED, SENSOR_INTERVAL, SCHEDULE_DUE, INSTIGATOR_LAST_TICK, INSTIGATOR_FAILING):
            metric.clear()
        for entry in data["workspaceOrError"].get("locationEntries", []):
            location = entry["locationOrLoadError"] or {}
            for repository in location.get("repositories", []):
                for schedule in repository["schedules"]:
                    state = schedule["scheduleState"]
                    if self.refresh_ticks("schedule", schedule["name"], state):
                        after = state["latest"][0]["timestamp"] if state["latest"] else None
                        selector = (location["name"], repository["name"], schedule["name"])
                        started = (state["typeSpecificData"] or {}).get("startTimestamp")
                        due = next_schedule_tick(selector, after or started)
                        if due is not None:
                            SCHEDULE_DUE.labels(schedule["name"]).set(due)
                for sensor in repository["sensors"]:
                    state = sensor["sensorState"]
                    if self.refresh_ticks("sensor", sensor["name"], state):
                        SENSOR_INTERVAL.labels(sensor["name"]).set(sensor["minIntervalSeconds"])
                        evaluated = (state["typeSpecificData"] or {}).get("lastTickTimestamp")
                        if evaluated:
                            SENSOR_EVALUATED.labels(sensor["name"]).set(evaluated)
        self.since = min(self.since, self.oldest_under_way)
        self.forget_old()

    def refresh_ticks(self, kind: str, name: str, state: dict) -> bool:
        """The figures of one instigator's ticks; False (and none) when it is not running."""
        if state["status"] != "RUNNING":
            return False
        if state["latest"]:
            INSTIGATOR_LAST_TICK.labels(kind, name).set(state["latest"][0]["timestamp"])
            failures = 0
            for tick in state["latest"]:
                if tick["status"] != "FAILURE":
                    break
                failures += 1
            INSTIGATOR_FAILING.labels(kind, name).set(failures)
        for tick in state["recent"]:
            if tick["status"] == "STARTED":
                self.oldest_under_way = min(self.oldest_under_way, tick["timestamp"])
            elif self.first_time(tick["id"], tick["timestamp"]) and tick["status"] == "FAILURE":
                INSTIGATOR_FAILURES.labels(kind, name).inc()
        return True


def next_schedule_tick(selector: tuple[str, str, str], after: float | None) -> float | None:
    """The first time the schedule's cron names after `after` (its latest tick, or when it was started)."""
    location, repository, name = selector
    data = graphql(
        NEXT_TICK_QUERY,
        {
            "selector": {"repositoryLocationName": location, "repositoryName": repository, "scheduleName": name},
            "cursor": (after or time.time()) + 1,
        },
    )["scheduleOrError"]
    results = data.get("futureTicks", {}).get("results", [])
    return results[0]["timestamp"] if results else None


def refresh_workspace() -> None:
    data = graphql(WORKSPACE_QUERY)
    LOCATION_LOAD_ERROR.clear()
    for entry in data["workspaceOrError"].get("locationEntries", []):
        failed = (entry["locationOrLoadError"] or {}).get("__typename") == "PythonError"
        LOCATION_LOAD_ERROR.labels(entry["name"]).set(int(failed))
    ASSET_CHECK_FAILED.clear()
    ASSET_FRESHNESS_OVERDUE.clear()
    for node in data["assetNodes"]:
        asset = "/".join(node["assetKey"]["path"])
        if node["freshnessStatusInfo"]:
            ASSET_FRESHNESS_OVERDUE.labels(asset).set(int(node["freshnessStatusInfo"]["freshnessStatus"] in OVERDUE))
        for check in node["assetChecksOrError"].get("checks", []):
            execution = check["executionForLatestMaterialization"]
            failed = bool(execution) and execution["status"] in FAILED_CHECK
            ASSET_CHECK_FAILED.labels(asset, check["name"]).set(int(failed))


def refresh_database() -> None:
    connection = psycopg2.connect(
        host=os.environ["DAGSTER_POSTGRES_HOST"],
        port=os.environ["DAGSTER_POSTGRES_PORT"],
        user=os.environ["DAGSTER_POSTGRES_USER"],
        password=os.environ["DAGSTER_POSTGRES_PASSWORD"],
        dbname=os.environ["DAGSTER_POSTGRES_DB"],
        connect_timeout=10,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            DATABASE_SIZE.set(cursor.fetchone()[0])
    finally:
        connection.close()


def refresh_volumes() -> None:
    for name, path in VOLUMES.items():
        usage = shutil.disk_usage(path)
        VOLUME_FREE.labels(name).set(usage.free)
        VOLUME_SIZE.labels(name).set(usage.total)


def run_part(part: str, refresh: Callable[[], None]) -> None:
    try:
        refresh()
    except Exception:
        REFRESH_ERRORS.labels(part).inc()
        LOG.exception("refreshing %s failed", part)
    else:
        LAST_REFRESH.labels(part).set_to_current_time()


def main() -> None:
    interval = float(os.environ["BOOKSHOP_MONITORING_INTERVAL_SECONDS"])
    # Its own messages; only warnings from the libraries.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    LOG.setLevel(logging.INFO)
    finished_runs = FinishedRuns()
    instigators = Instigators()
    parts: dict[str, Callable[[], None]] = {
        "daemons": refresh_daemons,
        "runs": lambda: (refresh_in_flight_runs(), finished_runs.refresh()),
        "instigators": instigators.refresh,
        "workspace": refresh_workspace,
        "database": refresh_database,
        "volumes": refresh_volumes,
    }
    for part in parts:
        REFRESH_ERRORS.labels(part)
        LAST_REFRESH.labels(part).set_to_current_time()
    start_http_server(PORT)
    LOG.info("serving metrics on port %s, refreshing every %s s", PORT, interval)
    while True:
        started = time.monotonic()
        for part, refresh in parts.items():
            run_part(part, refresh)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
