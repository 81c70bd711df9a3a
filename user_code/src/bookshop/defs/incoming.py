"""The job that loads dropped order files: claim them, then land each one's orders exactly once, or reject it.

A run takes a batch of files (incoming_orders_sensor decides which). Each file is claimed by a
rename out of incoming/ before it is read, so no other run and no writer touches it; a file that
fails for any reason is moved to rejected/ with its reason beside it and never stops the others.
Orders are landed under the sha256 of the file's content, so a retry, a crash or the same file
dropped again never lands them twice: the duplicate is moved to processed/ with a note saying so.
A run with a rejected or refused file ends FAILURE once every other file is done, so the
failure alert fires; a duplicate is not a failure.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from bookshop.incoming_files import IncomingOrderFiles, RefusedName, read_regular_file, unsafe_name_reason
from bookshop.logic.order_files import MAX_FILE_BYTES, InvalidOrderFile, parse_order_file
from bookshop.metadata import frame_metadata
from bookshop.storage.landed_orders import content_hash

INCOMING_ORDERS = dg.AssetKey("incoming_orders")


class OrderFilesConfig(dg.Config):
    file_names: list[str] = Field(
        default_factory=list,
        description="Names of files in the incoming folder to claim; files left claimed by a dead run are adopted too.",
    )


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed file: the event the UI shows, and the reason if it was rejected."""

    event: dg.AssetMaterialization | dg.AssetObservation
    rejection: str | None = None


def run_has_finished(instance: dg.DagsterInstance, run_id: str) -> bool:
    """A claim folder's run is over (or unknown): whatever it still holds can be adopted."""
    run = instance.get_run_by_id(run_id)
    return run is None or run.is_finished


@dg.op(
    out={},
    description="Claim order files, then land each one's orders in incoming_orders or reject it with a reason.",
)
def load_order_files(
    context: dg.OpExecutionContext, config: OrderFilesConfig, incoming: IncomingOrderFiles
) -> Iterator[dg.AssetMaterialization | dg.AssetObservation]:
    # Events are yielded as each file is done: they reach the event log even if a later file fails the run.
    run_id = context.run_id
    problems = [problem for name in config.file_names if (problem := claim(context, incoming, name))]
    finished = partial(run_has_finished, context.instance)
    for dead_run_id in incoming.claims_of_finished_runs(finished, run_id):
        adopted = incoming.adopt(dead_run_id, run_id)
        if adopted:
            context.log.warning(f"Adopted {len(adopted)} file(s) left claimed by run {dead_run_id}: {adopted}")
    for path in incoming.claimed(run_id):
        outcome = ingest(context, incoming, path)
        yield outcome.event
        if outcome.rejection:
            problems.append(outcome.rejection)
    incoming.release(run_id)
    if problems:
        reasons = "\n".join(f"- {problem}" for problem in problems)
        raise dg.Failure(
            description=f"{len(problems)} order file(s) not loaded (every other one was):\n{reasons}",
            allow_retries=False,
        )


def claim(context: dg.OpExecutionContext, incoming: IncomingOrderFiles, name: str) -> str | None:
    """Claim one named file for this run; a name that is not a plain file name is refused untouched."""
    try:
        claimed = incoming.claim(name, context.run_id)
    except RefusedName as error:
        context.log.error(f"Refused {error}")
        return str(error)
    if claimed is None:
        context.log.info(f"{name}: no longer in {incoming.directory} (claimed by another run); skipped")
    return None


def ingest(context: dg.OpExecutionContext, incoming: IncomingOrderFiles, path: Path) -> Outcome:
    """Land one claimed file's orders (once per content) and move it on; a bad file goes to rejected/."""
    name = path.name
    try:
        problem = unsafe_name_reason(name)
        if problem:
            raise InvalidOrderFile(problem)
        content = read_regular_file(path, MAX_FILE_BYTES)
        orders = parse_order_file(name, content)
    except Exception as error:  # every problem with a file is that file's, never its neighbours'
        reason = str(error) if isinstance(error, InvalidOrderFile) else f"{name}: {type(error).__name__}: {error}"
        moved = incoming.move_to_rejected(path, context.run_id, reason)
        context.log.error(f"Rejected {reason} (moved to {moved})")
        metadata = {"file": name, "outcome": "rejected", "reason": reason, "moved_to": str(moved)}
        return Outcome(dg.AssetObservation(INCOMING_ORDERS, description=f"Rejected {name}", metadata=metadata), reason)
    digest = content_hash(content)
    landing = incoming.landed_orders.land(orders.assign(source_file=name), digest)
    if landing.new:
        moved = incoming.move_to_processed(path, context.run_id)
        context.log.info(f"Landed {len(orders)} order(s) from {name} as {landing.path} (moved to {moved})")
        landed: dict[str, Any] = {
            **frame_metadata(orders),
            "file": name,
            "sha256": digest,
            "parquet": str(landing.path),
        }
        return Outcome(
            dg.AssetMaterialization(INCOMING_ORDERS, description=f"Orders loaded from {name}", metadata=landed)
        )
    note = f"{name}: a duplicate: its content (sha256 {digest}) was landed before as {landing.path}; nothing landed"
    moved = incoming.move_to_processed(path, context.run_id, note=note)
    context.log.warning(f"{note} (moved to {moved})")
    metadata = {"file": name, "outcome": "duplicate", "sha256": digest, "moved_to": str(moved)}
    return Outcome(dg.AssetObservation(INCOMING_ORDERS, description=f"Duplicate {name}", metadata=metadata))


@dg.job(description="Load a batch of order files dropped into the incoming folder (started by incoming_orders_sensor).")
def ingest_order_file() -> None:
    load_order_files()
