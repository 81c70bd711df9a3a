"""Sensors that start runs when data arrives or changes, instead of on a clock."""

import hashlib
import json
import os
import time

import dagster as dg

from bookshop import settings
from bookshop.defs.incoming import OrderFilesConfig, ingest_order_file, run_has_finished
from bookshop.defs.jobs import source_refresh
from bookshop.incoming_files import BatchLimits, IncomingOrderFiles
from bookshop.mysql import MySQLResource

# A file modified more recently than this may still be being written: wait for the next tick.
SETTLE_SECONDS = 5
# A run started only to adopt files that a dead run left claimed; if it dies too, the next
# batch run adopts them (no chain of adopting runs while storage is down).
ADOPTS_TAG = "bookshop/adopts_claims_of"


# A file whose run ended without taking it (its process died before the claim, and no retry
# took it either) is requested again, at most this many times.
MAX_REQUESTS_PER_FILE = 3


def batch_run_key(request_keys: list[str]) -> str:
    """The same files always make the same key, so a batch is never requested twice."""
    if len(request_keys) == 1:
        return request_keys[0]
    digest = hashlib.sha256("\n".join(request_keys).encode()).hexdigest()[:20]
    return f"{len(request_keys)} files:{digest}"


def files_run_request(file_names: list[str], run_key: str, tags: dict[str, str]) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key,
        run_config=dg.RunConfig(ops={"load_order_files": OrderFilesConfig(file_names=file_names)}),
        tags=tags,
    )


def runs_have_ended(instance: dg.DagsterInstance, run_key: str) -> bool:
    """Every run requested under this key (and its retries) has finished, or none was ever made."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}))
    return all(run.is_finished for run in runs)


def request_order_file_batches(
    context: dg.SensorEvaluationContext, incoming: IncomingOrderFiles, limits: BatchLimits
) -> dg.SensorResult:
    """Settled new files in batches (one run each), and one run for files a dead run left claimed.

    The cursor maps each waiting file to [its key, the run key it was requested under, how many
    times it was requested again]. A file still waiting after its run ended is requested again.
    """
    requested: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
    waiting = incoming.waiting()
    settled_before = time.time_ns() - SETTLE_SECONDS * 1_000_000_000
    ended: dict[str, bool] = {}
    new, again = [], {}
    for file in waiting:
        entry = requested.get(file.name)
        if file.mtime_ns > settled_before:
            continue
        if isinstance(entry, list) and entry[0] == file.key:
            _, run_key, count = entry
            if count >= MAX_REQUESTS_PER_FILE:
                continue
            if run_key not in ended:
                ended[run_key] = runs_have_ended(context.instance, run_key)
            if not ended[run_key]:
                continue
            again[file.name] = count + 1
        new.append(file)
    requests = []
    for batch in limits.batches(new):
        keys = [f"{file.key}#{again[file.name]}" if file.name in again else file.key for file in batch]
        run_key = batch_run_key(keys)
        requested.update({file.name: [file.key, run_key, again.get(file.name, 0)] for file in batch})
        tags = {"bookshop/order_files": str(len(batch))}
        requests.append(files_run_request([file.name for file in batch], run_key, tags))
    for dead_run_id in incoming.claims_of_finished_runs(lambda run_id: abandoned(context.instance, run_id)):
        requests.append(files_run_request([], f"adopt:{dead_run_id}", {ADOPTS_TAG: dead_run_id}))
    still_waiting = {file.name for file in waiting}
    cursor = json.dumps({name: entry for name, entry in requested.items() if name in still_waiting}, sort_keys=True)
    if not requests:
        return dg.SensorResult(skip_reason=f"No new order file in {incoming.directory}", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def abandoned(instance: dg.DagsterInstance, run_id: str) -> bool:
    """A finished run left files claimed, and it was not itself a run that only adopted such files."""
    if not run_has_finished(instance, run_id):
        return False
    run = instance.get_run_by_id(run_id)
    return run is None or ADOPTS_TAG not in run.tags


def orders_watermark(mysql: MySQLResource) -> str:
    """Newest updated_at and row count of orders: changes on every insert, update and delete."""
    [(newest, total)] = mysql.rows("SELECT MAX(updated_at), COUNT(*) FROM orders")
    return f"{newest}|{total}"


def build_incoming_orders_sensor(limits: BatchLimits, status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="incoming_orders_sensor",
        job=ingest_order_file,
        minimum_interval_seconds=15,
        default_status=status,
        description=(
            "Starts ingest_order_file runs for new CSVs in the incoming directory, in batches of at most "
            f"{limits.max_files} files and {limits.max_bytes} bytes."
        ),
    )
    def incoming_orders_sensor(context: dg.SensorEvaluationContext, incoming: IncomingOrderFiles) -> dg.SensorResult:
        return request_order_file_batches(context, incoming, limits)

    return incoming_orders_sensor


def build_mysql_orders_changed_sensor(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="mysql_orders_changed_sensor",
        job=source_refresh,
        minimum_interval_seconds=60,
        default_status=status,
        description="Starts source_refresh when orders in MySQL changed since the last look.",
    )
    def mysql_orders_changed_sensor(context: dg.SensorEvaluationContext, mysql: MySQLResource) -> dg.SensorResult:
        watermark = orders_watermark(mysql)
        if context.cursor is None:
            return dg.SensorResult(
                skip_reason=f"First look at orders: watermark {watermark} recorded", cursor=watermark
            )
        if watermark == context.cursor:
            return dg.SensorResult(skip_reason=f"Orders unchanged since {watermark}", cursor=watermark)
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=watermark)], cursor=watermark)

    return mysql_orders_changed_sensor


@dg.definitions
def sensors() -> dg.Definitions:
    env = os.environ
    status = dg.DefaultSensorStatus.RUNNING if settings.start_running(env) else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(
        sensors=[
            build_incoming_orders_sensor(BatchLimits.from_env(env), status),
            build_mysql_orders_changed_sensor(status),
        ]
    )
