"""A compose project of the deployment, driven the way an operator would: compose and GraphQL."""

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_graphql import DagsterGraphQLClient

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SERVICES = ("mysql", "postgres", "user_code", "webserver", "webserver_readonly", "daemon")
LOCATION = "bookshop"
REPOSITORY = "__repository__"
# The failure sensor POSTs here: the receiver of compose.e2e.yml, on the stack's own network.
WEBHOOK_URL = "http://webhook_receiver:8080/alerts"
TIMINGS: dict[str, float] = {}
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on UnauthorizedError { message }
    ... on PythonError { message }
  }
}
"""
RUN_QUERY = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId jobName status creationTime startTime endTime stepStats { stepKey status } }
  }
}
"""


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

    # ---- docker compose ------------------------------------------------------------------
    def compose(self, *args: str, input: str | None = None, timeout: float = 600, check: bool = True):
        command = [
            "docker", "compose", "--project-name", self.project, "--env-file", str(self.env_file),
            "-f", str(ROOT / "docker-compose.yml"), "-f", str(HERE / "compose.e2e.yml"), *args,
        ]  # fmt: skip
        result = subprocess.run(
            command, cwd=ROOT, env=self.env, input=input, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            raise AssertionError(f"docker compose {' '.join(args)} failed ({result.returncode}):\n{output}")
        return result

    def exec(self, service: str, script: str, input: str | None = None) -> str:
        return self.compose("exec", "-T", service, "sh", "-c", script, input=input).stdout

    def up(self) -> None:
        self.compose("up", "--detach", "--wait", "--wait-timeout", "300")

    def services(self) -> dict[str, dict[str, Any]]:
        output = self.compose("ps", "--all", "--format", "json").stdout
        rows = [json.loads(line) for line in output.splitlines() if line.strip()]
        if len(rows) == 1 and isinstance(rows[0], list):
            rows = rows[0]
        return {row["Service"]: row for row in rows}

    def container_id(self, service: str) -> str:
        return self.compose("ps", "--quiet", service).stdout.strip()

    def mysql_address(self) -> tuple[str, int]:
        host, port = self.compose("port", "mysql", "3306").stdout.strip().rsplit(":", 1)
        return host, int(port)

    # ---- GraphQL -------------------------------------------------------------------------
    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient("127.0.0.1", port_number=self.webserver_port, timeout=60)

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.graphql_response(self.webserver_port, query, **variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def graphql_response(self, port: int, query: str, **variables: Any) -> dict[str, Any]:
        """The whole answer of one webserver's GraphQL API (data and errors), by its port."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def launch_run(self, job: str, assets: list[str] | None = None, port: int | None = None) -> dict[str, Any]:
        """launchRun as the UI sends it, optionally for some of the job's assets; the mutation's answer."""
        selector: dict[str, Any] = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "jobName": job}
        if assets:
            selector["assetSelection"] = [{"path": [asset]} for asset in assets]
        answer = self.graphql_response(port or self.webserver_port, LAUNCH_RUN, params={"selector": selector})
        assert not answer.get("errors"), answer["errors"]
        return answer["data"]["launchRun"]

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
            ["docker", "ps", "--all", "--quiet", "--filter", f"network={self.project}_default"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        ids = [line for line in listed.stdout.split() if line]
        if ids:
            subprocess.run(["docker", "rm", "--force", *ids], capture_output=True, check=False)


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
