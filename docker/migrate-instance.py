"""Bring the instance's schema in Postgres up to the installed Dagster, once per Dagster version.

`dagster instance migrate` imports all of Dagster and inspects every storage: seconds of CPU on
every start. So it runs only when this database has not yet been migrated by the installed Dagster
(a new database, or an upgraded image); each success is recorded (instance_database.py). After
the migration the instance's id is made sure of (a row of instance_info, which the UI reads on
every page and the read-only webserver could not write).
"""

import subprocess
import sys
import time
from contextlib import closing

from instance_database import DAGSTER_VERSION, connect_when_up, migrated, record

POSTGRES_WAIT_SECONDS = 300
STORAGE_ID = "import dagster; dagster.DagsterInstance.get().run_storage.get_run_storage_id()"

with closing(connect_when_up(time.monotonic() + POSTGRES_WAIT_SECONDS)) as connection, connection.cursor() as cursor:
    if migrated(cursor):
        print(f"The instance was migrated by Dagster {DAGSTER_VERSION} before: nothing to do.")
        sys.exit(0)
    print(f"Migrating the instance to Dagster {DAGSTER_VERSION}.")
    subprocess.run(["dagster", "instance", "migrate"], check=True)
    subprocess.run([sys.executable, "-c", STORAGE_ID], check=True)
    record(cursor)
    print(f"The instance is migrated to Dagster {DAGSTER_VERSION}.")
