"""The code location's shape: exact names, crons, targets and the asset graph."""

import subprocess
import sys
import traceback
from pathlib import Path

import dagster as dg
import pytest

from bookshop.definitions import defs
from bookshop.defs import jobs
from bookshop.defs.incoming.refresh import landed_orders_refresh
from support.deployments import DEFAULT_CRONS

SOURCES = {"mysql_users", "mysql_authors", "mysql_books", "mysql_orders"}
TRANSFORMS = {"users_cleaned", "orders_cleaned"}
ANALYTICS = {"user_stats", "top_authors", "daily_revenue"}
EXPORTS = {"user_stats_csv", "top_authors_csv"}
EVERY_ASSET = SOURCES | TRANSFORMS | ANALYTICS | EXPORTS

SCHEDULES = {
    "daily_refresh_schedule": "daily_refresh",
    "source_refresh_schedule": "source_refresh",
    "analytics_refresh_schedule": "analytics_refresh",
    "business_hours_analytics": "analytics_refresh",
    "weekend_processing": "weekend_batch",
    "retention_schedule": "retention",
}


def test_the_documented_command_validates_the_code_location(code_location_env, tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-m", "bookshop.definitions"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**code_location_env, "PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_asset_graph_matches_the_snapshot(definitions, snapshot):
    """A change to the graph is a change to the product: it shows in review as a change to the
    generated snapshot (`pytest tests/test_definitions.py --snapshot-update` rewrites it)."""
    asset_graph = definitions.resolve_asset_graph()
    graph = {
        spec.key.to_user_string(): {
            "group": spec.group_name,
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            "kinds": sorted(spec.kinds),
            "owners": list(spec.owners),
            "tags": {name: value for name, value in spec.tags.items() if not name.startswith("dagster/kind/")},
            "checks": sorted(key.name for key in asset_graph.get_check_keys_for_assets({spec.key})),
        }
        for spec in sorted(definitions.resolve_all_asset_specs(), key=lambda spec: spec.key.to_user_string())
    }
    assert graph == snapshot


def test_every_asset_has_a_one_line_description(definitions):
    for spec in definitions.resolve_all_asset_specs():
        assert spec.description and "\n" not in spec.description.strip(), spec.key


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        (jobs.daily_refresh, EVERY_ASSET),
        (jobs.source_refresh, SOURCES),
        (jobs.analytics_refresh, ANALYTICS | EXPORTS),
        (jobs.weekend_batch, EVERY_ASSET),
        (landed_orders_refresh, EVERY_ASSET),
    ],
)
def test_each_job_selects_exactly_its_assets(definitions, job, expected):
    graph = definitions.resolve_asset_graph()
    selected = {key for key in job.selection.resolve(graph) if graph.get(key).is_executable}

    assert {key.to_user_string() for key in selected} == expected


def test_schedules_have_their_jobs_default_crons_and_timezone_and_start_stopped(definitions):
    schedules = {schedule.name: schedule for schedule in definitions.schedules}

    assert {name: s.job_name for name, s in schedules.items()} == SCHEDULES
    assert {name: s.cron_schedule for name, s in schedules.items()} == DEFAULT_CRONS
    for schedule in schedules.values():
        assert schedule.execution_timezone == "UTC"
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        assert schedule.description


def test_environment_retimes_restarts_and_relocates_schedules(code_location_env, monkeypatch):
    monkeypatch.setenv("WEEKEND_PROCESSING_CRON", "15 1 * * 6")
    monkeypatch.setenv("BOOKSHOP_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setenv("BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING", "true")

    schedules = {schedule.name: schedule for schedule in defs().schedules}

    assert schedules["weekend_processing"].cron_schedule == "15 1 * * 6"
    assert schedules["daily_refresh_schedule"].cron_schedule == DEFAULT_CRONS["daily_refresh_schedule"]
    assert {s.execution_timezone for s in schedules.values()} == {"Europe/Amsterdam"}
    assert {s.default_status for s in schedules.values()} == {dg.DefaultScheduleStatus.RUNNING}


def test_an_invalid_cron_override_fails_the_load_naming_the_variable(code_location_env, monkeypatch):
    monkeypatch.setenv("DAILY_REFRESH_SCHEDULE_CRON", "every day at two")

    with pytest.raises(Exception) as failed:
        defs()

    explanation = "".join(traceback.format_exception(failed.value))
    assert "DAILY_REFRESH_SCHEDULE_CRON='every day at two' is not a valid cron expression" in explanation


def test_sensors_target_their_jobs(definitions):
    sensors = {sensor.name: sensor for sensor in definitions.sensors}

    assert set(sensors) == {
        "incoming_orders_sensor",
        "landed_orders_sensor",
        "mysql_orders_changed_sensor",
        "sources_automation_sensor",
        "run_failure_alert_sensor",
    }
    assert sensors["incoming_orders_sensor"].job_name == "ingest_order_file"
    assert sensors["landed_orders_sensor"].job_name == "landed_orders_refresh"
    assert sensors["mysql_orders_changed_sensor"].job_name == "source_refresh"
    assert sensors["sources_automation_sensor"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["run_failure_alert_sensor"].default_status == dg.DefaultSensorStatus.RUNNING


def test_mysql_orders_has_a_sixty_minute_freshness_policy_with_a_warning(definitions):
    spec = next(s for s in definitions.resolve_all_asset_specs() if s.key == dg.AssetKey("mysql_orders"))

    assert spec.freshness_policy.fail_window.to_timedelta().total_seconds() == 3600
    assert spec.freshness_policy.warn_window.to_timedelta().total_seconds() == 45 * 60
