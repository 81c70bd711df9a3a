"""Least privilege in both databases, tried from the containers that hold each account."""

from support.stack import Stack

# Runs inside a Dagster container with its own DAGSTER_POSTGRES_* environment (or the user and
# password given as arguments); prints what was refused.
POSTGRES_PROBE = """
import os, sys, psycopg2
user = sys.argv[1] if len(sys.argv) > 1 else os.environ["DAGSTER_POSTGRES_USER"]
password = sys.argv[2] if len(sys.argv) > 2 else os.environ["DAGSTER_POSTGRES_PASSWORD"]
try:
    conn = psycopg2.connect(host=os.environ["DAGSTER_POSTGRES_HOST"], port=os.environ["DAGSTER_POSTGRES_PORT"],
                            dbname=os.environ["DAGSTER_POSTGRES_DB"], user=user, password=password, connect_timeout=10)
except psycopg2.OperationalError as error:
    print("connect refused:", str(error).strip().splitlines()[-1]); sys.exit()
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")
print("super, createrole, createdb:", cur.fetchone())
cur.execute("SELECT count(*) FROM runs")
print("read runs: ok")
for statement in ("UPDATE runs SET status = status", "DELETE FROM kvs WHERE false", "CREATE TABLE probe (x int)",
                  "INSERT INTO kvs (key, value) VALUES ('probe', 'x')"):
    try:
        cur.execute(statement)
        print(statement.split()[0], "allowed")
        if statement.startswith("CREATE"): cur.execute("DROP TABLE probe")
        if statement.startswith("INSERT"): cur.execute("DELETE FROM kvs WHERE key = 'probe'")
    except psycopg2.Error as error:
        print(statement.split()[0], "refused:", error.pgcode)
"""


def test_dagsters_postgres_role_is_no_superuser_and_owns_its_tables(stack: Stack):
    output = stack.exec("daemon", "python -", input=POSTGRES_PROBE).splitlines()
    assert output == [
        "super, createrole, createdb: (False, False, False)",
        "read runs: ok",
        "UPDATE allowed",
        "DELETE allowed",
        "CREATE allowed",
        "INSERT allowed",
    ]


def test_the_read_only_webserver_runs_on_a_role_that_cannot_write(stack: Stack):
    output = stack.exec("webserver_readonly", "python -", input=POSTGRES_PROBE).splitlines()
    assert output == [
        "super, createrole, createdb: (False, False, False)",
        "read runs: ok",
        "UPDATE refused: 42501",  # insufficient_privilege
        "DELETE refused: 42501",
        "CREATE refused: 42501",
        "INSERT refused: 42501",
    ]
    # ...and Dagster runs on it: the read-only UI answers from the instance.
    answer = stack.graphql_response(stack.readonly_port, "{ runsOrError { __typename } }")
    assert answer["data"]["runsOrError"]["__typename"] == "Runs"
    assert stack.http(stack.readonly_port, "/runs").status == 200  # the UI's page (it reads the instance's id)


def test_the_postgres_superuser_is_refused_over_the_network(stack: Stack):
    password = stack.env["POSTGRES_ADMIN_PASSWORD"]
    output = stack.exec("daemon", f"python - postgres '{password}'", input=POSTGRES_PROBE)
    assert output.startswith("connect refused:") and "pg_hba.conf rejects" in output, output


# Through the image's own connection to the instance (docker/instance_database.py).
FORGET_MIGRATION = """
import sys
sys.path.insert(0, "/opt/dagster/bin")
from instance_database import TABLE, connect
connect().cursor().execute(f"DELETE FROM {TABLE}")
"""


def migrate(stack: Stack) -> str:
    migrated = stack.compose("run", "--rm", "--no-deps", "migrate", timeout=300, check=False)
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    return migrated.stdout


def test_dagster_instance_migrate_works_without_a_superuser_once_per_dagster_version(stack: Stack):
    # The stack's start migrated the instance; another start finds it done.
    assert "nothing to do" in migrate(stack)
    # With no record of it (as with a newer Dagster), `dagster instance migrate` runs, as dagster.
    stack.exec("daemon", "python -", input=FORGET_MIGRATION)
    output = migrate(stack)
    assert "Migrating the instance to Dagster" in output and "The instance is migrated" in output, output
    assert "nothing to do" in migrate(stack)


MYSQL_PROBE = """
import os, sys, pymysql
user, password = sys.argv[1], sys.argv[2]
try:
    conn = pymysql.connect(host=os.environ["BOOKSHOP_MYSQL_HOST"], port=int(os.environ["BOOKSHOP_MYSQL_PORT"]),
                           user=user, password=password, database="shop", connect_timeout=10)
except pymysql.err.OperationalError as error:
    print("connect refused:", error.args[0]); sys.exit()
with conn.cursor() as cur:
    cur.execute("SHOW GRANTS FOR CURRENT_USER()")
    print(sorted(row[0].split(" TO ")[0] for row in cur.fetchall()))
    for statement in ("UPDATE orders SET status = status", "CREATE TABLE probe (x int)"):
        try:
            cur.execute(statement); print(statement.split()[0], "allowed")
        except pymysql.err.MySQLError as error:
            print(statement.split()[0], "refused:", error.args[0])
"""


def test_mysql_root_is_refused_from_other_containers(stack: Stack):
    password = stack.env["MYSQL_ROOT_PASSWORD"]
    output = stack.exec("user_code", f"python - root '{password}'", input=MYSQL_PROBE).strip()
    assert output in ("connect refused: 1045", "connect refused: 1130"), output


def test_the_pipelines_mysql_account_may_only_select(stack: Stack):
    password = stack.env["MYSQL_READER_PASSWORD"]
    output = stack.exec("user_code", f"python - bookshop_reader '{password}'", input=MYSQL_PROBE).splitlines()
    assert output == [
        "['GRANT SELECT ON `shop`.*', 'GRANT USAGE ON *.*']",
        "UPDATE refused: 1142",
        "CREATE refused: 1142",
    ]
