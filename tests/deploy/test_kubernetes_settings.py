"""One configuration, two deployments: the code location under the chart's settings.

The image is the same under compose and under the Helm chart; only the environment differs.
Here the definitions load with what the chart's pods get (deploy/helm's ConfigMaps, the Secrets'
keys with stand-in values, the AWS variables), and every resource resolves to those settings.
"""

import dagster as dg
import pytest
import yaml

from bookshop.definitions import defs
from support.deployments import DEFAULT_CRONS, HELM, declared_settings, run_pod_environment


@pytest.fixture
def kubernetes_env(monkeypatch):
    env = run_pod_environment()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_the_pods_get_every_variable_the_compose_code_location_gets_a_value_for():
    # A variable compose passes on only when `.env` sets it (`${NAME:-}`) keeps the code's default.
    compose = declared_settings()
    given = {name for name, value in compose.items() if value != f"${{{name}:-}}"}

    assert given <= set(run_pod_environment())


def test_the_code_server_and_the_run_pods_get_the_same_settings():
    chart = yaml.safe_load((HELM / "values.yaml").read_text())
    [deployment] = [each for each in chart["dagster-user-deployments"]["deployments"] if each["name"] == "bookshop"]
    launcher = chart["runLauncher"]["config"]["k8sRunLauncher"]

    assert deployment["envConfigMaps"] == launcher["envConfigMaps"]
    assert deployment["envSecrets"] == launcher["envSecrets"]
    assert deployment["volumeMounts"] == launcher["volumeMounts"]


def test_resources_resolve_to_the_kubernetes_settings(kubernetes_env):
    resources = defs().resources
    with dg.build_resources(resources) as built:
        mysql, exports, incoming, webhook = built.mysql, built.exports, built.incoming, built.failure_webhook
        snapshots = built.snapshot_io_manager

    assert (mysql.host, mysql.port, mysql.database) == ("mysql.shop.svc.cluster.local", 3306, "shop")
    assert (mysql.user, mysql.password) == ("bookshop_reader", "from-the-secret")
    assert exports.path == "s3://bookshop-data/exports"
    assert (incoming.path, incoming.storage_path) == ("/data/incoming", "s3://bookshop-data/storage")
    assert (webhook.url, webhook.webserver_url) == ("https://hooks.example.com/bookshop", "https://dagster.example.com")
    assert snapshots.tables.base_path == "s3://bookshop-data/storage"
    # The Parquet IO manager holds a UPath once built; its setting is the same variable.
    assert resources["io_manager"].base_path == dg.EnvVar("BOOKSHOP_STORAGE_PATH")


def test_the_definitions_load_with_the_kubernetes_settings(kubernetes_env):
    schedules = {schedule.name: schedule for schedule in defs().schedules}

    assert schedules["daily_refresh_schedule"].cron_schedule == DEFAULT_CRONS["daily_refresh_schedule"]
    assert schedules["daily_refresh_schedule"].execution_timezone == "UTC"
