"""Resources, configured from the environment (see .env.example for every variable)."""

import dagster as dg

from bookshop.files import ExportDirectory, IncomingOrderFiles
from bookshop.mysql import MySQLResource
from bookshop.parquet_io_manager import ParquetIOManager
from bookshop.snapshot_table import SnapshotTableIOManager
from bookshop.webhook import FailureWebhook


@dg.definitions
def resources() -> dg.Definitions:
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
            "snapshot_io_manager": SnapshotTableIOManager(base_path=dg.EnvVar("BOOKSHOP_STORAGE_PATH")),
            "exports": ExportDirectory(path=dg.EnvVar("BOOKSHOP_EXPORTS_PATH")),
            "incoming": IncomingOrderFiles(
                path=dg.EnvVar("BOOKSHOP_INCOMING_PATH"), storage_path=dg.EnvVar("BOOKSHOP_STORAGE_PATH")
            ),
            "failure_webhook": FailureWebhook(
                url=dg.EnvVar("BOOKSHOP_ALERT_WEBHOOK_URL"), webserver_url=dg.EnvVar("DAGSTER_WEBSERVER_PUBLIC_URL")
            ),
        }
    )
