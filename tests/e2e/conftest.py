"""The whole deployment, built and started once per test session under a compose project of its own.

The stack is `docker-compose.yml` exactly as users run it, plus `compose.e2e.yml` (MySQL on an
ephemeral loopback port for the SQL cross-check). Settings that differ from the defaults: random
passwords (proving they flow from the environment), a free webserver port, the daily refresh
schedule retimed to every minute, and the docker group of this machine's socket.
"""

import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.stack import TIMINGS, Stack, docker_gid, free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """Build the images, bring the five services up healthy; remove everything at the end."""
    docker = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    assert docker.returncode == 0, f"the end-to-end tests need a running Docker engine:\n{docker.stderr}"
    env_file = tmp_path_factory.mktemp("compose") / "e2e.env"
    env_file.write_text("")  # a developer's .env must not leak into the test stack
    port = free_port()
    env = {
        **os.environ,
        "BOOKSHOP_IMAGE_TAG": "e2e",
        "DOCKER_GID": docker_gid(),
        "DAGSTER_WEBSERVER_PORT": str(port),
        "DAGSTER_WEBSERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DAGSTER_POSTGRES_PASSWORD": f"pg-{secrets.token_hex(8)}",
        "MYSQL_ROOT_PASSWORD": f"root-{secrets.token_hex(8)}",
        "MYSQL_READER_PASSWORD": f"reader-{secrets.token_hex(8)}",
        "DAILY_REFRESH_SCHEDULE_CRON": "* * * * *",
        "BOOKSHOP_SCHEDULES_RUNNING": "false",
    }
    for name in list(env):
        if name.startswith("COMPOSE_"):
            del env[name]
    stack = Stack(f"bookshop-e2e-{os.getpid()}", env, env_file, port)
    try:
        started = time.monotonic()
        stack.compose("build", timeout=1800)
        TIMINGS["build images"] = time.monotonic() - started
        started = time.monotonic()
        stack.up()
        TIMINGS["up until all healthy"] = time.monotonic() - started
        yield stack
    finally:
        logs = stack.compose("logs", "--no-color", "--tail", "200", check=False, timeout=120)
        (Path(tempfile.gettempdir()) / f"{stack.project}.log").write_text(logs.stdout + logs.stderr)
        stack.remove_run_containers()
        stack.compose("down", "--volumes", "--remove-orphans", check=False, timeout=300)


@pytest.fixture(autouse=True)
def _time_each_test(request):
    started = time.monotonic()
    yield
    TIMINGS[request.node.name] = time.monotonic() - started


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("end-to-end timings")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:8.1f} s  {name}")
