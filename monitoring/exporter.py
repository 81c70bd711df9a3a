"""The deployment's Prometheus endpoint: what Dagster's instance and GraphQL API say, refreshed in a loop.

Read through public interfaces only: the DagsterInstance (daemon heartbeats, runs, schedule and
sensor state and ticks), the read-only webserver's GraphQL API (code locations, asset checks,
freshness), `pg_database_size` on the instance's Postgres, and the free space of the mounted
volumes. A refresh runs every BOOKSHOP_MONITORING_INTERVAL_SECONDS; Prometheus scrapes what the last
one found. A part that fails counts in bookshop_exporter_refresh_errors_total{part} and leaves its
previous figures in place; bookshop_exporter_last_refresh_timestamp_seconds{part} then stops moving.
"""

import json
import logging
import math
import os
import shutil
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
import psycopg2
from prometheus_client import Counter, Gauge, Histogram, start_http_server

LOG = logging.getLogger("bookshop.exporter")
PORT = 9100
GRAPHQL_URL = "http://webserver_readonly:3000/graphql"
# The volumes whose free space is reported, where docker-compose.yml mounts them.
VOLUMES = {"data": "/data", "compute_logs": "/opt/dagster/compute_logs"}
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
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
    "dagster_instigator_tick_consecutive_failures", "Failed ticks in a row, up to the latest one.", ["type", "name"]
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


def refresh_daemons(instance: dg.DagsterInstance) -> None:
    heartbeats = instance.get_daemon_heartbeats()
    now = time.time()
    for daemon in instance.get_required_daemon_types():
        heartbeat = heartbeats.get(daemon)
        DAEMON_HEARTBEAT_AGE.labels(daemon).set(now - heartbeat.timestamp if heartbeat else math.inf)


def refresh_in_flight_runs(instance: dg.DagsterInstance) -> None:
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=IN_FLIGHT))
    counts: dict[tuple[str, str], int] = {}
    for record in records:
        key = (record.dagster_run.job_name, record.dagster_run.status.value)
        counts[key] = counts.get(key, 0) + 1
    RUNS.clear()
    for (job, status), count in counts.items():
        RUNS.labels(job, status).set(count)
    queued = [
        record.create_timestamp.timestamp()
        for record in records
        if record.dagster_run.status == dg.DagsterRunStatus.QUEUED
    ]
    QUEUE_DEPTH.set(len(queued))
    OLDEST_QUEUED_AGE.set(time.time() - min(queued) if queued else 0)


class FinishedRuns:
    """Counts each run once as it finishes: those updated since the last refresh, oldest first.

    Each refresh reads again the last OVERLAP_SECONDS before the latest update it saw (runs that
    finish in the same instant may be stored a moment apart) and skips the runs already counted.
    """

    OVERLAP_SECONDS = 60

    def __init__(self) -> None:
        self.since = time.time() - HISTORY_SECONDS
        self.counted: dict[str, float] = {}

    def refresh(self, instance: dg.DagsterInstance) -> None:
        after = datetime.fromtimestamp(self.since - self.OVERLAP_SECONDS, UTC)
        records = instance.get_run_records(
            filters=dg.RunsFilter(statuses=FINISHED, updated_after=after), order_by="update_timestamp", ascending=True
        )
        for record in records:
            run = record.dagster_run
            updated = record.update_timestamp.timestamp()
            self.since = max(self.since, updated)
            if run.run_id in self.counted:
                continue
            self.counted[run.run_id] = updated
            RUNS_FINISHED.labels(run.job_name, run.status.value).inc()
            if record.start_time and record.end_time:
                RUN_DURATION.labels(run.job_name).observe(record.end_time - record.start_time)
        horizon = self.since - 2 * self.OVERLAP_SECONDS
        self.counted = {run_id: updated for run_id, updated in self.counted.items() if updated >= horizon}


class Instigators:
    """Each running schedule and sensor: its latest tick, its failed ticks, when its next tick is due."""

    def __init__(self) -> None:
        self.since: dict[str, float] = {}

    def refresh(self, instance: dg.DagsterInstance) -> None:
        for metric in (SENSOR_EVALUATED, SENSOR_INTERVAL, SCHEDULE_DUE, INSTIGATOR_LAST_TICK, INSTIGATOR_FAILING):
            metric.clear()
        for state in instance.all_instigator_state():
            if not state.is_running:
                continue
            kind = state.instigator_type.value.lower()
            labels = (kind, state.instigator_name)
            latest = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
            if latest:
                INSTIGATOR_LAST_TICK.labels(*labels).set(latest[0].timestamp)
                failures = latest[0].consecutive_failure_count if latest[0].is_failure else 0
                INSTIGATOR_FAILING.labels(*labels).set(failures)
            self.count_failed_ticks(instance, state, labels)
            data = state.instigator_data
            if kind == "sensor" and data is not None:
                SENSOR_INTERVAL.labels(state.instigator_name).set(data.min_interval or 30)
                if data.last_tick_start_timestamp:
                    SENSOR_EVALUATED.labels(state.instigator_name).set(data.last_tick_start_timestamp)
            if kind == "schedule" and data is not None:
                after = latest[0].timestamp if latest else data.start_timestamp
                due = next_schedule_tick(state, after)
                if due is not None:
                    SCHEDULE_DUE.labels(state.instigator_name).set(due)

    def count_failed_ticks(self, instance: dg.DagsterInstance, state, labels: tuple[str, str]) -> None:
        since = self.since.get(state.selector_id, time.time() - HISTORY_SECONDS)
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, after=since, limit=1000)
        for tick in ticks:
            if tick.is_completed:
                since = max(since, tick.timestamp)
                if tick.is_failure:
                    INSTIGATOR_FAILURES.labels(*labels).inc()
        self.since[state.selector_id] = since


def graphql(query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(GRAPHQL_URL, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


def next_schedule_tick(state, after: float | None) -> float | None:
    """The first time the schedule's cron names after `after` (its latest tick, or when it was started)."""
    selector = state.selector
    data = graphql(
        NEXT_TICK_QUERY,
        {
            "selector": {
                "repositoryLocationName": selector.location_name,
                "repositoryName": selector.repository_name,
                "scheduleName": selector.name,
            },
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
    # Its own messages; only warnings from the libraries (the instance logs every schema check).
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    LOG.setLevel(logging.INFO)
    instance = dg.DagsterInstance.get()
    finished_runs = FinishedRuns()
    instigators = Instigators()
    parts: dict[str, Callable[[], None]] = {
        "daemons": lambda: refresh_daemons(instance),
        "runs": lambda: (refresh_in_flight_runs(instance), finished_runs.refresh(instance)),
        "instigators": lambda: instigators.refresh(instance),
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
