"""The sensor that starts source_refresh when MySQL orders change (the drop folder's sensors are in incoming/)."""

import os

import dagster as dg

from bookshop import settings
from bookshop.defs.jobs import source_refresh
from bookshop.mysql import MySQLResource


def orders_watermark(mysql: MySQLResource) -> str:
    """Newest updated_at, highest id and deletes recorded: changes on every insert, update and delete.

    Each is read from an index (COUNT(*) of orders would scan the whole table on every tick).
    """
    query = (
        "SELECT (SELECT MAX(updated_at) FROM orders), (SELECT MAX(id) FROM orders),"
        " (SELECT COUNT(*) FROM orders_deleted)"
    )
    [(newest, highest, deletes)] = mysql.rows(query)
    return f"{newest}|{highest}|{deletes}"


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
    return dg.Definitions(sensors=[build_mysql_orders_changed_sensor(status)])
