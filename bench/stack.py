"""The benchmark's own compose project of the deployment: built, started, measured and removed.

Its name (bookshop-bench-<pid>) is unique, its webservers listen on free loopback ports, and a
developer's `.env` is left out: nothing here touches another project's containers or volumes.
"""

import json
import os
import secrets
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.process import ROOT

OVERLAY = Path(__file__).resolve().with_name("compose.bench.yml")
IMAGE_TAG = "bench"


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

    @classmethod
    def create(cls) -> "Stack":
        project = f"bookshop-bench-{os.getpid()}"
        port = free_port()
        env = {name: value for name, value in os.environ.items() if not name.startswith("COMPOSE_")}
        env.update(
            {
                "COMPOSE_PROJECT_NAME": project,
                "BOOKSHOP_IMAGE_TAG": IMAGE_TAG,
                "DAGSTER_WEBSERVER_PORT": str(port),
                "DAGSTER_WEBSERVER_READONLY_PORT": str(free_port()),
                "DAGSTER_WEBSERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "DAGSTER_POSTGRES_PASSWORD": f"pg-{secrets.token_hex(8)}",
                "MYSQL_ROOT_PASSWORD": f"root-{secrets.token_hex(8)}",
                # The benchmark reads the source as an administrator, from the host.
                "MYSQL_ROOT_HOST": "%",
                "BOOKSHOP_OPERATOR_PASSWORD": f"operator-{secrets.token_hex(8)}",
                "MYSQL_READER_PASSWORD": f"reader-{secrets.token_hex(8)}",
                "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING": "false",
            }
        )
        env_file = Path(tempfile.mkdtemp(prefix="bench-compose-")) / "bench.env"
        env_file.write_text("")  # a developer's .env must not change what is measured
        return cls(project, env, env_file, port)

    def compose(self, *arguments: str, timeout: float = 900) -> str:
        command = [
            "docker", "compose", "--project-name", self.project, "--env-file", str(self.env_file),
            "-f", str(ROOT / "docker-compose.yml"), "-f", str(OVERLAY), *arguments,
        ]  # fmt: skip
        result = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            raise RuntimeError(f"docker compose {' '.join(arguments)} failed:\n{output}")
        return result.stdout

    def build(self) -> float:
        started = time.monotonic()
        self.compose("build", timeout=3600)
        return time.monotonic() - started

    def up(self) -> None:
        self.compose("up", "--detach", "--wait", "--wait-timeout", "300")

    def down(self, keep_volumes: bool = False) -> None:
        """Remove the project (with its volumes unless kept), and any run container left on its network."""
        listed = subprocess.run(
            ["docker", "ps", "--all", "--quiet", "--filter", f"network={self.project}_default"],
            capture_output=True, text=True,
        )  # fmt: skip
        if listed.stdout.split():
            subprocess.run(["docker", "rm", "--force", *listed.stdout.split()], capture_output=True)
        self.compose("down", "--remove-orphans", *([] if keep_volumes else ["--volumes"]), timeout=300)

    def containers(self) -> dict[str, str]:
        """Running service name -> container id."""
        rows = [json.loads(line) for line in self.compose("ps", "--format", "json").splitlines() if line.strip()]
        if len(rows) == 1 and isinstance(rows[0], list):
            rows = rows[0]
        return {row["Service"]: row["ID"] for row in rows}

    def images(self) -> list[str]:
        return sorted(set(self.compose("config", "--images").split()))

    def mysql_admin_url(self) -> str:
        host, port = self.compose("port", "mysql", "3306").strip().rsplit(":", 1)
        return f"mysql://root:{self.env['MYSQL_ROOT_PASSWORD']}@{host}:{port}"

    def user_code_image(self) -> str:
        return f"{self.env.get('BOOKSHOP_USER_CODE_IMAGE', 'bookshop-user-code')}:{IMAGE_TAG}"
