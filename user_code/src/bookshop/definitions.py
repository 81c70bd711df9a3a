"""The code location's entry point: everything under defs/, run in-process."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    # Every step of the default multiprocess executor re-imports pandas and Dagster in a new
    # process; for frames of this size one process per run is several times faster.
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent / "defs"),
        dg.Definitions(executor=dg.in_process_executor),
    )
