"""A MySQL-compatible server holding the bookshop data from mysql_init/, for integration tests.

With BOOKSHOP_TEST_MYSQL_ADMIN_URL set (e.g. mysql+pymysql://root@127.0.0.1:3306 on a machine
with a local MariaDB), mysql_init/ is loaded there. Without it, the compose stack's own `mysql`
service is started under a project of its own, exactly as users run it.
"""

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import URL, Engine, create_engine, make_url, text

from bookshop.definitions import defs
from support.s3 import LocalS3, local_s3

ROOT = Path(__file__).resolve().parents[2]
MYSQL_INIT = ROOT / "mysql_init"
READER = "bookshop_reader"


@dataclass(frozen=True)
class ShopDatabase:
    host: str
    port: int
    reader_password: str
    admin_url: URL

    def engine(self) -> Engine:
        return create_engine(URL.create("mysql+pymysql", READER, self.reader_password, self.host, self.port, "shop"))

    def admin_engine(self) -> Engine:
        return create_engine(self.admin_url.set(database="shop"))


def load_mysql_init(admin_url: str, reader_password: str) -> None:
    """Run mysql_init/ as the MySQL image would: *.sql in order, *.sh with docker_process_sql."""
    statements = []
    for script in sorted(MYSQL_INIT.iterdir()):
        if script.suffix == ".sql":
            statements += script.read_text().split(";\n")
        elif script.suffix == ".sh":
            produced = subprocess.run(
                ["bash", "-c", f'docker_process_sql() {{ cat; }}; source "{script}"'],
                env={**os.environ, "MYSQL_READER_USER": READER, "MYSQL_READER_PASSWORD": reader_password},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            statements += produced.split(";\n")
    engine = create_engine(admin_url)
    with engine.begin() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS shop"))
        connection.execute(text(f"DROP USER IF EXISTS '{READER}'@'%'"))
        for statement in statements:
            lines = [line for line in statement.splitlines() if not line.lstrip().startswith("--")]
            if "".join(lines).strip():
                connection.execute(text("\n".join(lines)))
    engine.dispose()


def compose(project: str, passwords: dict[str, str], *args: str) -> str:
    files = ["-f", "docker-compose.yml", "-f", "tests/support/compose.test.yml"]
    command = ["docker", "compose", "-p", project, *files, *args]
    env = {**os.environ, **passwords}
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def started_shop_database() -> Iterator[ShopDatabase]:
    """The shop's MySQL: BOOKSHOP_TEST_MYSQL_ADMIN_URL's server, else the compose stack's mysql
    service alone under a project of its own (tests/conftest.py's `shop_database` fixture)."""
    admin_url = os.environ.get("BOOKSHOP_TEST_MYSQL_ADMIN_URL")
    password = f"reader-{uuid.uuid4().hex[:12]}"
    if admin_url:
        load_mysql_init(admin_url, password)
        url = make_url(admin_url)
        yield ShopDatabase(url.host or "127.0.0.1", url.port or 3306, password, url)
        return
    project = f"bookshop-it-{uuid.uuid4().hex[:8]}"
    # Root logs in from the host here (to load and change the source); the deployment keeps it local.
    passwords = {
        "MYSQL_READER_PASSWORD": password,
        "MYSQL_ROOT_PASSWORD": f"root-{uuid.uuid4().hex[:12]}",
        "MYSQL_ROOT_HOST": "%",
    }
    try:
        compose(project, passwords, "up", "--detach", "--wait", "mysql")
        host, port = compose(project, passwords, "port", "mysql", "3306").strip().rsplit(":", 1)
        root = URL.create("mysql+pymysql", "root", passwords["MYSQL_ROOT_PASSWORD"], host, int(port))
        yield ShopDatabase(host, int(port), password, root)
    finally:
        compose(project, passwords, "down", "--volumes", "--remove-orphans")


def pipeline_env(shop_database: ShopDatabase, folder: Path) -> dict[str, str]:
    """The code location's environment, reading shop_database and keeping its files in folder."""
    return {
        "BOOKSHOP_MYSQL_HOST": shop_database.host,
        "BOOKSHOP_MYSQL_PORT": str(shop_database.port),
        "BOOKSHOP_MYSQL_DATABASE": "shop",
        "BOOKSHOP_MYSQL_USER": READER,
        "BOOKSHOP_MYSQL_PASSWORD": shop_database.reader_password,
        "BOOKSHOP_STORAGE_PATH": str(folder / "storage"),
        "BOOKSHOP_EXPORTS_PATH": str(folder / "exports"),
        "BOOKSHOP_INCOMING_PATH": str(folder / "incoming"),
        "BOOKSHOP_ALERT_WEBHOOK_URL": "",
        "DAGSTER_WEBSERVER_PUBLIC_URL": "http://localhost:3000",
    }


def run_job(job_name: str, env: dict[str, str], instance) -> dg.ExecuteInProcessResult:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return defs().resolve_job_def(job_name).execute_in_process(instance=instance)


@pytest.fixture
def s3(monkeypatch) -> Iterator[LocalS3]:
    """A local S3 API (moto server) and a fresh bucket; the AWS variables point this process at it."""
    with local_s3() as started:
        for name, value in started.env.items():
            monkeypatch.setenv(name, value)
        yield started
