"""Start a webserver as soon as its instance is migrated: `start-when-migrated.py
dagster-webserver ...` runs `dagster-webserver ...` in this process.

Loading the webserver's Python takes seconds of CPU (about 3 s here), so it is loaded first,
while Postgres and the one-shot `migrate` service start beside it. Then this waits until
`migrate` has recorded the installed Dagster (instance_database.py) and hands over to the
webserver's own command line. A cold start pays the load or the migration, whichever is longer,
instead of one after the other; the webserver never serves from a schema older than its Dagster.
"""

import sys
import time
from contextlib import closing
from importlib.metadata import entry_points

from instance_database import DAGSTER_VERSION, POLL_SECONDS, connect_when_up, migrated

WAIT_SECONDS = 600

[script, *arguments] = sys.argv[1:]
[entry_point] = entry_points(group="console_scripts", name=script)
main = entry_point.load()
deadline = time.monotonic() + WAIT_SECONDS
with closing(connect_when_up(deadline)) as connection, connection.cursor() as cursor:
    while not migrated(cursor):
        if time.monotonic() > deadline:
            sys.exit(f"{script}: the instance was not migrated to Dagster {DAGSTER_VERSION} within {WAIT_SECONDS} s")
        time.sleep(POLL_SECONDS)
sys.argv = [script, *arguments]
sys.exit(main())
