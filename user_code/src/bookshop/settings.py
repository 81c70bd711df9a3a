"""Deployment settings read from the environment when the definitions load.

Each setting is named by its environment variable, and its default is written here (a schedule's
cron beside its schedule) and nowhere else: docker-compose.yml and the Helm settings pass a
variable on only when the operator sets it, and an empty value means the default. A bad value
fails the load with a message that names the variable, so a typo in `.env` is found at start-up,
not at 2 AM.
"""

from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TIMEZONE_VARIABLE = "BOOKSHOP_TIMEZONE"
START_RUNNING_VARIABLE = "BOOKSHOP_SCHEDULES_AND_SENSORS_RUNNING"
RETENTION_DAYS_VARIABLE = "BOOKSHOP_RETENTION_DAYS"
ALERT_INTERVAL_VARIABLE = "BOOKSHOP_ALERT_INTERVAL_SECONDS"

DEFAULT_TIMEZONE = "UTC"
DEFAULT_RETENTION_DAYS = 90
DEFAULT_ALERT_INTERVAL_SECONDS = 30

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(ValueError):
    """An environment variable holds a value the code location cannot use."""


def cron_variable(schedule_name: str) -> str:
    """The variable that overrides a schedule's cron, e.g. DAILY_REFRESH_SCHEDULE_CRON."""
    return f"{schedule_name.upper()}_CRON"


def schedule_cron(env: Mapping[str, str], schedule_name: str, default: str) -> str:
    return env.get(cron_variable(schedule_name), "").strip() or default


def timezone(env: Mapping[str, str]) -> str:
    name = env.get(TIMEZONE_VARIABLE, "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(
            f"{TIMEZONE_VARIABLE}={name!r} is not an IANA time zone (e.g. 'Europe/Amsterdam')"
        ) from error
    return name


def start_running(env: Mapping[str, str]) -> bool:
    value = env.get(START_RUNNING_VARIABLE, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{START_RUNNING_VARIABLE}={value!r} must be true or false")


def retention_days(env: Mapping[str, str]) -> int:
    """Days of history the retention job keeps; 0 keeps everything."""
    value = env.get(RETENTION_DAYS_VARIABLE, "").strip()
    if not value:
        return DEFAULT_RETENTION_DAYS
    if not value.isdigit():
        raise SettingsError(f"{RETENTION_DAYS_VARIABLE}={value!r} must be a whole number of days (0: keep everything)")
    return int(value)


def alert_interval_seconds(env: Mapping[str, str]) -> int:
    """How often the failure alert sensor looks for failed runs, and the delay before an alert's
    first retry (each later one doubles it)."""
    value = env.get(ALERT_INTERVAL_VARIABLE, "").strip()
    if not value:
        return DEFAULT_ALERT_INTERVAL_SECONDS
    if not value.isdigit() or int(value) == 0:
        raise SettingsError(f"{ALERT_INTERVAL_VARIABLE}={value!r} must be a whole number of seconds, at least 1")
    return int(value)
