"""A MySQL-compatible server holding the bookshop data from mysql_init/, for integration tests.

With BOOKSHOP_TEST_MYSQL_ADMIN_URL set (e.g. mysql+pymysql://root@127.0.0.1:3306 on a machine
with a local MariaDB), mysql_init/ is loaded there. Without it, the compose stack's own `mysql`
service is started under a project of its own, exactly as users run it.
"""

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import URL, Engine, create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[2]
MYSQL_INIT = ROOT / "mysql_init"
READER = "bookshop_reader"


@dataclass(frozen=True)
class ShopDatabase:
    host: str
    port: int
    reader_password: str

    def engine(self) -> Engine:
        return create_engine(URL.create("mysql+pymysql", READER, self.reader_password, self.host, self.port, "shop"))


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


def compose(project: str, reader_password: str, *args: str) -> str:
    command = [
        "docker",
        "compose",
        "-p",
        project,
        "-f",
        "docker-compose.yml",
        "-f",
        "tests/integration/compose.mysql.yml",
    ]
    env = {**os.environ, "MYSQL_READER_PASSWORD": reader_password}
    return subprocess.run(command + list(args), cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def shop_database() -> ShopDatabase:
    admin_url = os.environ.get("BOOKSHOP_TEST_MYSQL_ADMIN_URL")
    password = f"reader-{uuid.uuid4().hex[:12]}"
    if admin_url:
        load_mysql_init(admin_url, password)
        url = make_url(admin_url)
        yield ShopDatabase(url.host or "127.0.0.1", url.port or 3306, password)
        return
    project = f"bookshop-it-{uuid.uuid4().hex[:8]}"
    try:
        compose(project, password, "up", "--detach", "--wait", "mysql")
        host, port = compose(project, password, "port", "mysql", "3306").strip().rsplit(":", 1)
        yield ShopDatabase(host, int(port), password)
    finally:
        compose(project, password, "down", "--volumes", "--remove-orphans")
