"""A compose project of the deployment, driven the way an operator would: compose and GraphQL.

`started_stack(name)` builds the images and brings the whole deployment up under a compose project
of its own: `docker-compose.yml` exactly as users run it, plus `compose.test.yml` (MySQL on an
ephemeral loopback port for the SQL cross-check, and a webhook receiver for failure alerts).
Settings that differ from the defaults: the passwords of the shared operator and viewer accounts
of an install from before personal accounts (proving they become accounts), free ports for both
entries of the login proxy, the daily refresh schedule retimed to every minute, alerts POSTed to
the receiver, the webhook receiver's container as the stand-in of an SSO proxy. Each test suite
that needs a stack (e2e, faults, security) starts its own.

Everything goes through the login proxy, as people do: the operator entry (webserver_port) as
the operator, the viewer entry (readonly_port) as the viewer, both with passwords the test sets;
the admin's password is generated on the first start and the harness reads it as the README says.
The database passwords are generated too: once the stack is up, `env` holds them under the names
of the variables that could have set them (MYSQL_READER_PASSWORD, ...).
"""

import base64
import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any

from dagster_graphql import DagsterGraphQLClient
from filelock import FileLock
from requests.auth import HTTPBasicAuth

from support.code_locations import WAREHOUSE, checkout_with

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Images are tagged apart from a developer's own (`latest`); several checkouts can test side by side.
IMAGE_TAG = os.environ.get("BOOKSHOP_TEST_IMAGE_TAG", "test")
SERVICES = (
    "mysql", "postgres", "user_code", "webserver", "webserver_readonly", "daemon",
    "proxy", "login", "docker_api_daemon", "docker_api_webserver", "exporter", "prometheus", "alertmanager",
)  # fmt: skip
ADMIN_USER = "admin"
OPERATOR_USER = "operator"
VIEWER_USER = "viewer"
GENERATED_PASSWORD = "/var/lib/bookshop-proxy/admin.password"
# Each database password's variable and its file on the password volumes (docker/passwords.sh),
# all of which the postgres service mounts.
DATABASE_PASSWORDS = {
    "POSTGRES_ADMIN_PASSWORD": "/run/bookshop-passwords/admin/postgres",
    "MYSQL_ROOT_PASSWORD": "/run/bookshop-passwords/admin/mysql_root",
    "DAGSTER_POSTGRES_PASSWORD": "/run/bookshop-passwords/dagster/postgres",
    "MYSQL_READER_PASSWORD": "/run/bookshop-passwords/dagster/mysql_reader",
    "DAGSTER_POSTGRES_VIEWER_PASSWORD": "/run/bookshop-passwords/viewer/postgres",
}
LOCATION = "bookshop"
REPOSITORY = "__repository__"
REPOSITORY_SELECTOR = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
# The failure sensor POSTs here: the receiver of compose.test.yml, on the stack's own network.
WEBHOOK_URL = "http://webhook_receiver:8080/alerts"
TIMINGS: dict[str, float] = {}
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def mutation(signature: str, call: str, *answers: str) -> str:
    """A GraphQL mutation asking for its answer's type name and, for each possible answer, its fields."""
    fragments = " ".join(f"... on {answer}" for answer in answers)
    return f"mutation({signature}) {{ {call} {{ __typename {fragments} }} }}"


# A refusal (the read-only webserver) or an error, with the message that says why.
REFUSED = ("UnauthorizedError { message }", "PythonError { message }")
# The switches of schedules and sensors, as the UI flips them.
START_SCHEDULE = mutation(
    "$selector: ScheduleSelector!",
    "startSchedule(scheduleSelector: $selector)",
    "ScheduleStateResult { scheduleState { id status } }",
    *REFUSED,
)
STOP_SCHEDULE = mutation(
    "$id: String!", "stopRunningSchedule(id: $id)", "ScheduleStateResult { scheduleState { status } }", *REFUSED
)
START_SENSOR = mutation(
    "$selector: SensorSelector!",
    "startSensor(sensorSelector: $selector)",
    "Sensor { sensorState { id status } }",
    *REFUSED,
)
STOP_SENSOR = mutation(
    "$id: String!", "stopSensor(id: $id)", "StopSensorMutationResult { instigationState { status } }", *REFUSED
)
LAUNCH_RUN = mutation(
    "$params: ExecutionParams!",
    "launchRun(executionParams: $params)",
    "LaunchRunSuccess { run { runId } }",
    "RunConfigValidationInvalid { errors { message } }",
    *REFUSED,
)
TERMINATE_RUN = mutation(
    "$runId: String!", "terminateRun(runId: $runId)", "TerminateRunFailure { message }", "UnauthorizedError { message }"
)
LOCATION_STATUS = """
query { workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename } } } } }
"""
DAEMON_HEALTH = "query { instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"
RUN_QUERY = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId jobName status creationTime startTime endTime stepStats { stepKey status } }
  }
}
"""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, whatever its status."""

    status: int
    # Looked up by name whatever its case, as HTTP names are.
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to look at (where the sign-in page sends a browser), not to follow."""

    def redirect_request(self, *_: Any) -> None:
        return None


def basic_auth(credentials: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(":".join(credentials).encode()).decode()


def docker_time(text: str) -> datetime:
    """A time as Docker records it ('2026-12-03T13:58:01.123456789Z'): nanoseconds, where Python
    reads microseconds at most."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", text))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Stack:
    project: str
    env: dict[str, str]
    env_file: Path
    webserver_port: int
    readonly_port: int
    timings: dict[str, float] = field(default_factory=lambda: TIMINGS)
    # (user, password) of each first account; the admin's is read from the login service once it is up.
    admin: tuple[str, str] = (ADMIN_USER, "")
    operator: tuple[str, str] = (OPERATOR_USER, "")
    viewer: tuple[str, str] = (VIEWER_USER, "")
    # The benchmark also drives Dagster's deploy_docker example through this harness.
    compose_files: tuple[Path, ...] = (ROOT / "docker-compose.yml", HERE / "compose.test.yml")
    location: str = LOCATION

    # ---- docker compose ------------------------------------------------------------------
    def compose(
        self,
        *args: str,
        input: str | None = None,
        timeout: float = 600,
        check: bool = True,
        env: dict[str, str] | None = None,
    ):
        files = [argument for path in self.compose_files for argument in ("-f", str(path))]
        command = [
            "docker", "compose", "--project-name", self.project, "--env-file", str(self.env_file), *files, *args,
        ]  # fmt: skip
        result = subprocess.run(
            command, cwd=ROOT, env=env or self.env, input=input, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            raise AssertionError(f"docker compose {' '.join(args)} failed ({result.returncode}):\n{output}")
        return result

    def exec(self, service: str, script: str, input: str | None = None) -> str:
        return self.compose("exec", "-T", service, "sh", "-c", script, input=input).stdout

    def build(self) -> None:
        """Build the images; under `pytest -n 2` one worker builds while the other waits, then finds them built."""
        with FileLock(Path(tempfile.gettempdir()) / f"bookshop-build-{IMAGE_TAG}.lock"):
            self.compose("build", timeout=1800)

    def up(self) -> None:
        """`docker compose up --wait`: every service healthy (a one-shot: exited 0); then the
        daemon, which Docker does not check, by its heartbeats as the UI shows them."""
        self.compose("up", "--detach", "--wait", timeout=600)
        wait_for(self.daemon_healthy, 300, "the daemon's heartbeats", interval=0.5)
        # Generated on the first start of a new install (none after a restore, which brings its people).
        generated = self.exec("login", f"cat {GENERATED_PASSWORD} 2>/dev/null || true").strip()
        self.admin = (ADMIN_USER, generated or self.admin[1])
        files = " ".join(DATABASE_PASSWORDS.values())
        kept = self.exec("postgres", f"for file in {files}; do cat $file; echo; done").splitlines()
        self.env.update(zip(DATABASE_PASSWORDS, kept, strict=True))

    def down(self, keep_volumes: bool = False) -> None:
        """Remove the project's containers (run containers too), and its volumes unless kept."""
        self.remove_run_containers()
        self.compose("down", "--remove-orphans", *([] if keep_volumes else ["--volumes"]), timeout=300)

    def services(self) -> dict[str, dict[str, Any]]:
        output = self.compose("ps", "--all", "--format", "json").stdout
        rows = [json.loads(line) for line in output.splitlines() if line.strip()]
        if len(rows) == 1 and isinstance(rows[0], list):
            rows = rows[0]
        return {row["Service"]: row for row in rows}

    def container_id(self, service: str) -> str:
        return self.compose("ps", "--quiet", service).stdout.strip()

    def posts(self) -> list[dict[str, Any]]:
        """Every JSON body the webhook receiver of compose.test.yml has been POSTed, in order."""
        lines = self.exec("webhook_receiver", "cat /tmp/alerts.jsonl 2>/dev/null || true").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def alerts(self) -> list[dict[str, Any]]:
        """The run-failure alerts the webhook received, in order."""
        return [body for body in self.posts() if "run_id" in body]

    def alertmanager_notifications(self) -> list[dict[str, Any]]:
        """Alertmanager's notifications the webhook received (firing and resolved), in order."""
        return [body for body in self.posts() if "alerts" in body and "groupKey" in body]

    def mysql_address(self) -> tuple[str, int]:
        host, port = self.compose("port", "mysql", "3306").stdout.strip().rsplit(":", 1)
        return host, int(port)

    # ---- HTTP through the proxy ------------------------------------------------------------
    def credentials(self, port: int) -> tuple[str, str]:
        """The role each entry is for: the viewer on the viewer entry, the operator elsewhere."""
        return self.viewer if port == self.readonly_port else self.operator

    def http(
        self,
        port: int,
        path: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        credentials: tuple[str, str] | None = None,
        signed_in: bool = True,
    ) -> Answer:
        """One request to an entry of the proxy, as its role (or as `credentials`, or anonymous)."""
        sent = dict(headers or {})
        if signed_in:
            sent["Authorization"] = basic_auth(credentials or self.credentials(port))
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=sent, method=method)
        opener = urllib.request.build_opener(NoRedirects)
        try:
            with opener.open(request, timeout=60) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    # ---- GraphQL -------------------------------------------------------------------------
    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient(
            "127.0.0.1", port_number=self.webserver_port, timeout=60, auth=HTTPBasicAuth(*self.operator)
        )

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.graphql_response(self.webserver_port, query, **variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def post_graphql(self, port: int, query: str, **variables: Any) -> Answer:
        """One GraphQL request to a webserver, by its entry's port, as the proxy answers it."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        headers = {"Content-Type": "application/json"}
        return self.http(port, "/graphql", method="POST", body=body, headers=headers)

    def graphql_response(self, port: int, query: str, **variables: Any) -> dict[str, Any]:
        """The whole answer of one webserver's GraphQL API (data and errors), by its entry's port."""
        answer = self.post_graphql(port, query, **variables)
        assert answer.status == 200, f"{answer.status}: {answer.body[:2000]!r}"
        return answer.json()

    def launch_run(
        self,
        job: str,
        assets: list[str] | None = None,
        port: int | None = None,
        tags: dict[str, str] | None = None,
        run_config: dict | None = None,
        location: str | None = None,
    ) -> dict[str, Any]:
        """launchRun as the UI sends it, optionally for some of the job's assets, with tags and run
        config; of the bookshop's code location unless another is named."""
        selector: dict[str, Any] = {
            "repositoryLocationName": location or self.location,
            "repositoryName": REPOSITORY,
            "jobName": job,
        }
        if assets:
            selector["assetSelection"] = [{"path": [asset]} for asset in assets]
        params: dict[str, Any] = {"selector": selector}
        if tags:
            params["executionMetadata"] = {"tags": [{"key": key, "value": value} for key, value in tags.items()]}
        if run_config:
            params["runConfigData"] = run_config
        answer = self.graphql_response(port or self.webserver_port, LAUNCH_RUN, params=params)
        assert not answer.get("errors"), answer["errors"]
        return answer["data"]["launchRun"]

    def location_loaded(self) -> bool:
        """The webserver answers and has loaded every code location of its workspace, the stack's
        own among them (False while not so: nothing listening yet, or the proxy's 502 while the
        webserver starts)."""
        try:
            answer = self.post_graphql(self.webserver_port, LOCATION_STATUS)
        except OSError:
            return False
        if answer.status != 200:
            return False
        entries = answer.json()["data"]["workspaceOrError"]["locationEntries"]
        return self.location in {entry["name"] for entry in entries} and all(
            entry["loadStatus"] == "LOADED" and entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"
            for entry in entries
        )

    def daemon_healthy(self) -> bool:
        """Every daemon the instance requires has written a recent heartbeat, as the UI's Daemons page says."""
        statuses = self.graphql(DAEMON_HEALTH)["instance"]["daemonHealth"]["allDaemonStatuses"]
        return all(status["healthy"] for status in statuses if status["required"])

    def run(self, run_id: str) -> dict[str, Any]:
        run = self.graphql(RUN_QUERY, runId=run_id)["runOrError"]
        assert run["__typename"] == "Run", run
        return run

    def wait_until_finished(self, run_id: str, timeout: float = 300) -> dict[str, Any]:
        def finished():
            run = self.run(run_id)
            return run if run["status"] in FINISHED else None

        return wait_for(finished, timeout, f"run {run_id} to finish")

    def remove_run_containers(self) -> None:
        """Run containers are not compose services: a leftover one would keep the network alive."""
        listed = subprocess.run(
            ["docker", "ps", "--all", "--quiet", "--filter", f"network={self.project}_runs"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        ids = [line for line in listed.stdout.split() if line]
        if ids:
            subprocess.run(["docker", "rm", "--force", *ids], capture_output=True, check=False)


def run_container_ids(run_id: str) -> list[str]:
    """The containers of a run (labelled with its id by the run launcher), running or not."""
    listed = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--no-trunc", "--filter", f"label=dagster/run_id={run_id}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return listed.stdout.split()


def running_run_container(run_id: str) -> dict[str, Any]:
    """The run's container as Docker inspects it, once it has started (and before it is removed)."""

    def inspected() -> dict[str, Any] | None:
        for container in run_container_ids(run_id):
            found = subprocess.run(["docker", "inspect", container], capture_output=True, text=True)
            if found.returncode == 0 and (details := json.loads(found.stdout)[0])["State"]["Running"]:
                return details
        return None

    return wait_for(inspected, 180, f"the container of run {run_id} to run", interval=0.1)


# The test stacks' clocks, through the settings an operator has: every service checked every 5 s, so
# that a service a test restarts is healthy again within seconds; the run queue looked at every
# second, so that a launched run starts at once.
TEST_CLOCKS = {"BOOKSHOP_HEALTHCHECK_INTERVAL": "5s", "DAGSTER_DEQUEUE_INTERVAL_SECONDS": "1"}


def new_stack(suite: str, checkout: Path = ROOT) -> Stack:
    """A stack not yet built or started: its own project name, free ports, an operator's password;
    from this checkout, or another (with more code locations: support/code_locations.py)."""
    docker = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    assert docker.returncode == 0, f"the {suite} tests need a running Docker engine:\n{docker.stderr}"
    env_file = Path(tempfile.mkdtemp(prefix=f"bookshop-{suite}-")) / "test.env"
    env_file.write_text("")  # a developer's .env must not leak into the test stack
    port = free_port()
    readonly_port = next(p for p in iter(free_port, None) if p != port)
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("COMPOSE_")},
        "BOOKSHOP_IMAGE_TAG": IMAGE_TAG,
        "DAGSTER_WEBSERVER_PORT": str(port),
        "DAGSTER_WEBSERVER_READONLY_PORT": str(readonly_port),
        "DAGSTER_WEBSERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BOOKSHOP_ALERT_WEBHOOK_URL": WEBHOOK_URL,
        "BOOKSHOP_OPERATOR_PASSWORD": f"operator-{secrets.token_hex(8)}",
        "BOOKSHOP_VIEWER_PASSWORD": f"viewer-{secrets.token_hex(8)}",
        # The stand-in of a company's SSO proxy: the webhook receiver's container (compose.test.yml).
        "BOOKSHOP_SSO_PROXY": "webhook_receiver",
        "DAILY_REFRESH_SCHEDULE_CRON": "* * * * *",
        "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING": "false",
    }
    stack = Stack(f"bookshop-{suite}-{os.getpid()}", env, env_file, port, readonly_port)
    stack.compose_files = (checkout / "docker-compose.yml", HERE / "compose.test.yml")
    stack.operator = (OPERATOR_USER, env["BOOKSHOP_OPERATOR_PASSWORD"])
    stack.viewer = (VIEWER_USER, env["BOOKSHOP_VIEWER_PASSWORD"])
    return stack


@contextlib.contextmanager
def started_stack(suite: str, settings: dict[str, str] | None = None, checkout: Path = ROOT) -> Iterator[Stack]:
    """Build the images, bring every service up healthy on the test clocks (with `settings` over
    the test environment's); remove everything at the end."""
    stack = new_stack(suite, checkout)
    try:
        started = time.monotonic()
        stack.build()
        TIMINGS[f"{suite}: build images"] = time.monotonic() - started
        stack.env.update(TEST_CLOCKS | (settings or {}))
        started = time.monotonic()
        stack.up()
        TIMINGS[f"{suite}: up until all healthy"] = time.monotonic() - started
        yield stack
    finally:
        logs = stack.compose("logs", "--no-color", "--tail", "200", check=False, timeout=120)
        (Path(tempfile.gettempdir()) / f"{stack.project}.log").write_text(logs.stdout + logs.stderr)
        stack.remove_run_containers()
        stack.compose("down", "--volumes", "--remove-orphans", check=False, timeout=300)


class SharedStack:
    """A started stack for the tests of several packages: started at its first use, stopped when told."""

    def __init__(self, suite: str, *code_locations: Path):
        self.suite = suite
        self.code_locations = code_locations
        self.stack: Stack | None = None
        self.running = contextlib.ExitStack()

    def start(self) -> Stack:
        if self.stack is None:
            checkout = checkout_with(*self.code_locations) if self.code_locations else ROOT
            self.stack = self.running.enter_context(started_stack(self.suite, checkout=checkout))
        return self.stack

    def stop(self) -> None:
        self.running.close()
        self.stack = None


# The stack of the packages whose tests put back what they change (e2e, security): each test passes
# alone or in any order on it. Two teams' code locations, the bookshop's and the warehouse's. Up at
# its first use; down once the last of those tests on a worker is over (tests/conftest.py,
# pytest_runtest_teardown).
SHARED_STACK = SharedStack("shared", WAREHOUSE)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 2.0) -> Any:
    """Poll until condition() returns something truthy; return it, or fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
