"""Every environment variable of the deployment, declared once: name, default, meaning.

Two kinds. A *setting* is what an operator may put in `.env`: docker-compose.yml reads it as
`${NAME:-default}` and `.env.example` lists it with the same default. A *wiring* variable is set by
docker-compose.yml itself for a container (a service's address, a path, a value passed on from a
setting under the name the code reads). `run=True` marks what the run launcher hands to every run
container. tests/test_variables.py checks that docker-compose.yml, the run containers' context
(dagster.yaml and the code server's DAGSTER_CONTAINER_CONTEXT) and `.env.example` name exactly
these. Adding a variable is one entry here, then its line in each of those files.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    # A setting's default, as docker-compose.yml and .env.example write it; None for wiring.
    default: str | None = None
    run: bool = False

    @property
    def is_setting(self) -> bool:
        return self.default is not None


def setting(name: str, default: str, meaning: str, run: bool = False) -> Variable:
    return Variable(name, meaning, default, run)


def wiring(name: str, meaning: str, run: bool = False) -> Variable:
    return Variable(name, meaning, None, run)


VARIABLES: tuple[Variable, ...] = (
    # ---- compose and images
    setting(
        "COMPOSE_PROJECT_NAME",
        "bookshop",
        "prefix of containers, volumes and the network; run containers find the network and volumes through it",
    ),
    setting("BOOKSHOP_USER_CODE_IMAGE", "bookshop-user-code", "image of the code server and of every run container"),
    setting("BOOKSHOP_DAGSTER_IMAGE", "bookshop-dagster", "image of the webservers, the daemon and the migration"),
    setting("BOOKSHOP_PROXY_IMAGE", "bookshop-proxy", "image of the login proxy (nginx with htpasswd)"),
    setting("BOOKSHOP_IMAGE_TAG", "latest", "tag of the three images"),
    # ---- the login proxy
    setting("BOOKSHOP_OPERATOR_BIND", "127.0.0.1", "host address of the operator entry (full UI); 0.0.0.0 exposes it"),
    setting("BOOKSHOP_VIEWER_BIND", "127.0.0.1", "host address of the viewer entry (read-only UI); 0.0.0.0 shares it"),
    setting("DAGSTER_WEBSERVER_PORT", "3000", "host port of the operator entry"),
    setting("DAGSTER_WEBSERVER_READONLY_PORT", "3001", "host port of the viewer entry"),
    setting("BOOKSHOP_OPERATOR_USER", "operator", "operators' login name"),
    setting(
        "BOOKSHOP_OPERATOR_PASSWORD", "", "operators' password; empty: generated on the first start, kept on a volume"
    ),
    setting(
        "BOOKSHOP_OPERATOR_PASSWORD_FILE",
        "/dev/null",
        "host file holding the operators' password instead (readable by uid 101)",
    ),
    setting("BOOKSHOP_VIEWER_USER", "viewer", "viewers' (ops teams') login name"),
    setting("BOOKSHOP_VIEWER_PASSWORD", "", "viewers' password; empty: generated on the first start, kept on a volume"),
    setting(
        "BOOKSHOP_VIEWER_PASSWORD_FILE",
        "/dev/null",
        "host file holding the viewers' password instead (readable by uid 101)",
    ),
    setting(
        "BOOKSHOP_TLS_DIR",
        "./proxy/tls",
        "folder with cert.pem and key.pem: both entries speak HTTPS; none there: HTTP",
    ),
    setting(
        "DAGSTER_WEBSERVER_PUBLIC_URL",
        "http://localhost:3000",
        "the UI's address as people reach it, for links in failure alerts",
    ),
    # ---- Docker engine
    setting(
        "DOCKER_SOCKET", "/var/run/docker.sock", "the Docker engine's socket; only the two socket proxies mount it"
    ),
    wiring("DOCKER_HOST", "the socket proxy that the run launcher of the daemon or webserver talks to"),
    # ---- Dagster's instance (Postgres)
    setting(
        "DAGSTER_POSTGRES_USER",
        "dagster",
        "Dagster's Postgres account: owns the instance's database, no superuser",
        run=True,
    ),
    setting("DAGSTER_POSTGRES_PASSWORD", "dagster-local-only", "its password", run=True),
    setting("DAGSTER_POSTGRES_DB", "dagster", "the instance's database", run=True),
    setting(
        "DAGSTER_POSTGRES_VIEWER_USER",
        "dagster_viewer",
        "the read-only webserver's Postgres account: reads the instance, writes nothing",
    ),
    setting("DAGSTER_POSTGRES_VIEWER_PASSWORD", "dagster-viewer-local-only", "its password"),
    setting(
        "POSTGRES_ADMIN_PASSWORD",
        "postgres-admin-local-only",
        "password of Postgres's superuser, reachable only from inside its container",
    ),
    setting(
        "DAGSTER_MAX_CONCURRENT_RUNS",
        "4",
        "runs executing at once (each a container); more wait in the queue",
        run=True,
    ),
    wiring("DAGSTER_POSTGRES_HOST", "the Postgres service", run=True),
    wiring("DAGSTER_POSTGRES_PORT", "its port", run=True),
    wiring("DAGSTER_RUN_NETWORK", "the compose network that run containers join", run=True),
    wiring("POSTGRES_USER", "the Postgres image's superuser"),
    wiring("POSTGRES_PASSWORD", "its password (POSTGRES_ADMIN_PASSWORD)"),
    # ---- bookshop source data (MySQL)
    setting("MYSQL_ROOT_PASSWORD", "root-local-only", "root password of the bundled MySQL, for an administrator"),
    setting(
        "MYSQL_ROOT_HOST", "localhost", "where root may log in from; localhost: from inside the MySQL container only"
    ),
    setting("MYSQL_READER_USER", "bookshop_reader", "the pipeline's account, SELECT on shop.* only"),
    setting("MYSQL_READER_PASSWORD", "bookshop-reader-local-only", "its password"),
    setting("BOOKSHOP_MYSQL_HOST", "mysql", "where the pipeline reads from", run=True),
    setting("BOOKSHOP_MYSQL_PORT", "3306", "its port", run=True),
    setting("BOOKSHOP_MYSQL_DATABASE", "shop", "its database", run=True),
    wiring("BOOKSHOP_MYSQL_USER", "the pipeline's account (MYSQL_READER_USER)", run=True),
    wiring("BOOKSHOP_MYSQL_PASSWORD", "its password (MYSQL_READER_PASSWORD)", run=True),
    wiring("MYSQL_DATABASE", "the database the MySQL image creates for mysql_init/"),
    # ---- files
    setting(
        "BOOKSHOP_STORAGE_PATH",
        "/data/storage",
        "Parquet storage: a folder on the data volume, or an s3:// URL",
        run=True,
    ),
    setting(
        "BOOKSHOP_EXPORTS_PATH", "/data/exports", "CSV exports: a folder on the data volume, or an s3:// URL", run=True
    ),
    wiring("BOOKSHOP_INCOMING_PATH", "the incoming order files' drop, on the data volume", run=True),
    setting("BOOKSHOP_INCOMING_MAX_FILES_PER_RUN", "100", "order files per ingest run at most; 1: one run per file"),
    setting("BOOKSHOP_INCOMING_MAX_BYTES_PER_RUN", "67108864", "bytes of order files per ingest run at most"),
    # ---- object storage (empty unless the paths above are s3:// URLs)
    setting("AWS_ACCESS_KEY_ID", "", "S3 access key (or an instance role: leave empty)", run=True),
    setting("AWS_SECRET_ACCESS_KEY", "", "S3 secret key", run=True),
    setting("AWS_DEFAULT_REGION", "us-east-1", "S3 region", run=True),
    setting("AWS_ENDPOINT_URL", "", "an S3-compatible store's address; empty: AWS S3", run=True),
    # ---- schedules
    setting("BOOKSHOP_TIMEZONE", "UTC", "IANA time zone of the schedules' crons", run=True),
    setting(
        "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING",
        "false",
        "true: schedules and sensors start running on deployment",
        run=True,
    ),
    setting("DAILY_REFRESH_SCHEDULE_CRON", "0 2 * * *", "cron of daily_refresh_schedule", run=True),
    setting("SOURCE_REFRESH_SCHEDULE_CRON", "0 */6 * * *", "cron of source_refresh_schedule", run=True),
    setting("ANALYTICS_REFRESH_SCHEDULE_CRON", "0 * * * *", "cron of analytics_refresh_schedule", run=True),
    setting("BUSINESS_HOURS_ANALYTICS_CRON", "0 9-17 * * 1-5", "cron of business_hours_analytics", run=True),
    setting("WEEKEND_PROCESSING_CRON", "0 0 * * 0,6", "cron of weekend_processing", run=True),
    # ---- retention
    setting("BOOKSHOP_RETENTION_DAYS", "90", "days of run history and handled order files kept; 0: all", run=True),
    setting("RETENTION_SCHEDULE_CRON", "30 3 * * *", "cron of retention_schedule", run=True),
    # ---- alerts
    setting(
        "BOOKSHOP_ALERT_WEBHOOK_URL", "", "receives a JSON POST for every failed run (code server only); empty: off"
    ),
    # ---- the code server
    wiring("DAGSTER_GRPC_HOST", "address the code server listens on"),
    wiring("DAGSTER_GRPC_PORT", "its port"),
    wiring("DAGSTER_LOCATION_NAME", "the code location's name"),
    wiring("DAGSTER_CURRENT_IMAGE", "the image run containers start from"),
    wiring("DAGSTER_CONTAINER_CONTEXT", "what the run launcher adds for this location's runs: variables, volumes"),
)
