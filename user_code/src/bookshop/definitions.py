"""The code location's entry point: everything under defs/, run in-process."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    # The default multiprocess executor starts a process per step, each importing pandas and
    # Dagster again; for frames of this size one process per run is faster.
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent / "defs"),
        dg.Definitions(executor=dg.in_process_executor),
    )
