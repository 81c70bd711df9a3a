"""Bring the instance's schema in Postgres up to the installed Dagster, once per Dagster version.

`dagster instance migrate` imports all of Dagster and inspects every storage: seconds of CPU, in
front of the webserver and the daemon on every start. So it runs only when this database has not
yet been migrated by the installed Dagster (a new database, or an upgraded image); each success is
recorded in a table of this deployment's, `bookshop_instance_migration`, read here with psycopg2
alone. After the migration the instance's id is made sure of (a row of instance_info, which the UI
reads on every page and the read-only webserver could not write).
"""

import os
import subprocess
import sys
from importlib.metadata import version

import psycopg2

DAGSTER_VERSION = version("dagster")
STORAGE_ID = "import dagster; dagster.DagsterInstance.get().run_storage.get_run_storage_id()"

connection = psycopg2.connect(
    host=os.environ["DAGSTER_POSTGRES_HOST"],
    port=os.environ["DAGSTER_POSTGRES_PORT"],
    user=os.environ["DAGSTER_POSTGRES_USER"],
    password=os.environ["DAGSTER_POSTGRES_PASSWORD"],
    dbname=os.environ["DAGSTER_POSTGRES_DB"],
    connect_timeout=10,
)
connection.autocommit = True
with connection, connection.cursor() as cursor:
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bookshop_instance_migration"
        " (dagster_version text PRIMARY KEY, migrated_at timestamptz NOT NULL DEFAULT now())"
    )
    cursor.execute("SELECT 1 FROM bookshop_instance_migration WHERE dagster_version = %s", (DAGSTER_VERSION,))
    if cursor.fetchone():
        print(f"The instance was migrated by Dagster {DAGSTER_VERSION} before: nothing to do.")
        sys.exit(0)
    print(f"Migrating the instance to Dagster {DAGSTER_VERSION}.")
    subprocess.run(["dagster", "instance", "migrate"], check=True)
    subprocess.run([sys.executable, "-c", STORAGE_ID], check=True)
    record = "INSERT INTO bookshop_instance_migration (dagster_version) VALUES (%s) ON CONFLICT DO NOTHING"
    cursor.execute(record, (DAGSTER_VERSION,))
    print(f"The instance is migrated to Dagster {DAGSTER_VERSION}.")
