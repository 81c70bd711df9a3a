"""The read-only connection to the bookshop's MySQL database."""

from __future__ import annotations

from typing import Any

import connectorx
import dagster as dg
import pandas as pd
import pymysql
from sqlalchemy import URL, Engine, Row, create_engine, text


class MySQLResource(dg.ConfigurableResource):
    """Reads the bookshop database with the pipeline's SELECT-only account.

    Whole tables stream through connectorx straight into Arrow (faster than pymysql, with less
    memory); small parameterised queries, such as the sensors' look at the orders watermark, go
    through SQLAlchemy and pymysql.
    """

    host: str
    port: int = 3306
    database: str
    user: str
    password: str
    # Every pymysql socket wait is bounded: a MySQL that stops answering (paused, hung, a network
    # that drops packets) fails the query instead of holding a run slot forever.
    connect_timeout_seconds: int = 10
    read_timeout_seconds: int = 60
    write_timeout_seconds: int = 60

    def timeouts(self) -> dict[str, Any]:
        """pymysql's connect arguments for the three bounds."""
        return {
            "connect_timeout": self.connect_timeout_seconds,
            "read_timeout": self.read_timeout_seconds,
            "write_timeout": self.write_timeout_seconds,
        }

    def url(self, driver: str = "mysql+pymysql") -> URL:
        return URL.create(
            driver,
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=self.database,
        )

    def engine(self) -> Engine:
        return create_engine(self.url(), pool_pre_ping=True, connect_args=self.timeouts())

    def rows(self, query: str, **params: object) -> list[Row]:
        """A small query with bound parameters, through SQLAlchemy: its rows, no DataFrame."""
        engine = self.engine()
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query), params))
        finally:
            engine.dispose()

    def read_table(self, query: str) -> pd.DataFrame:
        """A bulk read through connectorx and Arrow. The query takes no parameters."""
        # connectorx retries a refused login or connection for about 30 s; fail at once, and clearly.
        pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
            **self.timeouts(),
        ).close()
        # connectorx's MySQL driver takes no read or write timeout (its URL refuses `read_timeout`),
        # and a server-side statement limit does not help when the server stops answering: this
        # read is bounded by the run's maximum run time (`run_monitoring.max_runtime_seconds`).
        arrow = connectorx.read_sql(self.url("mysql").render_as_string(hide_password=False), query, return_type="arrow")
        # Each Arrow column is freed as soon as it is converted: the frame, not twice the frame, at the peak.
        return arrow.to_pandas(split_blocks=True, self_destruct=True)
