"""Least privilege in both databases, tried from the containers that hold each account, and
passwords of their own on every install."""

import dataclasses
import subprocess
import tempfile
from pathlib import Path

from support.stack import DATABASE_PASSWORDS, ROOT, Stack

# The fixed passwords every install had before they were generated.
OLD_DEFAULTS = {
    "POSTGRES_ADMIN_PASSWORD": "postgres-admin-local-only",
    "MYSQL_ROOT_PASSWORD": "root-local-only",
    "DAGSTER_POSTGRES_PASSWORD": "dagster-local-only",
    "MYSQL_READER_PASSWORD": "bookshop-reader-local-only",
    "DAGSTER_POSTGRES_VIEWER_PASSWORD": "dagster-viewer-local-only",
}
# A Python command in a Dagster container with the environment its processes get (`docker compose
# exec` bypasses the image's entrypoint, which exports the mounted database passwords).
PYTHON = "export-passwords.sh python -"

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
    output = stack.exec("daemon", PYTHON, input=POSTGRES_PROBE).splitlines()
    assert output == [
        "super, createrole, createdb: (False, False, False)",
        "read runs: ok",
        "UPDATE allowed",
        "DELETE allowed",
        "CREATE allowed",
        "INSERT allowed",
    ]


def test_the_read_only_webserver_runs_on_a_role_that_cannot_write(stack: Stack):
    output = stack.exec("webserver_readonly", PYTHON, input=POSTGRES_PROBE).splitlines()
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
    output = stack.exec("daemon", f"{PYTHON} postgres '{password}'", input=POSTGRES_PROBE)
    assert output.startswith("connect refused:") and "pg_hba.conf rejects" in output, output


def test_dagster_instance_migrate_works_without_a_superuser(stack: Stack):
    """`migrate` runs on every start as Dagster's own account: the stack's start did, and so does another."""
    migrated = stack.compose("run", "--rm", "--no-deps", "migrate", timeout=300, check=False)
    assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
    assert "Storage schema state after migration" in migrated.stdout


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


def test_every_database_password_was_generated_and_none_is_shared(stack: Stack):
    passwords = {name: stack.env[name] for name in DATABASE_PASSWORDS}
    assert len(set(passwords.values())) == len(passwords)
    assert all(len(password) >= 32 for password in passwords.values())
    assert not set(passwords.values()) & set(OLD_DEFAULTS.values())


def kept_passwords(install: Stack) -> dict[str, str]:
    """The password volumes' files of an install, read by its `passwords` service."""
    files = " ".join(DATABASE_PASSWORDS.values())
    script = f"for file in {files}; do cat $file; echo; done"
    read = install.compose("run", "--rm", "-T", "--entrypoint", "sh", "passwords", "-c", script)
    return dict(zip(DATABASE_PASSWORDS, read.stdout.splitlines(), strict=True))


def test_another_install_generates_its_own_or_takes_them_from_the_environment_or_a_file(stack: Stack):
    """A second install's generation step alone, with nothing set; then with a variable and a file."""
    unset = {name: value for name, value in stack.env.items() if name not in DATABASE_PASSWORDS}
    other = dataclasses.replace(stack, project=f"{stack.project}-other", env=unset)
    folder = Path(tempfile.mkdtemp(prefix="bookshop-secret-"))
    folder.chmod(0o755)
    secret = folder / "dagster-postgres-password"
    secret.write_text(f"from-a-file-{other.project}")
    secret.chmod(0o644)
    try:
        first_start = other.compose("run", "--rm", "passwords")
        generated = kept_passwords(other)
        assert len(set(generated.values())) == len(generated)
        # Its log says how to read each generated password, and shows none.
        logged = first_start.stdout + first_start.stderr
        assert "docker compose exec postgres cat /run/bookshop-passwords/dagster/postgres" in logged
        assert not any(password in logged for password in generated.values())
        assert not set(generated.values()) & {stack.env[name] for name in DATABASE_PASSWORDS}
        other.compose("run", "--rm", "passwords")
        assert kept_passwords(other) == generated, "kept across starts"

        given = {**unset, "MYSQL_READER_PASSWORD": "from-the-env", "DAGSTER_POSTGRES_PASSWORD_FILE": str(secret)}
        other.compose("run", "--rm", "passwords", env=given)
        assert kept_passwords(other) == {
            **generated,
            "MYSQL_READER_PASSWORD": "from-the-env",
            "DAGSTER_POSTGRES_PASSWORD": f"from-a-file-{other.project}",
        }
        both = {**given, "DAGSTER_POSTGRES_PASSWORD": "also-set"}
        refused = other.compose("run", "--rm", "passwords", env=both, check=False)
        assert refused.returncode != 0
        assert "not both" in refused.stdout + refused.stderr
    finally:
        other.compose("down", "--volumes", check=False)


def test_no_container_is_configured_with_a_password_and_each_mounts_only_its_own(stack: Stack):
    passwords = [stack.env[name] for name in DATABASE_PASSWORDS]
    services = ("postgres", "mysql", "user_code", "webserver", "webserver_readonly", "daemon", "proxy")
    ids = [stack.container_id(service) for service in services]
    inspected = subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, check=True).stdout
    assert not any(password in inspected for password in passwords)
    mounted = {service: stack.exec(service, "ls /run/bookshop-passwords").split() for service in services[2:6]}
    assert mounted == {
        "user_code": ["mysql_reader", "postgres"],
        "webserver": ["mysql_reader", "postgres"],
        "webserver_readonly": ["postgres"],  # the viewer account's
        "daemon": ["mysql_reader", "postgres"],
    }


# The operator guide's upgrade command for MySQL (in `docker compose exec mysql sh -c '...'`).
ADOPT_MYSQL_PASSWORDS = (
    'MYSQL_PWD="root-local-only" mysql -uroot -e "ALTER USER $MYSQL_READER_USER IDENTIFIED BY'
    ' \\"$(cat /run/bookshop-passwords/dagster/mysql_reader)\\"; ALTER USER root@localhost IDENTIFIED BY'
    ' \\"$(cat /run/bookshop-passwords/admin/mysql_root)\\""'
)


def test_an_install_from_before_generated_passwords_adopts_them_as_the_upgrade_note_says(stack: Stack):
    """Its data volumes hold the old fixed passwords; one command per database gives them the new ones."""
    old = OLD_DEFAULTS["DAGSTER_POSTGRES_VIEWER_PASSWORD"]
    stack.exec("postgres", f"psql -U postgres -qc \"ALTER ROLE dagster_viewer PASSWORD '{old}'\"")
    assert stack.exec("webserver_readonly", PYTHON, input=POSTGRES_PROBE).startswith("connect refused:")
    stack.exec("postgres", "bash /docker-entrypoint-initdb.d/02_role_passwords.sh")
    assert stack.exec("webserver_readonly", PYTHON, input=POSTGRES_PROBE).startswith("super, createrole")

    root, reader = stack.env["MYSQL_ROOT_PASSWORD"], stack.env["MYSQL_READER_PASSWORD"]
    old = OLD_DEFAULTS["MYSQL_READER_PASSWORD"]
    old_root = OLD_DEFAULTS["MYSQL_ROOT_PASSWORD"]
    stack.exec(
        "mysql",
        f"MYSQL_PWD='{root}' mysql -uroot -e \"ALTER USER bookshop_reader IDENTIFIED BY '{old}';"
        f" ALTER USER root@localhost IDENTIFIED BY '{old_root}'\"",
    )
    probe = f"python - bookshop_reader '{reader}'"
    assert stack.exec("user_code", probe, input=MYSQL_PROBE).strip() == "connect refused: 1045"
    assert f"docker compose exec mysql sh -c '{ADOPT_MYSQL_PASSWORDS}'" in (ROOT / "docs/operator-guide.md").read_text()
    stack.exec("mysql", ADOPT_MYSQL_PASSWORDS.replace("root-local-only", old_root))
    assert stack.exec("user_code", probe, input=MYSQL_PROBE).startswith("['GRANT SELECT ON `shop`.*'")
    assert stack.exec("mysql", f"MYSQL_PWD='{root}' mysql -uroot -N -e 'SELECT 1'").strip() == "1"
