import dataclasses
import re

import pytest

from bookshop import settings
from bookshop.definitions import defs
from bookshop.defs import schedules
from support.deployments import DEFAULT_CRONS, ROOT, compose_environment, run_pod_environment


def test_defaults_when_nothing_is_set():
    assert settings.timezone({}) == "UTC"
    assert settings.start_running({}) is False
    assert settings.retention_days({}) == 90
    assert settings.alert_interval_seconds({}) == 30
    assert settings.schedule_cron({}, "daily_refresh_schedule", "0 2 * * *") == "0 2 * * *"


def test_overrides_are_read_from_their_variables():
    env = {
        "DAILY_REFRESH_SCHEDULE_CRON": " 30 3 * * * ",
        "BOOKSHOP_TIMEZONE": "Europe/Amsterdam",
        "BOOKSHOP_ALERT_INTERVAL_SECONDS": "5",
    }

    assert settings.schedule_cron(env, "daily_refresh_schedule", "0 2 * * *") == "30 3 * * *"
    assert settings.timezone(env) == "Europe/Amsterdam"
    assert settings.alert_interval_seconds(env) == 5


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("1", True), ("YES", True), ("false", False), ("0", False)]
)
def test_start_running_accepts_common_booleans(value, expected):
    assert settings.start_running({"BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING": value}) is expected


def test_bad_values_name_their_variable():
    bad_switch = "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING='maybe' must be true or false"
    with pytest.raises(settings.SettingsError, match=bad_switch):
        settings.start_running({"BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING": "maybe"})
    with pytest.raises(settings.SettingsError, match="BOOKSHOP_TIMEZONE='Mars/Olympus' is not an IANA time zone"):
        settings.timezone({"BOOKSHOP_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(settings.SettingsError, match="BOOKSHOP_RETENTION_DAYS='ninety' must be a whole number"):
        settings.retention_days({"BOOKSHOP_RETENTION_DAYS": "ninety"})
    for never in ("0", "-5", "half a minute"):
        with pytest.raises(settings.SettingsError, match=f"BOOKSHOP_ALERT_INTERVAL_SECONDS='{never}' must be a whole"):
            settings.alert_interval_seconds({"BOOKSHOP_ALERT_INTERVAL_SECONDS": never})


DEFAULTS_REPEATED_NOWHERE = [
    ROOT / "docker-compose.yml",
    ROOT / ".env.example",
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "deploy" / "helm").glob("*.*")),
]


def test_each_default_cron_is_written_only_beside_its_schedule():
    for path in DEFAULTS_REPEATED_NOWHERE:
        text = path.read_text()
        for name, cron in DEFAULT_CRONS.items():
            repeated = re.search(rf"(?<![\w*/,-]){re.escape(cron)}(?![\w*/,-])", text)
            assert not repeated, f"{name}'s default cron {cron!r} is repeated in {path.relative_to(ROOT)}"


@pytest.mark.parametrize("environment", [compose_environment, run_pod_environment])
def test_a_default_changed_in_the_code_reaches_every_deployment(environment, code_location_env, monkeypatch):
    daily, *others = schedules.SCHEDULE_DEFAULTS
    monkeypatch.setattr(
        schedules, "SCHEDULE_DEFAULTS", (dataclasses.replace(daily, default_cron="45 1 * * *"), *others)
    )
    monkeypatch.setattr(settings, "DEFAULT_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setattr(settings, "DEFAULT_RETENTION_DAYS", 7)
    monkeypatch.setattr(settings, "DEFAULT_ALERT_INTERVAL_SECONDS", 45)
    for name, value in environment().items():
        monkeypatch.setenv(name, value)

    definitions = defs()

    daily_schedule = definitions.resolve_schedule_def("daily_refresh_schedule")
    assert daily_schedule.cron_schedule == "45 1 * * *"
    assert daily_schedule.execution_timezone == "Europe/Amsterdam"
    assert definitions.resources["retention"].days == 7
    assert definitions.resolve_sensor_def("run_failure_alert_sensor").minimum_interval_seconds == 45
    assert definitions.resources["failure_webhook"].first_retry_seconds == 45
