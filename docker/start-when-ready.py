"""Start a webserver as soon as what its first page needs is there: `start-when-ready.py
dagster-webserver ...` runs `dagster-webserver ...` in this process.

Loading the webserver's Python takes seconds of CPU (about 2 s here), so it is loaded first, while
Postgres, `migrate` and the code server start beside it. Then this waits until
  - `migrate` has recorded the installed Dagster (instance_database.py): the webserver never serves
    from a schema older than its Dagster;
  - every code server of the workspace (`-w`) listens, which a Dagster code server does once it
    has loaded its definitions (or kept their error): a location the webserver finds unreachable
    as it starts shows as an error until Dagster looks again, seconds later.
and hands over to the webserver's own command line. A cold start pays the longest of the three,
not their sum. A code server still silent after CODE_SERVER_WAIT_SECONDS is left to Dagster: the
webserver starts and shows that location's error until it answers.
"""

import socket
import sys
import time
from contextlib import closing
from importlib.metadata import entry_points

import yaml
from instance_database import DAGSTER_VERSION, POLL_SECONDS, connect_when_up, migrated

MIGRATION_WAIT_SECONDS = 600
CODE_SERVER_WAIT_SECONDS = 60


def code_servers(arguments: list[str]) -> list[tuple[str, int]]:
    """(host, port) of every gRPC server in the workspace file given with -w."""
    with open(arguments[arguments.index("-w") + 1]) as file:
        locations = yaml.safe_load(file)["load_from"]
    servers = [entry["grpc_server"] for entry in locations if "grpc_server" in entry]
    return [(server["host"], int(server["port"])) for server in servers]


def listens(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
        return True
    except OSError:
        return False


[script, *arguments] = sys.argv[1:]
[entry_point] = entry_points(group="console_scripts", name=script)
main = entry_point.load()

deadline = time.monotonic() + MIGRATION_WAIT_SECONDS
with closing(connect_when_up(deadline)) as connection, connection.cursor() as cursor:
    while not migrated(cursor):
        if time.monotonic() > deadline:
            wait = f"within {MIGRATION_WAIT_SECONDS} s"
            sys.exit(f"{script}: the instance was not migrated to Dagster {DAGSTER_VERSION} {wait}")
        time.sleep(POLL_SECONDS)

deadline = time.monotonic() + CODE_SERVER_WAIT_SECONDS
for address in code_servers(arguments):
    while not listens(address):
        if time.monotonic() > deadline:
            print(f"{script}: the code server at {address[0]}:{address[1]} does not answer yet; starting without it")
            break
        time.sleep(POLL_SECONDS)

sys.argv = [script, *arguments]
sys.exit(main())
