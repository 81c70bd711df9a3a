"""The read-only connection to the bookshop's MySQL database."""

import dagster as dg
import pandas as pd
from sqlalchemy import URL, Engine, create_engine, text


class MySQLResource(dg.ConfigurableResource):
    """Reads the bookshop database with the pipeline's SELECT-only account."""

    host: str
    port: int = 3306
    database: str
    user: str
    password: str

    def url(self) -> URL:
        return URL.create(
            "mysql+pymysql",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=self.database,
        )

    def engine(self) -> Engine:
        return create_engine(self.url(), pool_pre_ping=True, connect_args={"connect_timeout": 10})

    def read(self, query: str, **params: object) -> pd.DataFrame:
        engine = self.engine()
        try:
            with engine.connect() as connection:
                return pd.read_sql(text(query), connection, params=params)
        finally:
            engine.dispose()
