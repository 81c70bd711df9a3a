import json
import os
import time
import traceback
from datetime import datetime

import dagster as dg
import pytest

from bookshop.definitions import defs
from bookshop.mysql import MySQLResource

HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"


def drop(incoming, name, text=HEADER + "1,2,3,1,9.99,2026-11-01\n", age_seconds=60):
    path = incoming.directory / name
    path.write_text(text)
    settled = time.time() - age_seconds
    os.utime(path, (settled, settled))
    return path


def look(definitions, incoming, cursor=None, instance=None):
    sensor = definitions.resolve_sensor_def("incoming_orders_sensor")
    context = dg.build_sensor_context(cursor=cursor, resources={"incoming": incoming}, instance=instance)
    return sensor.evaluate_tick(context)


def file_names(request):
    return request.run_config["ops"]["load_order_files"]["config"]["file_names"]


def test_a_new_file_gets_one_run_keyed_by_name_size_and_time(definitions, incoming):
    path = drop(incoming, "a.csv")

    result = look(definitions, incoming)

    [request] = result.run_requests
    assert request.run_key == f"a.csv:{path.stat().st_size}:{path.stat().st_mtime_ns}"
    assert request.run_config["ops"] == {"load_order_files": {"config": {"file_names": ["a.csv"], "last_attempt": []}}}
    assert json.loads(result.cursor) == {"a.csv": [request.run_key, request.run_key, 0]}


def test_a_burst_is_batched_oldest_first_up_to_the_file_cap(code_location_env, monkeypatch, incoming):
    monkeypatch.setenv("BOOKSHOP_INCOMING_MAX_FILES_PER_RUN", "2")
    for age, name in enumerate(["e.csv", "d.csv", "c.csv", "b.csv", "a.csv"], start=10):
        drop(incoming, name, age_seconds=age)

    result = look(defs(), incoming)

    assert [file_names(request) for request in result.run_requests] == [
        ["a.csv", "b.csv"],
        ["c.csv", "d.csv"],
        ["e.csv"],
    ]
    assert len({request.run_key for request in result.run_requests}) == 3
    assert result.run_requests[0].tags["bookshop/order_files"] == "2"
    assert look(defs(), incoming).run_requests[0].run_key == result.run_requests[0].run_key
    assert json.loads(result.cursor)["a.csv"][1] == result.run_requests[0].run_key


def test_a_batch_is_cut_at_the_byte_cap_and_a_bigger_file_goes_alone(code_location_env, monkeypatch, incoming):
    monkeypatch.setenv("BOOKSHOP_INCOMING_MAX_BYTES_PER_RUN", "100")
    drop(incoming, "a.csv", "x" * 40, age_seconds=40)
    drop(incoming, "b.csv", "x" * 40, age_seconds=30)
    drop(incoming, "c.csv", "x" * 40, age_seconds=20)
    drop(incoming, "huge.csv", "x" * 500, age_seconds=10)

    result = look(defs(), incoming)

    assert [file_names(request) for request in result.run_requests] == [["a.csv", "b.csv"], ["c.csv"], ["huge.csv"]]


@pytest.mark.parametrize("value", ["0", "-1", "many", "1.5"])
def test_a_bad_batch_cap_stops_the_load_naming_its_variable(code_location_env, monkeypatch, value):
    monkeypatch.setenv("BOOKSHOP_INCOMING_MAX_FILES_PER_RUN", value)

    with pytest.raises(Exception) as failed:
        defs().resolve_sensor_def("incoming_orders_sensor")

    explanation = "".join(traceback.format_exception(failed.value))
    assert f"BOOKSHOP_INCOMING_MAX_FILES_PER_RUN={value!r} must be a whole number of at least 1" in explanation


def record_run(instance, definitions, run_key, status):
    """The run the daemon would have made for a request, in the given state."""
    job = definitions.resolve_job_def("ingest_order_file")
    return instance.create_run_for_job(job, status=status, tags={"dagster/run_key": run_key})


def test_the_same_file_is_not_requested_again_while_its_run_is_going(definitions, incoming, instance):
    drop(incoming, "a.csv")
    first = look(definitions, incoming, instance=instance)
    record_run(instance, definitions, first.run_requests[0].run_key, dg.DagsterRunStatus.STARTED)

    again = look(definitions, incoming, cursor=first.cursor, instance=instance)

    assert not again.run_requests
    assert again.cursor == first.cursor


def test_a_file_its_ended_run_never_took_is_requested_again_a_bounded_number_of_times(definitions, incoming, instance):
    path = drop(incoming, "a.csv")
    key = f"a.csv:{path.stat().st_size}:{path.stat().st_mtime_ns}"
    cursor = look(definitions, incoming, instance=instance).cursor
    run_keys, last_attempts = [], []
    for _ in range(5):
        result = look(definitions, incoming, cursor=cursor, instance=instance)
        if not result.run_requests:
            break
        [request] = result.run_requests
        record_run(instance, definitions, request.run_key, dg.DagsterRunStatus.FAILURE)
        run_keys.append(request.run_key)
        last_attempts.append(request.run_config["ops"]["load_order_files"]["config"]["last_attempt"])
        cursor = result.cursor

    assert run_keys == [f"{key}#1", f"{key}#2", f"{key}#3"]
    assert last_attempts == [[], [], ["a.csv"]]
    assert json.loads(cursor) == {"a.csv": [key, f"{key}#3", 3]}


def test_a_replaced_file_and_a_second_file_each_get_requested(definitions, incoming):
    drop(incoming, "a.csv")
    first = look(definitions, incoming)
    drop(incoming, "a.csv", text=HEADER + "1,2,3,1,9.99,2026-11-01\n2,2,3,1,9.99,2026-11-01\n", age_seconds=30)
    drop(incoming, "b.csv", age_seconds=20)

    result = look(definitions, incoming, cursor=first.cursor)

    assert [file_names(request) for request in result.run_requests] == [["a.csv", "b.csv"]]


def test_files_still_being_written_hidden_or_not_csv_wait(definitions, incoming):
    drop(incoming, "fresh.csv", age_seconds=0)
    drop(incoming, ".partial.csv")
    drop(incoming, "notes.txt")
    (incoming.directory / "processed").mkdir()
    drop(incoming, "processed/old.csv")

    result = look(definitions, incoming)

    assert not result.run_requests
    assert "No new order file" in result.skip_message


def test_links_folders_and_odd_names_are_requested_so_a_run_rejects_them(definitions, incoming, tmp_path):
    (tmp_path / "target.csv").write_text("x")
    os.symlink(tmp_path / "target.csv", incoming.directory / "link.csv")
    (incoming.directory / "x.csv").mkdir()
    drop(incoming, 'it\'s "quoted" заказ.csv')
    for name in ("link.csv", "x.csv"):
        os.utime(incoming.directory / name, (time.time() - 60, time.time() - 60), follow_symlinks=False)

    [request] = look(definitions, incoming).run_requests

    assert sorted(file_names(request)) == sorted(["link.csv", "x.csv", 'it\'s "quoted" заказ.csv'])


def test_files_that_were_claimed_leave_the_cursor(definitions, incoming, instance):
    job = definitions.resolve_job_def("ingest_order_file")
    run = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
    drop(incoming, "a.csv")
    first = look(definitions, incoming)
    incoming.claim("a.csv", run.run_id)

    after = look(definitions, incoming, cursor=first.cursor, instance=instance)

    assert json.loads(after.cursor) == {}
    assert not after.run_requests


def test_files_left_claimed_by_a_dead_run_get_one_run_that_adopts_them(definitions, incoming, instance):
    job = definitions.resolve_job_def("ingest_order_file")
    dead = instance.create_run_for_job(job, status=dg.DagsterRunStatus.FAILURE)
    alive = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
    adopter = instance.create_run_for_job(
        job, status=dg.DagsterRunStatus.FAILURE, tags={"bookshop/adopts_claims_of": dead.run_id}
    )
    for run, name in [(dead, "a.csv"), (alive, "b.csv"), (adopter, "c.csv")]:
        drop(incoming, name)
        incoming.claim(name, run.run_id)

    result = look(definitions, incoming, instance=instance)

    [request] = result.run_requests
    assert request.run_key == f"adopt:{dead.run_id}"
    assert file_names(request) == []
    assert request.tags["bookshop/adopts_claims_of"] == dead.run_id


class OrdersTable(MySQLResource):
    """MySQL stand-in whose orders watermark the test sets."""

    newest: str
    highest: int
    deletes: int

    def rows(self, query: str, **params: object) -> list[tuple[datetime, int, int]]:
        assert "FROM orders" in query and "FROM orders_deleted" in query
        return [(datetime.fromisoformat(self.newest), self.highest, self.deletes)]


def watch_orders(definitions, newest, highest, deletes, cursor):
    mysql = OrdersTable(host="-", database="-", user="-", password="-", newest=newest, highest=highest, deletes=deletes)
    sensor = definitions.resolve_sensor_def("mysql_orders_changed_sensor")
    return sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, resources={"mysql": mysql}))


def test_orders_sensor_records_a_baseline_then_requests_only_on_change(definitions):
    first = watch_orders(definitions, "2026-11-25 10:00:00", 50100, 0, cursor=None)
    unchanged = watch_orders(definitions, "2026-11-25 10:00:00", 50100, 0, cursor=first.cursor)
    updated = watch_orders(definitions, "2026-11-25 10:05:00", 50100, 0, cursor=unchanged.cursor)
    inserted = watch_orders(definitions, "2026-11-25 10:05:00", 50101, 0, cursor=updated.cursor)
    deleted = watch_orders(definitions, "2026-11-25 10:05:00", 50101, 1, cursor=inserted.cursor)

    assert not first.run_requests and "watermark 2026-11-25 10:00:00|50100|0 recorded" in first.skip_message
    assert not unchanged.run_requests and "unchanged" in unchanged.skip_message
    assert [r.run_key for r in updated.run_requests] == ["2026-11-25 10:05:00|50100|0"]
    assert [r.run_key for r in inserted.run_requests] == ["2026-11-25 10:05:00|50101|0"]
    assert [r.run_key for r in deleted.run_requests] == ["2026-11-25 10:05:00|50101|1"]
    assert deleted.cursor == "2026-11-25 10:05:00|50101|1"


def look_for_landings(definitions, instance, cursor=None):
    sensor = definitions.resolve_sensor_def("landed_orders_sensor")
    context = dg.build_sensor_context(cursor=cursor, instance=instance, repository_def=definitions.get_repository_def())
    return sensor.evaluate_tick(context)


AFTER_LANDING = ["daily_revenue", "orders_cleaned", "top_authors", "top_authors_csv", "user_stats", "user_stats_csv"]
SOURCES_AND_USERS = ["mysql_authors", "mysql_books", "mysql_orders", "mysql_users", "users_cleaned"]


def selected(request):
    return sorted(key.to_user_string() for key in request.asset_selection)


def test_a_landing_requests_orders_cleaned_and_everything_downstream_once(definitions, instance):
    for key in SOURCES_AND_USERS:
        instance.report_runless_asset_event(dg.AssetMaterialization(key))
    assert not look_for_landings(definitions, instance).run_requests

    instance.report_runless_asset_event(dg.AssetMaterialization("incoming_orders"))
    first = look_for_landings(definitions, instance)
    again = look_for_landings(definitions, instance, cursor=first.cursor)

    [request] = first.run_requests
    assert request.job_name in (None, "landed_orders_refresh")
    assert selected(request) == AFTER_LANDING
    assert not again.run_requests


def test_a_landing_on_a_new_install_also_runs_the_sources_it_needs_first(definitions, instance):
    instance.report_runless_asset_event(dg.AssetMaterialization("incoming_orders"))

    [request] = look_for_landings(definitions, instance).run_requests

    assert selected(request) == sorted(AFTER_LANDING + SOURCES_AND_USERS)
