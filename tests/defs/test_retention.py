from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from bookshop.defs.retention import retention
from bookshop.retention import Retention, prune_files, prune_runs


@dg.op
def say_something() -> None:
    print("something for the compute log")


@dg.job
def chatty() -> None:
    say_something()


def test_finished_runs_before_the_cutoff_go_with_their_event_and_compute_logs(tmp_path):
    compute_logs = tmp_path / "compute_logs"
    overrides = {
        "compute_logs": {
            "module": "dagster.core.storage.local_compute_log_manager",
            "class": "LocalComputeLogManager",
            "config": {"base_dir": str(compute_logs)},
        }
    }
    with dg.instance_for_test(overrides=overrides) as instance:
        old = [chatty.execute_in_process(instance=instance).run_id for _ in range(3)]
        cutoff = datetime.now(UTC)
        kept = chatty.execute_in_process(instance=instance).run_id
        assert all((compute_logs / run_id).is_dir() for run_id in [*old, kept])

        deleted = prune_runs(instance, cutoff)

        assert deleted == 3
        assert [instance.get_run_by_id(run_id) for run_id in old] == [None] * 3
        assert [instance.all_logs(run_id) for run_id in old] == [[]] * 3
        assert [(compute_logs / run_id).exists() for run_id in old] == [False] * 3
        assert instance.get_run_by_id(kept).status == dg.DagsterRunStatus.SUCCESS
        assert (compute_logs / kept).is_dir()


def test_only_regular_files_moved_in_before_the_cutoff_are_deleted(tmp_path):
    folder = tmp_path / "processed"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "b.csv.reason.txt"):
        (folder / name).write_text("order_id\n")
    (folder / "x.csv").mkdir()
    (folder / "link.csv").symlink_to(tmp_path / "elsewhere.csv")

    assert prune_files(folder, datetime.now(UTC) - timedelta(hours=1)) == 0
    assert prune_files(folder, datetime.now(UTC) + timedelta(seconds=1)) == 3
    assert sorted(path.name for path in folder.iterdir()) == ["link.csv", "x.csv"]
    assert prune_files(tmp_path / "missing", datetime.now(UTC)) == 0


def run_retention(instance: dg.DagsterInstance, days: int, incoming: Path) -> dg.ExecuteInProcessResult:
    resources = {"retention": Retention(days=days, incoming_path=str(incoming))}
    return retention.execute_in_process(instance=instance, resources=resources)


def test_the_job_keeps_what_is_younger_than_the_limit_and_everything_at_zero(tmp_path):
    (tmp_path / "rejected").mkdir()
    (tmp_path / "rejected" / "bad.csv").write_text("garbage")
    with dg.instance_for_test() as instance:
        earlier = chatty.execute_in_process(instance=instance).run_id

        assert run_retention(instance, 90, tmp_path).success
        assert run_retention(instance, 0, tmp_path).success

        assert instance.get_run_by_id(earlier) is not None
        assert (tmp_path / "rejected" / "bad.csv").exists()
