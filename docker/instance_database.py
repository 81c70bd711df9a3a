"""The instance's Postgres for the scripts beside Dagster's services, through psycopg2 only (no
Dagster import: a fraction of a second): a connection from the DAGSTER_POSTGRES_* variables, and
the record of which Dagster versions have migrated the instance's schema.

`migrate-instance.py` (the one-shot `migrate` service) writes the record after `dagster instance
migrate`; `start-when-ready.py` (the webservers) reads it before serving. Both start with
Postgres, so both wait for it to answer. `daemon-healthcheck.py` reads the daemon's heartbeats.
"""

import os
import time
from importlib.metadata import version

import psycopg2

DAGSTER_VERSION = version("dagster")
TABLE = "bookshop_instance_migration"
POLL_SECONDS = 0.2


def connect():
    connection = psycopg2.connect(
        host=os.environ["DAGSTER_POSTGRES_HOST"],
        port=os.environ["DAGSTER_POSTGRES_PORT"],
        user=os.environ["DAGSTER_POSTGRES_USER"],
        password=os.environ["DAGSTER_POSTGRES_PASSWORD"],
        dbname=os.environ["DAGSTER_POSTGRES_DB"],
        connect_timeout=10,
    )
    connection.autocommit = True
    return connection


def connect_when_up(deadline: float):
    """A connection, once Postgres answers (first start: once its initialisation is done); until
    the monotonic clock's `deadline`, then its error."""
    while True:
        try:
            return connect()
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(POLL_SECONDS)


def migrated(cursor) -> bool:
    """Whether the installed Dagster has migrated this instance (False while the record does not exist)."""
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,))
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(f"SELECT 1 FROM {TABLE} WHERE dagster_version = %s", (DAGSTER_VERSION,))
    return cursor.fetchone() is not None


def record(cursor) -> None:
    columns = "dagster_version text PRIMARY KEY, migrated_at timestamptz NOT NULL DEFAULT now()"
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({columns})")
    cursor.execute(f"INSERT INTO {TABLE} (dagster_version) VALUES (%s) ON CONFLICT DO NOTHING", (DAGSTER_VERSION,))
