"""Stop the deployment's run containers when the deployment stops.

Run containers are not compose services: `docker compose down` (or `stop`) would leave a run going
after every service of its stack has stopped. The `run_stopper` service runs this and waits. When
compose stops it, after the daemon (which depends on it, so no retry is launched afterwards) and
before Postgres and the daemon's socket proxy (which it depends on), it stops
every run container of this compose project through that proxy, all at once. Each run's worker
then records its interruption (the run fails, with the reason in its event log); one that cannot
is marked failed by run monitoring on the next start. A restart of the daemon alone leaves runs
going.
"""

import signal
import sys
from concurrent.futures import ThreadPoolExecutor

import docker

# Seconds a run's worker is given to record its interruption before Docker kills it.
STOP_SECONDS = 20


def stop_runs(signal_number: int, frame: object) -> None:
    running = docker.from_env().containers.list(filters={"label": "dagster/run_id"})
    with ThreadPoolExecutor(max(len(running), 1)) as pool:
        list(pool.map(lambda container: container.stop(timeout=STOP_SECONDS), running))
    print(f"Stopped {len(running)} run container(s).", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop_runs)
print("Waiting to stop the run containers when the deployment stops.", flush=True)
signal.pause()
