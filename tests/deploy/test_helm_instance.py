"""The instance the Helm chart would configure from deploy/helm/values.yaml, loaded by Dagster itself.

The tests need no `helm` binary: the chart's `dagster.yaml` is built below from the values,
following the chart's own template (`helm/dagster/templates/configmap-instance.yaml` and
`templates/helpers/instance/*.tpl` of dagster-io/dagster) for the branches these values take.
It is then loaded into a real `DagsterInstance` with dagster-k8s and dagster-aws of the locked
versions: Dagster's config schema checks every key, the run launcher, the compute log manager
and the run coordinator are constructed from it, and the launcher builds the Job it would
submit for a run, whose Kubernetes objects the Kubernetes client checks. Two settings are
changed for loading without a cluster and a database, and only for that: the run launcher reads
a kubeconfig file written by the test instead of a pod's service account, and the Postgres
storages do not create their tables on start.
"""

import re
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_aws.s3 import S3ComputeLogManager
from dagster_k8s import K8sRunLauncher, construct_dagster_k8s_job

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "deploy" / "helm" / "values.yaml"
COMPOSE_INSTANCE = ROOT / "dagster.yaml"
RELEASE, NAMESPACE = "dagster", "bookshop"

POSTGRES_STORAGES = {
    "run_storage": ("dagster_postgres.run_storage", "PostgresRunStorage"),
    "event_log_storage": ("dagster_postgres.event_log", "PostgresEventLogStorage"),
    "schedule_storage": ("dagster_postgres.schedule_storage", "PostgresScheduleStorage"),
}

# A kubeconfig that names a cluster nobody contacts: the launcher only loads it.
KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:1"}}],
    "users": [{"name": "none", "user": {"token": "unused"}}],
    "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
    "current-context": "none",
}


def chart_values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def names(references: list[dict]) -> list[str]:
    return [reference["name"] for reference in references if "name" in reference]


def postgres_storage(values: dict) -> dict:
    """dagsterYaml.postgresql.config, with postgresql.enabled false (an external server)."""
    postgresql = values["postgresql"]
    assert postgresql["enabled"] is False, "only an external Postgres is rendered here"
    config = {
        "username": postgresql["postgresqlUsername"],
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "hostname": postgresql["postgresqlHost"],
        "db_name": postgresql["postgresqlDatabase"],
        "port": postgresql["service"]["port"],
        "params": postgresql.get("postgresqlParams", {}),
    }
    if postgresql.get("postgresqlScheme"):
        config["scheme"] = postgresql["postgresqlScheme"]
    return {"postgres_db": config}


def snake_case(key: str) -> str:
    """The chart's camelCase key as dagster.yaml names it: kubeconfigFile -> kubeconfig_file."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def set_keys(source: dict, keys: list[str]) -> dict:
    """The chart's optional keys that are set, under their dagster.yaml names (the templates' `if`)."""
    return {snake_case(key): source[key] for key in keys if source.get(key)}


def k8s_run_launcher(values: dict) -> dict:
    """dagsterYaml.runLauncher.k8s."""
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    config = {
        "load_incluster_config": launcher["loadInclusterConfig"],
        "job_namespace": launcher.get("jobNamespace") or NAMESPACE,
        "image_pull_policy": launcher["imagePullPolicy"],
        "service_account_name": values.get("global", {}).get("serviceAccountName") or RELEASE,
        "dagster_home": "/opt/dagster/dagster_home",
        "instance_config_map": f"{RELEASE}-instance",
        "postgres_password_secret": values["global"]["postgresqlSecretName"],
    }
    for key in ("envConfigMaps", "envSecrets"):
        if launcher.get(key):
            config[snake_case(key)] = names(launcher[key])
    config.update(
        set_keys(
            launcher,
            ["kubeconfigFile", "envVars", "volumeMounts", "volumes", "labels", "resources", "securityContext"],
        )
    )
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


def queued_run_coordinator(values: dict) -> dict:
    """dagsterYaml.runCoordinator.queued."""
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] and coordinator["type"] == "QueuedRunCoordinator"
    queue = coordinator["config"]["queuedRunCoordinator"]
    config = {"max_concurrent_runs": queue.get("maxConcurrentRuns", -1)}
    config.update(
        set_keys(queue, ["tagConcurrencyLimits", "dequeueIntervalSeconds", "dequeueUseThreads", "dequeueNumWorkers"])
    )
    return {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator", "config": config}


def s3_compute_logs(values: dict) -> dict:
    """dagsterYaml.computeLogManager.s3."""
    assert values["computeLogManager"]["type"] == "S3ComputeLogManager"
    logs = values["computeLogManager"]["config"]["s3ComputeLogManager"]
    config = {"bucket": logs["bucket"], "verify": logs.get("verify") is not False}
    config.update(
        set_keys(
            logs,
            [
                *("localDir", "prefix", "useSsl", "verifyCertPath", "endpointUrl", "skipEmptyFiles"),
                *("uploadInterval", "uploadExtraArgs", "showUrlOnly", "region"),
            ],
        )
    )
    return {"module": "dagster_aws.s3.compute_log_manager", "class": "S3ComputeLogManager", "config": config}


def daemon_settings(values: dict) -> dict:
    """run_monitoring, run_retries, sensors and schedules, from dagsterDaemon."""
    daemon = values["dagsterDaemon"]
    rendered = {}
    monitoring = daemon["runMonitoring"]
    if monitoring["enabled"]:
        rendered["run_monitoring"] = {
            "enabled": True,
            "start_timeout_seconds": monitoring["startTimeoutSeconds"],
            "poll_interval_seconds": monitoring["pollIntervalSeconds"],
            "free_slots_after_run_end_seconds": monitoring["freeSlotsAfterRunEndSeconds"],
        }
        for key, name in (
            ("cancelTimeoutSeconds", "cancel_timeout_seconds"),
            ("maxResumeRunAttempts", "max_resume_run_attempts"),
        ):
            if monitoring.get(key) is not None:
                rendered["run_monitoring"][name] = monitoring[key]
    if daemon["runRetries"]["enabled"]:
        rendered["run_retries"] = {"enabled": True}
        if daemon["runRetries"].get("maxRetries"):
            rendered["run_retries"]["max_retries"] = daemon["runRetries"]["maxRetries"]
    for kind in ("sensors", "schedules"):
        threads = daemon[kind]
        if threads["useThreads"]:
            rendered[kind] = {"use_threads": True}
            for key, name in (("numWorkers", "num_workers"), ("numSubmitWorkers", "num_submit_workers")):
                if threads.get(key):
                    rendered[kind][name] = threads[key]
    return rendered


def retention(values: dict) -> dict:
    kinds = {"sensor": "sensor", "schedule": "schedule", "autoMaterialize": "auto_materialize"}
    return {
        name: {"purge_after_days": values["retention"][key]["purgeAfterDays"]}
        for key, name in kinds.items()
        if values["retention"].get(key)
    }


def chart_instance(values: dict) -> dict:
    """The `dagster.yaml` of the chart's `<release>-instance` ConfigMap, for these values."""
    assert values.get("scheduler", {}).get("type", "DagsterDaemonScheduler") == "DagsterDaemonScheduler"
    assert not values.get("pythonLogs"), "python_logs is not rendered here"
    storage = postgres_storage(values)
    instance = {
        "scheduler": {"module": "dagster.core.scheduler", "class": "DagsterDaemonScheduler"},
        **{
            key: {"module": module, "class": name, "config": storage}
            for key, (module, name) in POSTGRES_STORAGES.items()
        },
        "run_launcher": k8s_run_launcher(values),
        "run_coordinator": queued_run_coordinator(values),
        "compute_logs": s3_compute_logs(values),
        **daemon_settings(values),
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }
    if values["retention"]["enabled"]:
        instance["retention"] = retention(values)
    additional = values.get("additionalInstanceConfig", {})
    assert not set(additional) & set(instance), "a key rendered twice would be a duplicate in dagster.yaml"
    return {**instance, **additional}


def loadable_without_a_cluster(instance: dict, folder: Path) -> dict:
    """The two changes that let the instance load here (see the module docstring)."""
    kubeconfig = folder / "kubeconfig.yaml"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    launcher = instance["run_launcher"]["config"]
    launcher = {**launcher, "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)}
    storages = {
        key: {**instance[key], "config": {**instance[key]["config"], "should_autocreate_tables": False}}
        for key in POSTGRES_STORAGES
    }
    return {**instance, **storages, "run_launcher": {**instance["run_launcher"], "config": launcher}}


def load_instance(instance: dict, folder: Path) -> dg.DagsterInstance:
    (folder / "dagster.yaml").write_text(yaml.safe_dump(loadable_without_a_cluster(instance, folder)))
    return dg.DagsterInstance.from_config(str(folder))


@pytest.fixture
def instance_env(monkeypatch):
    """What the chart's pods carry: the password from the Secret, the endpoint from the ConfigMap."""
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "from-the-secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")


@pytest.fixture
def instance(instance_env, tmp_path):
    with load_instance(chart_instance(chart_values()), tmp_path) as loaded:
        yield loaded


def test_runs_are_kubernetes_jobs_sized_from_the_values(instance):
    values = chart_values()["runLauncher"]["config"]["k8sRunLauncher"]
    launcher = instance.run_launcher

    assert isinstance(launcher, K8sRunLauncher)
    assert launcher.job_namespace == NAMESPACE
    assert launcher.instance_config_map == f"{RELEASE}-instance"
    assert launcher.postgres_password_secret == "dagster-postgresql-secret"
    assert launcher.env_config_maps == ["bookshop-settings", "bookshop-object-store"]
    assert launcher.env_secrets == ["bookshop-secrets", "bookshop-object-store-credentials"]
    assert launcher.resources == values["resources"]
    assert launcher.resources["requests"]["memory"] == "768Mi"
    assert launcher.volume_mounts == [{"name": "incoming", "mountPath": "/data/incoming"}]


def test_step_logs_go_to_the_bucket(instance):
    manager = instance.compute_log_manager

    assert isinstance(manager, S3ComputeLogManager)
    assert manager.inst_data.config_dict == {
        "bucket": "bookshop-dagster",
        "prefix": "compute-logs",
        "endpoint_url": {"env": "AWS_ENDPOINT_URL"},
        "verify": True,
        "upload_interval": 30,
        "skip_empty_files": True,
    }


def test_history_is_kept_in_the_external_postgres(instance):
    for key, (module, name) in POSTGRES_STORAGES.items():
        data = getattr(instance, key.removesuffix("_storage") + "_storage").inst_data
        assert (data.module_name, data.class_name) == (module, name)
        assert data.config_dict["postgres_db"]["hostname"] == "postgres.databases.svc.cluster.local"
        assert data.config_dict["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}


def test_queue_monitoring_retries_and_retention_are_the_compose_deployments(instance):
    compose = yaml.safe_load(COMPOSE_INSTANCE.read_text())
    queue = instance.run_coordinator.inst_data.config_dict

    assert queue["max_concurrent_runs"] == 4  # compose: DAGSTER_MAX_CONCURRENT_RUNS, default 4
    assert queue["tag_concurrency_limits"] == compose["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert queue["dequeue_interval_seconds"] == 5  # compose: DAGSTER_DEQUEUE_INTERVAL_SECONDS, default 5

    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_max_resume_run_attempts == compose["run_monitoring"]["max_resume_run_attempts"]
    assert instance.run_monitoring_poll_interval_seconds == compose["run_monitoring"]["poll_interval_seconds"]
    assert instance.run_monitoring_cancel_timeout_seconds == compose["run_monitoring"]["cancel_timeout_seconds"]
    assert instance.run_monitoring_start_timeout_seconds == 300  # compose 180, plus an image pull

    assert instance.run_retries_enabled
    assert instance.run_retries_max_retries == compose["run_retries"]["max_retries"]
    assert instance.run_retries_retry_on_asset_or_op_failure is False

    # Dagster's default for ticks still running (-1: kept) is written out, as the chart's schema asks.
    started = {"started": -1}
    assert instance.get_settings("retention") == {
        "schedule": compose["retention"]["schedule"],
        "sensor": {"purge_after_days": {**compose["retention"]["sensor"]["purge_after_days"], **started}},
        "auto_materialize": {
            "purge_after_days": {**compose["retention"]["auto_materialize"]["purge_after_days"], **started}
        },
    }
    assert instance.get_settings("sensors") == compose["sensors"]
    assert instance.get_settings("schedules") == compose["schedules"]


def test_nux_and_telemetry_are_off(instance):
    assert instance.nux_enabled is False
    assert instance.telemetry_enabled is False


def test_dagster_refuses_a_key_it_does_not_know(instance_env, tmp_path):
    values = chart_values()
    values["additionalInstanceConfig"]["run_retries"]["max_retires"] = 1

    with pytest.raises(dg.DagsterInvalidConfigError, match="max_retires"):
        load_instance(chart_instance(values), tmp_path)


IMAGE = "registry.example.com/bookshop/bookshop-user-code:abc1234"


def run_job(instance: dg.DagsterInstance):
    """The Job manifest the launcher would submit for a run, built by dagster-k8s as launch_run
    builds it. The Kubernetes client's models refuse a key they do not know."""
    launcher = instance.run_launcher
    context = launcher.get_container_context_for_run(dg.DagsterRun(job_name="daily_refresh", run_id="0" * 32))
    job = construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(job_image=IMAGE, run_launcher=launcher),
        args=["dagster", "api", "execute_run"],
        job_name="dagster-run-0",
        user_defined_k8s_config=context.run_k8s_config,
        component="run_worker",
    )
    return context.namespace, job


def test_a_run_becomes_the_job_the_values_describe(instance):
    namespace, job = run_job(instance)
    pod = job.spec.template.spec
    [container] = pod.containers
    resources = chart_values()["runLauncher"]["config"]["k8sRunLauncher"]["resources"]

    assert namespace == NAMESPACE
    assert container.image == IMAGE
    assert container.resources.to_dict() == {**resources, "claims": None}
    sources = [(ref.config_map_ref or ref.secret_ref).name for ref in container.env_from]
    assert sources == [
        "bookshop-settings",
        "bookshop-object-store",
        "bookshop-secrets",
        "bookshop-object-store-credentials",
    ]
    password = next(env for env in container.env if env.name == "DAGSTER_PG_PASSWORD")
    assert password.value_from.secret_key_ref.name == "dagster-postgresql-secret"
    mounts = {mount.name: mount.mount_path for mount in container.volume_mounts}
    assert mounts["incoming"] == "/data/incoming"
    claims = {volume.name: volume.persistent_volume_claim for volume in pod.volumes}
    assert claims["incoming"].claim_name == "bookshop-incoming"
    assert container.security_context.run_as_non_root is True
    assert container.security_context.allow_privilege_escalation is False


def test_kubernetes_refuses_a_misspelt_object(instance_env, tmp_path):
    values = chart_values()
    values["runLauncher"]["config"]["k8sRunLauncher"]["volumeMounts"] = [{"name": "incoming", "mountpath": "/data"}]

    with load_instance(chart_instance(values), tmp_path) as loaded, pytest.raises(Exception, match="mountpath"):
        run_job(loaded)
