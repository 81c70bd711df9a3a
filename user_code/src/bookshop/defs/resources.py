"""Resources, configured from the environment (see .env.example for every variable)."""

import os

import dagster as dg

from bookshop import settings
from bookshop.incoming_files import IncomingOrderFiles
from bookshop.mysql import MySQLResource
from bookshop.storage.exports import ExportDirectory
from bookshop.storage.parquet import ParquetIOManager
from bookshop.storage.snapshot_table import SnapshotTableIOManager, SnapshotTables
from bookshop.webhook import FailureWebhook


@dg.definitions
def resources() -> dg.Definitions:
    tables = SnapshotTables(base_path=dg.EnvVar("BOOKSHOP_STORAGE_PATH"))
    return dg.Definitions(
        resources={
            "mysql": MySQLResource(
                host=dg.EnvVar("BOOKSHOP_MYSQL_HOST"),
                port=dg.EnvVar.int("BOOKSHOP_MYSQL_PORT"),
                database=dg.EnvVar("BOOKSHOP_MYSQL_DATABASE"),
                user=dg.EnvVar("BOOKSHOP_MYSQL_USER"),
                password=dg.EnvVar("BOOKSHOP_MYSQL_PASSWORD"),
            ),
            "io_manager": ParquetIOManager(base_path=dg.EnvVar("BOOKSHOP_STORAGE_PATH")),
            "tables": tables,
            "snapshot_io_manager": SnapshotTableIOManager(tables=tables),
            "exports": ExportDirectory(path=dg.EnvVar("BOOKSHOP_EXPORTS_PATH")),
            "incoming": IncomingOrderFiles(
                path=dg.EnvVar("BOOKSHOP_INCOMING_PATH"), storage_path=dg.EnvVar("BOOKSHOP_STORAGE_PATH")
            ),
            "failure_webhook": FailureWebhook(
                url=dg.EnvVar("BOOKSHOP_ALERT_WEBHOOK_URL"),
                webserver_url=dg.EnvVar("DAGSTER_WEBSERVER_PUBLIC_URL"),
                first_retry_seconds=settings.alert_interval_seconds(os.environ),
            ),
        }
    )
