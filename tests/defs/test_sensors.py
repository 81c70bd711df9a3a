import json
import os
import time
from datetime import datetime

import dagster as dg
import pytest

from bookshop.definitions import defs
from bookshop.files import IncomingOrderFiles
from bookshop.mysql import MySQLResource

HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"


@pytest.fixture
def definitions(code_location_env):
    return defs()


@pytest.fixture
def incoming(tmp_path):
    (tmp_path / "incoming").mkdir()
    return IncomingOrderFiles(path=str(tmp_path / "incoming"), storage_path=str(tmp_path / "storage"))


def drop(incoming, name, text=HEADER + "1,2,3,1,9.99,2026-11-01\n", age_seconds=60):
    path = incoming.directory / name
    path.write_text(text)
    settled = time.time() - age_seconds
    os.utime(path, (settled, settled))
    return path


def look(definitions, incoming, cursor=None):
    sensor = definitions.resolve_sensor_def("incoming_orders_sensor")
    return sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, resources={"incoming": incoming}))


def test_a_new_file_gets_one_run_keyed_by_name_size_and_time(definitions, incoming):
    path = drop(incoming, "a.csv")

    result = look(definitions, incoming)

    [request] = result.run_requests
    assert request.run_key == f"a.csv:{path.stat().st_size}:{path.stat().st_mtime_ns}"
    assert request.run_config == {"ops": {"load_order_file": {"config": {"file_name": "a.csv"}}}}
    assert json.loads(result.cursor) == {"a.csv": request.run_key}


def test_the_same_file_is_not_requested_again(definitions, incoming):
    drop(incoming, "a.csv")
    first = look(definitions, incoming)

    again = look(definitions, incoming, cursor=first.cursor)

    assert not again.run_requests
    assert again.cursor == first.cursor


def test_a_replaced_file_and_a_second_file_each_get_a_run(definitions, incoming):
    drop(incoming, "a.csv")
    first = look(definitions, incoming)
    drop(incoming, "a.csv", text=HEADER + "1,2,3,1,9.99,2026-11-01\n2,2,3,1,9.99,2026-11-01\n", age_seconds=30)
    drop(incoming, "b.csv", age_seconds=20)

    result = look(definitions, incoming, cursor=first.cursor)

    assert [r.run_config["ops"]["load_order_file"]["config"]["file_name"] for r in result.run_requests] == [
        "a.csv",
        "b.csv",
    ]


def test_files_still_being_written_hidden_or_not_csv_wait(definitions, incoming):
    drop(incoming, "fresh.csv", age_seconds=0)
    drop(incoming, ".partial.csv")
    drop(incoming, "notes.txt")
    (incoming.directory / "processed").mkdir()
    drop(incoming, "processed/old.csv")

    result = look(definitions, incoming)

    assert not result.run_requests
    assert "No new order file" in result.skip_message


def test_files_that_were_loaded_leave_the_cursor(definitions, incoming):
    path = drop(incoming, "a.csv")
    first = look(definitions, incoming)
    path.unlink()

    assert json.loads(look(definitions, incoming, cursor=first.cursor).cursor) == {}


class OrdersTable(MySQLResource):
    """MySQL stand-in whose orders watermark the test sets."""

    newest: str
    total: int

    def rows(self, query: str, **params: object) -> list[tuple[datetime, int]]:
        assert "FROM orders" in query
        return [(datetime.fromisoformat(self.newest), self.total)]


def watch_orders(definitions, newest, total, cursor):
    mysql = OrdersTable(host="-", database="-", user="-", password="-", newest=newest, total=total)
    sensor = definitions.resolve_sensor_def("mysql_orders_changed_sensor")
    return sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, resources={"mysql": mysql}))


def test_orders_sensor_records_a_baseline_then_requests_only_on_change(definitions):
    first = watch_orders(definitions, "2026-11-25 10:00:00", 50100, cursor=None)
    unchanged = watch_orders(definitions, "2026-11-25 10:00:00", 50100, cursor=first.cursor)
    updated = watch_orders(definitions, "2026-11-25 10:05:00", 50100, cursor=unchanged.cursor)
    deleted = watch_orders(definitions, "2026-11-25 10:05:00", 50099, cursor=updated.cursor)

    assert not first.run_requests and "watermark 2026-11-25 10:00:00|50100 recorded" in first.skip_message
    assert not unchanged.run_requests and "unchanged" in unchanged.skip_message
    assert [r.run_key for r in updated.run_requests] == ["2026-11-25 10:05:00|50100"]
    assert [r.run_key for r in deleted.run_requests] == ["2026-11-25 10:05:00|50099"]
    assert deleted.cursor == "2026-11-25 10:05:00|50099"
