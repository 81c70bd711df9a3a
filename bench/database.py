"""The benchmark's own database beside `shop`: orders at benchmark size, driven with the `mysql` CLI."""

import os
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import make_url

ORDERS_SQL = Path(__file__).resolve().with_name("orders.sql")


@dataclass(frozen=True)
class BenchDatabase:
    """A database named `name` on the server of an admin account, next to the server's `shop`."""

    host: str
    port: int
    user: str
    password: str
    name: str

    @classmethod
    def from_admin_url(cls, admin_url: str, name: str) -> "BenchDatabase":
        url = make_url(admin_url)
        return cls(url.host or "127.0.0.1", url.port or 3306, url.username or "root", url.password or "", name)

    def cli(self, *arguments: str) -> tuple[list[str], dict[str, str]]:
        """The `mysql` client command on this database, and its environment (the password stays off argv)."""
        command = ["mysql", "--protocol=TCP", "-h", self.host, "-P", str(self.port), "-u", self.user, *arguments]
        return command, {**os.environ, "MYSQL_PWD": self.password}

    def sql(self, statements: str, in_database: bool = True) -> str:
        command, env = self.cli("-N", "-B", "-e", statements, *([self.name] if in_database else []))
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"mysql failed on {statements[:200]!r}: {result.stderr.strip()}")
        return result.stdout

    def create(self, rows: int) -> None:
        """(Re)create the database with `rows` orders copied from shop.orders (bench/orders.sql)."""
        self.sql(f"DROP DATABASE IF EXISTS `{self.name}`; CREATE DATABASE `{self.name}`", in_database=False)
        command, env = self.cli(f"--init-command=SET @rows = {int(rows)}", self.name)
        with ORDERS_SQL.open("rb") as script:
            loaded = subprocess.run(command, env=env, stdin=script, capture_output=True, text=True)
        if loaded.returncode != 0:
            raise RuntimeError(f"{ORDERS_SQL.name} failed: {loaded.stderr.strip()}")

    def drop(self) -> None:
        self.sql(f"DROP DATABASE IF EXISTS `{self.name}`", in_database=False)

    def grant_reader(self, user: str) -> None:
        """Let the pipeline's SELECT-only account read this database as it reads `shop`."""
        self.sql(f"GRANT SELECT ON `{self.name}`.* TO '{user}'@'%'", in_database=False)

    def change_orders(self, count: int) -> int:
        """Update the same `count` orders on every call, whatever the table's size: ids 7, 107, 207, ..."""
        changed = self.sql(
            "UPDATE orders SET quantity = quantity + 1, updated_at = UTC_TIMESTAMP()"
            f" WHERE id % 100 = 7 AND id < {int(count) * 100}; SELECT ROW_COUNT()"
        )
        return int(changed)

    def count(self) -> int:
        return int(self.sql("SELECT COUNT(*) FROM orders"))

    def cents_total(self) -> int:
        """The sum of every unit price in cents, computed exactly in DECIMAL by the database."""
        return int(Decimal(self.sql("SELECT SUM(unit_price * 100) FROM orders").strip()))

    def pipeline_env(self) -> dict[str, str]:
        """The code location's MySQL settings, pointed at this database (the admin account reads it)."""
        return {
            "BOOKSHOP_MYSQL_HOST": self.host,
            "BOOKSHOP_MYSQL_PORT": str(self.port),
            "BOOKSHOP_MYSQL_DATABASE": self.name,
            "BOOKSHOP_MYSQL_USER": self.user,
            "BOOKSHOP_MYSQL_PASSWORD": self.password,
        }
