"""Freshness: the automation sensor keeps mysql_orders well inside its 60 minutes, and no more often."""

from datetime import datetime, timedelta

import dagster as dg

from bookshop.definitions import defs

SOURCES = {"mysql_users", "mysql_authors", "mysql_books", "mysql_orders"}


def test_sources_are_requested_every_thirty_minutes_and_not_in_between(code_location_env):
    definitions = defs()
    start = datetime(2026, 11, 25, 9, 50)
    requested = {}
    with dg.instance_for_test() as instance:
        cursor = None
        for minute in range(0, 181):  # every minute for three hours
            now = start + timedelta(minutes=minute)
            result = dg.evaluate_automation_conditions(
                defs=definitions,
                instance=instance,
                asset_selection=dg.AssetSelection.groups("sources"),
                evaluation_time=now,
                cursor=cursor,
            )
            cursor = result.cursor
            for key in SOURCES:
                if result.get_num_requested(dg.AssetKey(key)):
                    requested.setdefault(key, []).append(now.strftime("%H:%M"))

    half_hours = ["10:00", "10:30", "11:00", "11:30", "12:00", "12:30"]
    assert requested == {key: half_hours for key in SOURCES}
