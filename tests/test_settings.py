import pytest

from bookshop import settings


def test_defaults_when_nothing_is_set():
    assert settings.timezone({}) == "UTC"
    assert settings.start_running({}) is False
    assert settings.schedule_cron({}, "daily_refresh_schedule", "0 2 * * *") == "0 2 * * *"


def test_overrides_are_read_from_their_variables():
    env = {"DAILY_REFRESH_SCHEDULE_CRON": " 30 3 * * * ", "BOOKSHOP_TIMEZONE": "Europe/Amsterdam"}

    assert settings.schedule_cron(env, "daily_refresh_schedule", "0 2 * * *") == "30 3 * * *"
    assert settings.timezone(env) == "Europe/Amsterdam"


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
