"""Healthy while every daemon thread has written a heartbeat in the last 90 seconds.

What `dagster-daemon liveness-check` asks (recent heartbeats in the instance), without its cost:
the CLI imports all of Dagster, about 3 s of CPU per check. Each thread writes every 30 s.
"""

import sys
from contextlib import closing

from instance_database import connect

with closing(connect()) as conn, conn.cursor() as cur:
    cur.execute(
        "SELECT count(*), max(extract(epoch FROM (now() AT TIME ZONE 'UTC') - timestamp)) FROM daemon_heartbeats"
    )
    count, oldest = cur.fetchone()
if not count or oldest > 90:
    sys.exit(f"daemon heartbeats: {count}, oldest {oldest} s ago")
