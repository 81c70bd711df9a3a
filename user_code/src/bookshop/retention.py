"""What the retention job removes: finished runs with their event logs and compute logs, and
order files handled long ago. Everything through Dagster's own instance API, nothing by hand
in its tables.
"""

from datetime import datetime
from pathlib import Path

import dagster as dg

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
# Runs deleted per retention run at most: the first run on an old instance stays short; the
# next night takes the rest.
MAX_RUNS_PER_PASS = 10_000


def prune_runs(instance: dg.DagsterInstance, cutoff: datetime) -> int:
    """Delete every finished run last updated before `cutoff`, with its event log and compute logs."""
    deleted = 0
    while deleted < MAX_RUNS_PER_PASS:
        records = instance.get_run_records(
            filters=dg.RunsFilter(statuses=FINISHED, updated_before=cutoff), limit=100, ascending=True
        )
        if not records:
            break
        for record in records:
            run_id = record.dagster_run.run_id
            instance.compute_log_manager.delete_logs(prefix=[run_id])
            instance.delete_run(run_id)
            deleted += 1
    return deleted


def prune_files(folder: Path, cutoff: datetime) -> int:
    """Delete the regular files in `folder` that were moved there before `cutoff`.

    A file's ctime is when it was moved in (a rename sets it); its mtime may be far older.
    """
    if not folder.is_dir():
        return 0
    deleted = 0
    for entry in folder.iterdir():
        if entry.is_file() and not entry.is_symlink() and entry.stat().st_ctime < cutoff.timestamp():
            entry.unlink()
            deleted += 1
    return deleted


class Retention(dg.ConfigurableResource):
    """How many days of run history, compute logs and handled order files are kept; 0 keeps all."""

    days: int = 90
    incoming_path: str

    def folders(self) -> list[Path]:
        """The folders of handled order files: loaded ones and rejected ones."""
        return [Path(self.incoming_path) / "processed", Path(self.incoming_path) / "rejected"]
