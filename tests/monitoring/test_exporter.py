"""The exporter's figures, as a Dagster webserver's GraphQL API gives them: a webserver of the
test's own over an instance in a temporary folder and the code location of instigators.py (no
Docker, no Postgres, no daemon: no ticks). The faults stack shows the queue's figures and the
daemon's heartbeats."""

import importlib.util
import math
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import dagster as dg
import pytest
from prometheus_client import REGISTRY

from support.stack import ROOT, free_port, wait_for


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


@pytest.fixture(scope="module")
def webserver(dagster_home: Path) -> Iterator[str]:
    """The GraphQL address of a read-only webserver of instigators.py's code location, over `dagster_home`."""
    port = free_port()
    command = [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(
        [*command, "-f", str(Path(__file__).with_name("instigators.py")), "--read-only"],
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers() -> bool:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5).status == 200
        except OSError:
            return False

    try:
        wait_for(answers, 120, "the test's webserver", interval=0.5)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture(scope="module")
def exporter(webserver: str) -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bookshop_exporter", ROOT / "monitoring" / "exporter.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.GRAPHQL_URL = webserver
    yield module


@pytest.fixture(scope="module")
def instance(dagster_home: Path) -> Iterator[dg.DagsterInstance]:
    """The webserver's instance, as the daemon and the run workers write it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        with dg.DagsterInstance.get() as shared:
            yield shared


def add_run(instance: dg.DagsterInstance, job: str, status: dg.DagsterRunStatus) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name=job, run_id=run_id, status=status))
    return run_id


def sample(metric: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(metric, labels)


def test_runs_in_flight_by_job_and_status(exporter, instance):
    daily, analytics = f"daily_{uuid.uuid4().hex[:6]}", f"analytics_{uuid.uuid4().hex[:6]}"
    add_run(instance, daily, dg.DagsterRunStatus.STARTED)
    add_run(instance, daily, dg.DagsterRunStatus.STARTED)
    add_run(instance, analytics, dg.DagsterRunStatus.STARTING)
    add_run(instance, analytics, dg.DagsterRunStatus.SUCCESS)
    exporter.refresh_in_flight_runs()
    assert sample("dagster_runs", job=daily, status="STARTED") == 2
    assert sample("dagster_runs", job=analytics, status="STARTING") == 1
    assert sample("dagster_runs", job=analytics, status="SUCCESS") is None
    assert sample("dagster_run_queue_depth") == 0
    assert sample("dagster_run_oldest_queued_age_seconds") == 0


def test_each_finished_run_is_counted_once(exporter, instance):
    job = f"job_{uuid.uuid4().hex[:6]}"
    finished = exporter.FinishedRuns()
    add_run(instance, job, dg.DagsterRunStatus.FAILURE)
    add_run(instance, job, dg.DagsterRunStatus.SUCCESS)
    finished.refresh()
    finished.refresh()
    assert sample("dagster_runs_finished_total", job=job, status="FAILURE") == 1
    add_run(instance, job, dg.DagsterRunStatus.FAILURE)
    finished.refresh()
    assert sample("dagster_runs_finished_total", job=job, status="FAILURE") == 2
    assert sample("dagster_runs_finished_total", job=job, status="SUCCESS") == 1


def test_a_daemon_that_never_wrote_a_heartbeat_is_infinitely_stale(exporter, instance):
    exporter.refresh_daemons()
    required = instance.get_required_daemon_types()
    assert required
    for daemon in required:
        assert sample("dagster_daemon_heartbeat_age_seconds", daemon=daemon) == math.inf


def test_free_space_of_each_volume(exporter, monkeypatch, tmp_path):
    monkeypatch.setattr(exporter, "VOLUMES", {"data": str(tmp_path)})
    exporter.refresh_volumes()
    free, size = (
        sample("bookshop_volume_free_bytes", volume="data"),
        sample("bookshop_volume_size_bytes", volume="data"),
    )
    assert 0 < free <= size


def test_a_failing_part_is_counted_and_keeps_its_last_refresh_time(exporter):
    def broken() -> None:
        raise ConnectionError("no database")

    exporter.run_part("database", lambda: None)
    refreshed = sample("bookshop_exporter_last_refresh_timestamp_seconds", part="database")
    errors = sample("bookshop_exporter_refresh_errors_total", part="database") or 0
    exporter.run_part("database", broken)
    assert sample("bookshop_exporter_refresh_errors_total", part="database") == errors + 1
    assert sample("bookshop_exporter_last_refresh_timestamp_seconds", part="database") == refreshed


def test_each_running_schedule_and_sensor_with_its_next_tick_and_interval(exporter):
    exporter.Instigators().refresh()
    assert sample("dagster_schedule_next_tick_due_timestamp_seconds", name="running_schedule") > time.time()
    assert sample("dagster_sensor_minimum_interval_seconds", name="running_sensor") == 45
    assert sample("dagster_schedule_next_tick_due_timestamp_seconds", name="stopped_schedule") is None


def test_a_long_tick_that_fails_is_counted_though_other_ticks_ended_since_it_started(exporter, monkeypatch):
    """The ticks are as the API gives them (after `after`, by when each started): a sensor's tick
    still under way while another's end moves on is read again, and counted, once it is over."""
    now = time.time()
    slow = f"slow_{uuid.uuid4().hex[:6]}"
    ticks = {
        "quick": [{"id": "q1", "timestamp": now, "status": "SUCCESS"}],
        slow: [{"id": "s1", "timestamp": now - 600, "status": "STARTED"}],
    }

    def answer(query: str, variables: dict) -> dict:
        def state(name: str) -> dict:
            recent = [tick for tick in ticks[name] if tick["timestamp"] > variables["after"]]
            return {"status": "RUNNING", "typeSpecificData": None, "latest": ticks[name], "recent": recent}

        sensors = [{"name": name, "minIntervalSeconds": 30, "sensorState": state(name)} for name in ticks]
        location = {"name": "here", "repositories": [{"name": "there", "schedules": [], "sensors": sensors}]}
        return {"workspaceOrError": {"locationEntries": [{"locationOrLoadError": location}]}}

    monkeypatch.setattr(exporter, "graphql", answer)
    instigators = exporter.Instigators()
    instigators.refresh()
    ticks[slow] = [{"id": "s1", "timestamp": now - 600, "status": "FAILURE"}]
    instigators.refresh()
    instigators.refresh()
    assert sample("dagster_instigator_tick_failures_total", type="sensor", name=slow) == 1
