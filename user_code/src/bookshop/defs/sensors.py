"""Sensors that start runs when data arrives or changes, instead of on a clock."""

import json
import os
import time

import dagster as dg

from bookshop import settings
from bookshop.defs.incoming import ingest_order_file
from bookshop.defs.jobs import source_refresh
from bookshop.files import IncomingOrderFiles
from bookshop.mysql import MySQLResource

# A file modified more recently than this may still be being written: wait for the next tick.
SETTLE_SECONDS = 5


def request_new_order_files(context: dg.SensorEvaluationContext, incoming: IncomingOrderFiles) -> dg.SensorResult:
    """One run per new file. The cursor maps each waiting file to the run key already requested."""
    requested: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    waiting = incoming.waiting()
    settled_before = time.time_ns() - SETTLE_SECONDS * 1_000_000_000
    requests = []
    for file in waiting:
        if file.mtime_ns > settled_before or requested.get(file.path.name) == file.run_key:
            continue
        requested[file.path.name] = file.run_key
        requests.append(
            dg.RunRequest(
                run_key=file.run_key,
                run_config={"ops": {"load_order_file": {"config": {"file_name": file.path.name}}}},
                tags={"bookshop/order_file": file.path.name},
            )
        )
    still_waiting = {file.path.name for file in waiting}
    cursor = json.dumps({name: key for name, key in requested.items() if name in still_waiting}, sort_keys=True)
    if not requests:
        return dg.SensorResult(skip_reason=f"No new order file in {incoming.directory}", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def orders_watermark(mysql: MySQLResource) -> str:
    """Newest updated_at and row count of orders: changes on every insert, update and delete."""
    [(newest, total)] = mysql.rows("SELECT MAX(updated_at), COUNT(*) FROM orders")
    return f"{newest}|{total}"


def request_refresh_if_orders_changed(context: dg.SensorEvaluationContext, mysql: MySQLResource) -> dg.SensorResult:
    watermark = orders_watermark(mysql)
    if context.cursor is None:
        return dg.SensorResult(skip_reason=f"First look at orders: watermark {watermark} recorded", cursor=watermark)
    if watermark == context.cursor:
        return dg.SensorResult(skip_reason=f"Orders unchanged since {watermark}", cursor=watermark)
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=watermark)], cursor=watermark)


@dg.definitions
def sensors() -> dg.Definitions:
    status = dg.DefaultSensorStatus.RUNNING if settings.start_running(os.environ) else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(
        sensors=[
            dg.SensorDefinition(
                name="incoming_orders_sensor",
                evaluation_fn=request_new_order_files,
                job=ingest_order_file,
                minimum_interval_seconds=15,
                default_status=status,
                description="Starts one ingest_order_file run for each new CSV in the incoming directory.",
            ),
            dg.SensorDefinition(
                name="mysql_orders_changed_sensor",
                evaluation_fn=request_refresh_if_orders_changed,
                job=source_refresh,
                minimum_interval_seconds=60,
                default_status=status,
                description="Starts source_refresh when orders in MySQL changed since the last look.",
            ),
        ]
    )
