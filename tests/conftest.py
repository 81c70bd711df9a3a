"""Shared test settings: the environment the code location reads, pointed at temporary folders."""

import pytest

CODE_LOCATION_ENV = {
    "BOOKSHOP_MYSQL_HOST": "127.0.0.1",
    "BOOKSHOP_MYSQL_PORT": "3306",
    "BOOKSHOP_MYSQL_DATABASE": "shop",
    "BOOKSHOP_MYSQL_USER": "bookshop_reader",
    "BOOKSHOP_MYSQL_PASSWORD": "unused",
    "BOOKSHOP_ALERT_WEBHOOK_URL": "",
    "DAGSTER_WEBSERVER_PUBLIC_URL": "http://localhost:3000",
}


@pytest.fixture
def code_location_env(monkeypatch, tmp_path):
    """A complete environment for the code location, with its folders under tmp_path."""
    for name in ("BOOKSHOP_TIMEZONE", "BOOKSHOP_SCHEDULES_RUNNING"):
        monkeypatch.delenv(name, raising=False)
    env = {
        **CODE_LOCATION_ENV,
        "BOOKSHOP_STORAGE_PATH": str(tmp_path / "storage"),
        "BOOKSHOP_EXPORTS_PATH": str(tmp_path / "exports"),
        "BOOKSHOP_INCOMING_PATH": str(tmp_path / "incoming"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
