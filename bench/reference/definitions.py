"""deploy_docker's code location with one asset that reads the bookshop's authors from MySQL."""

import os

import dagster as dg
import pymysql


@dg.asset
def authors() -> dg.MaterializeResult:
    """Every author in the bookshop's MySQL, counted."""
    connection = pymysql.connect(
        host=os.environ["BOOKSHOP_MYSQL_HOST"],
        user=os.environ["BOOKSHOP_MYSQL_USER"],
        password=os.environ["BOOKSHOP_MYSQL_PASSWORD"],
        database="shop",
    )
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT id, name, country, created_at, updated_at FROM authors")
        rows = cursor.fetchall()
    return dg.MaterializeResult(metadata={"row_count": len(rows)})


defs = dg.Definitions(assets=[authors])
