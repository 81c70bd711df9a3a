import os

import dagster as dg
import pandas as pd
import pytest

from bookshop.definitions import defs
from bookshop.incoming_files import IncomingOrderFiles, content_hash

HEADER = "order_id,user_id,book_id,quantity,unit_price,created_at\n"
GOOD = HEADER + "1,2,3,2,12.50,2026-11-01T10:00:00\n"


def load(incoming, file_names, instance):
    job = defs().resolve_job_def("ingest_order_file")
    return job.execute_in_process(
        run_config=dg.RunConfig(ops={"load_order_files": {"config": {"file_names": file_names}}}),
        resources={"incoming": incoming},
        instance=instance,
        raise_on_error=False,
    )


def drop(incoming, name, content):
    path = incoming.directory / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def landed(incoming):
    folder = incoming.directory.parent / "storage" / "incoming_orders"
    return {path.name: pd.read_parquet(path) for path in folder.glob("*.parquet")}


def failure_message(result):
    [failure] = [event for event in result.all_events if event.is_step_failure]
    return failure.step_failure_data.error.message


def observations(result):
    return [
        event.asset_observation_data.asset_observation.metadata
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    ]


def entries(folder):
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def test_a_good_file_is_landed_under_its_content_hash_and_moved_to_processed(code_location_env, incoming, instance):
    drop(incoming, "good.csv", GOOD)

    result = load(incoming, ["good.csv"], instance)

    assert result.success
    assert entries(incoming.directory) == ["claimed", "processed"]
    assert entries(incoming.directory / "claimed") == []
    assert entries(incoming.directory / "processed") == ["good.csv"]
    [(name, frame)] = landed(incoming).items()
    assert name == f"{content_hash(GOOD.encode())}.parquet"
    assert frame[["order_id", "quantity", "unit_price_cents", "source_file"]].values.tolist() == [
        [1, 2, 1250, "good.csv"]
    ]
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey("incoming_orders")
    metadata = event.materialization.metadata
    assert metadata["row_count"].value == 1
    assert metadata["file"].value == "good.csv"
    assert metadata["sha256"].value == content_hash(GOOD.encode())


def test_a_bad_file_is_rejected_with_its_reason_beside_it_and_never_fails_its_neighbours(
    code_location_env, incoming, instance
):
    drop(incoming, "a.csv", GOOD)
    drop(incoming, "bad.csv", HEADER + "1,2,3,lots,12.50,2026-11-01\n")
    drop(incoming, "c.csv", HEADER + "2,2,3,1,1.00,2026-11-01\n")

    result = load(incoming, ["a.csv", "bad.csv", "c.csv"], instance)

    # The run fails, so the failure alert fires, but only after every other file is landed.
    assert not result.success
    assert "bad.csv: row 2, column quantity: 'lots' is not a whole number" in failure_message(result)
    assert "1 order file(s) not loaded" in failure_message(result)
    assert entries(incoming.directory / "processed") == ["a.csv", "c.csv"]
    assert entries(incoming.directory / "rejected") == ["bad.csv", "bad.csv.reason.txt"]
    reason = (incoming.directory / "rejected" / "bad.csv.reason.txt").read_text()
    assert reason == "bad.csv: row 2, column quantity: 'lots' is not a whole number\n"
    assert sorted(frame["source_file"][0] for frame in landed(incoming).values()) == ["a.csv", "c.csv"]
    assert len(result.get_asset_materialization_events()) == 2
    [rejected] = observations(result)
    assert rejected["outcome"].value == "rejected" and rejected["file"].value == "bad.csv"


def test_every_hostile_file_ends_in_rejected_with_a_reason_and_good_odd_names_are_landed(
    code_location_env, incoming, instance, tmp_path
):
    outside = tmp_path / "secret.csv"
    outside.write_text(HEADER + "66,2,3,1,1.00,2026-11-01\n")
    hostile = {
        "empty.csv": b"",
        "binary.csv": bytes(range(256)),
        "latin1.csv": (HEADER + "1,2,3,1,1.00,2026-11-01\n").encode() + "Müller\n".encode("latin-1"),
        "exponent.csv": HEADER + "3,2,3,1,1E+1000000,2026-11-01\n",
        "overflow.csv": HEADER + "4,99999999999999999999,3,1,1.00,2026-11-01\n",
        "..\\..\\exports\\user_stats.csv": GOOD,
        "line\nbreak.csv": GOOD,
    }
    for name, content in hostile.items():
        drop(incoming, name, content)
    os.symlink(outside, incoming.directory / "link.csv")
    (incoming.directory / "x.csv").mkdir()
    (incoming.directory / "x.csv" / "inside.csv").write_text(GOOD)
    good = {
        "заказы ß.csv": HEADER + "10,2,3,1,1.00,2026-11-01\n",
        'it\'s "quoted".csv': HEADER + "11,2,3,1,1.00,2026-11-01\n",
    }
    for name, content in good.items():
        drop(incoming, name, content)

    result = load(incoming, [*hostile, "link.csv", "x.csv", *good], instance)

    assert not result.success
    assert entries(incoming.directory) == ["claimed", "processed", "rejected"]
    assert entries(incoming.directory / "claimed") == []
    rejected = incoming.directory / "rejected"
    assert set(entries(rejected)) == {
        name + suffix for name in [*hostile, "link.csv", "x.csv"] for suffix in ("", ".reason.txt")
    }
    reasons = {name: (rejected / f"{name}.reason.txt").read_text() for name in [*hostile, "link.csv", "x.csv"]}
    assert "not a readable CSV file" in reasons["empty.csv"]
    assert "a binary file" in reasons["binary.csv"]
    assert "not UTF-8 text" in reasons["latin1.csv"]
    assert "column unit_price: value out of range" in reasons["exponent.csv"]
    assert "outside the 64-bit integer range" in reasons["overflow.csv"]
    assert "backslash" in reasons["..\\..\\exports\\user_stats.csv"]
    assert "control character" in reasons["line\nbreak.csv"]
    assert "a symbolic link" in reasons["link.csv"]
    assert "a folder, not a file" in reasons["x.csv"]
    assert (rejected / "link.csv").is_symlink() and outside.read_text().startswith(HEADER)
    assert entries(incoming.directory / "processed") == sorted(good)
    assert sorted(frame["order_id"][0] for frame in landed(incoming).values()) == [10, 11]


@pytest.mark.parametrize("name", ["../exports/user_stats.csv", "/etc/passwd", "..", ".", "", "a/b.csv"])
def test_a_path_instead_of_a_file_name_is_refused_and_nothing_is_touched(
    code_location_env, incoming, instance, tmp_path, name
):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "user_stats.csv").write_text(GOOD)
    (incoming.directory / "a").mkdir()
    (incoming.directory / "a" / "b.csv").write_text(GOOD)

    result = load(incoming, [name], instance)

    assert not result.success
    assert "not a file name inside the incoming folder" in failure_message(result)
    assert (tmp_path / "exports" / "user_stats.csv").read_text() == GOOD
    assert (incoming.directory / "a" / "b.csv").read_text() == GOOD
    assert landed(incoming) == {}


def test_the_same_content_again_is_a_duplicate_moved_to_processed_with_a_note(code_location_env, incoming, instance):
    drop(incoming, "monday.csv", GOOD)
    assert load(incoming, ["monday.csv"], instance).success
    drop(incoming, "monday.csv", GOOD)
    drop(incoming, "resent.csv", GOOD)

    result = load(incoming, ["monday.csv", "resent.csv"], instance)

    assert result.success
    assert len(landed(incoming)) == 1
    assert not result.get_asset_materialization_events()
    assert [o["outcome"].value for o in observations(result)] == ["duplicate", "duplicate"]
    processed = incoming.directory / "processed"
    tag = result.run_id[:8]
    assert entries(processed) == sorted(
        ["monday.csv", f"monday.{tag}.csv", f"monday.{tag}.csv.reason.txt", "resent.csv", "resent.csv.reason.txt"]
    )
    assert "a duplicate" in (processed / "resent.csv.reason.txt").read_text()
    assert (processed / "monday.csv").read_text() == GOOD


class CrashAfterLanding(IncomingOrderFiles):
    """The run dies between landing a file's orders and moving the file on."""

    def move_to_processed(self, path, run_id, note=None):
        raise RuntimeError("simulated crash after landing")


def test_a_crash_between_landing_and_moving_is_picked_up_by_the_next_run_and_lands_once(
    code_location_env, incoming, instance
):
    drop(incoming, "good.csv", GOOD)
    crashing = CrashAfterLanding(path=incoming.path, storage_path=incoming.storage_path)

    crashed = load(crashing, ["good.csv"], instance)

    assert not crashed.success
    assert entries(incoming.directory / "claimed" / crashed.run_id) == ["0"]
    assert len(landed(incoming)) == 1

    next_run = load(incoming, [], instance)

    assert next_run.success
    assert entries(incoming.directory / "claimed") == []
    assert entries(incoming.directory / "processed") == ["good.csv", "good.csv.reason.txt"]
    [frame] = landed(incoming).values()
    assert frame["order_id"].tolist() == [1]
    [duplicate] = observations(next_run)
    assert duplicate["outcome"].value == "duplicate"


def test_of_two_runs_claiming_one_file_one_gets_it_and_a_claim_in_progress_is_left_alone(
    code_location_env, incoming, instance
):
    drop(incoming, "good.csv", GOOD)
    job = defs().resolve_job_def("ingest_order_file")
    in_progress = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
    claimed = incoming.claim("good.csv", in_progress.run_id)

    assert incoming.claim("good.csv", "a-second-run") is None
    result = load(incoming, ["good.csv"], instance)

    assert result.success
    assert claimed.read_text() == GOOD
    assert landed(incoming) == {}


def test_files_move_without_hard_links_so_files_of_another_owner_are_handled(
    code_location_env, incoming, instance, monkeypatch
):
    # The kernel refuses a hard link to a file the process does not own (fs.protected_hardlinks):
    # with linking refused outright, every file still reaches processed/ or rejected/.
    def refuse(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)
    drop(incoming, "good.csv", GOOD)
    drop(incoming, "bad.csv", HEADER + "x\n")

    result = load(incoming, ["good.csv", "bad.csv"], instance)

    assert entries(incoming.directory / "processed") == ["good.csv"]
    assert entries(incoming.directory / "rejected") == ["bad.csv", "bad.csv.reason.txt"]
    assert "1 order file(s) not loaded" in failure_message(result)


def test_a_file_that_cannot_be_claimed_never_fails_its_neighbours_and_its_last_attempt_rejects_it(
    code_location_env, incoming, instance, monkeypatch
):
    claim = IncomingOrderFiles.claim

    def claim_all_but_stuck(self, name, run_id):
        if name == "stuck.csv":
            raise PermissionError(13, "Permission denied", name)
        return claim(self, name, run_id)

    monkeypatch.setattr(IncomingOrderFiles, "claim", claim_all_but_stuck)
    drop(incoming, "good.csv", GOOD)
    drop(incoming, "stuck.csv", GOOD.replace("1,2,3", "7,2,3"))
    config = {"file_names": ["stuck.csv", "good.csv"], "last_attempt": ["stuck.csv"]}

    result = (
        defs()
        .resolve_job_def("ingest_order_file")
        .execute_in_process(
            run_config=dg.RunConfig(ops={"load_order_files": {"config": config}}),
            resources={"incoming": incoming},
            instance=instance,
            raise_on_error=False,
        )
    )

    assert entries(incoming.directory / "processed") == ["good.csv"]
    assert "stuck.csv" in entries(incoming.directory)
    reason = (incoming.directory / "rejected" / "stuck.csv.reason.txt").read_text()
    assert reason.startswith("stuck.csv: cannot be claimed: PermissionError: [Errno 13] Permission denied")
    assert "no longer requested after 3 retries" in reason
    assert "stuck.csv: cannot be claimed" in failure_message(result)


def test_a_file_that_cannot_be_moved_stays_claimed_for_the_next_run_and_never_fails_its_neighbours(
    code_location_env, incoming, instance, monkeypatch
):
    def refuse_rejected(self, path, run_id, reason):
        raise PermissionError(13, "Permission denied", str(self.directory / "rejected"))

    monkeypatch.setattr(IncomingOrderFiles, "move_to_rejected", refuse_rejected)
    drop(incoming, "bad.csv", HEADER + "x\n")
    drop(incoming, "good.csv", GOOD)

    result = load(incoming, ["bad.csv", "good.csv"], instance)

    assert entries(incoming.directory / "processed") == ["good.csv"]
    assert "bad.csv: left in" in failure_message(result)
    assert "for the next run to adopt: PermissionError" in failure_message(result)
    assert [path.name for path in (incoming.directory / "claimed").rglob("*.csv")] == ["bad.csv"]
    [stuck] = observations(result)
    assert stuck["outcome"].value == "stuck"
