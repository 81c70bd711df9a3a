"""The exporter's figures, from a Dagster instance of the test's own (no Docker, no Postgres).
Queued runs need a code location to be made; the faults stack shows the queue's figures."""

import importlib.util
import math
import uuid
from collections.abc import Iterator
from types import ModuleType

import dagster as dg
import pytest
from prometheus_client import REGISTRY

from support.stack import ROOT


@pytest.fixture(scope="module")
def exporter() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bookshop_exporter", ROOT / "monitoring" / "exporter.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as temporary:
        yield temporary


def add_run(instance: dg.DagsterInstance, job: str, status: dg.DagsterRunStatus) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(dg.DagsterRun(job_name=job, run_id=run_id, status=status))
    return run_id


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_runs_in_flight_by_job_and_status(exporter, instance):
    add_run(instance, "daily_refresh", dg.DagsterRunStatus.STARTED)
    add_run(instance, "daily_refresh", dg.DagsterRunStatus.STARTED)
    add_run(instance, "analytics_refresh", dg.DagsterRunStatus.STARTING)
    add_run(instance, "analytics_refresh", dg.DagsterRunStatus.SUCCESS)
    exporter.refresh_in_flight_runs(instance)
    assert sample("dagster_runs", job="daily_refresh", status="STARTED") == 2
    assert sample("dagster_runs", job="analytics_refresh", status="STARTING") == 1
    assert sample("dagster_runs", job="analytics_refresh", status="SUCCESS") is None
    assert sample("dagster_run_queue_depth") == 0
    assert sample("dagster_run_oldest_queued_age_seconds") == 0


def test_each_finished_run_is_counted_once(exporter, instance):
    job = f"job_{uuid.uuid4().hex[:6]}"
    finished = exporter.FinishedRuns()
    add_run(instance, job, dg.DagsterRunStatus.FAILURE)
    add_run(instance, job, dg.DagsterRunStatus.SUCCESS)
    finished.refresh(instance)
    finished.refresh(instance)
    assert sample("dagster_runs_finished_total", job=job, status="FAILURE") == 1
    add_run(instance, job, dg.DagsterRunStatus.FAILURE)
    finished.refresh(instance)
    assert sample("dagster_runs_finished_total", job=job, status="FAILURE") == 2
    assert sample("dagster_runs_finished_total", job=job, status="SUCCESS") == 1


def test_a_daemon_that_never_wrote_a_heartbeat_is_infinitely_stale(exporter, instance):
    exporter.refresh_daemons(instance)
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
