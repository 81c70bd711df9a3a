"""From dropped file to landed orders: incoming_orders_sensor finds settled files, an ingest_order_file
run claims each one, validates it, and lands its orders exactly once, or rejects it.

A run takes a batch of files (incoming_orders_sensor decides which). Each file is claimed by a
rename out of incoming/ before it is read, so no other run and no writer touches it; a file that
fails for any reason is moved to rejected/ with its reason beside it and never stops the others.
Orders are landed under the sha256 of the file's content, so a retry, a crash or the same file
dropped again never lands them twice: the duplicate is moved to processed/ with a note saying so.
A run with a rejected or refused file ends FAILURE once every other file is done, so the
failure alert fires; a duplicate is not a failure. A file is rejected whoever owns it: claiming
and moving are renames, which need write access to the folders, not ownership of the file.
A file that cannot even be claimed (taken out of incoming/) is requested again by the sensor,
at most MAX_REQUESTS_PER_FILE times; the last attempt writes its reason into rejected/.
"""

import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from bookshop import settings
from bookshop.defs.incoming.assets import incoming_orders
from bookshop.incoming_files import (
    BatchLimits,
    IncomingOrderFiles,
    RefusedName,
    content_hash,
    read_regular_file,
    unsafe_name_reason,
)
from bookshop.logic.order_files import MAX_FILE_BYTES, InvalidOrderFile, parse_order_file
from bookshop.metadata import frame_metadata

INCOMING_ORDERS = incoming_orders.key
# A file modified more recently than this may still be being written: wait for the next tick.
SETTLE_SECONDS = 5
# A run started only to adopt files that a dead run left claimed; if it dies too, the next
# batch run adopts them (no chain of adopting runs while storage is down).
ADOPTS_TAG = "bookshop/adopts_claims_of"
# A file still waiting after its run ended (its process died before the claim, or the claim
# itself failed) is requested again, at most this many times; the last attempt rejects it.
MAX_REQUESTS_PER_FILE = 3


class OrderFilesConfig(dg.Config):
    file_names: list[str] = Field(
        default_factory=list,
        description="Names of files in the incoming folder to claim; files left claimed by a dead run are adopted too.",
    )
    last_attempt: list[str] = Field(
        default_factory=list,
        description="Names requested for the last time: if one cannot be claimed, its reason is written to rejected/.",
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
    problems = [
        problem
        for name in config.file_names
        if (problem := claim(context, incoming, name, last_attempt=name in config.last_attempt))
    ]
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


def claim(context: dg.OpExecutionContext, incoming: IncomingOrderFiles, name: str, last_attempt: bool) -> str | None:
    """Claim one named file for this run; a name that is not a plain file name is refused untouched.

    A file that cannot be taken out of the folder (the folder does not let this uid rename it) is
    left where it is; on its last attempt the reason goes to rejected/ and it is requested no more.
    """
    try:
        claimed = incoming.claim(name, context.run_id)
    except RefusedName as error:
        context.log.error(f"Refused {error}")
        return str(error)
    except OSError as error:
        reason = f"{name}: cannot be claimed: {type(error).__name__}: {error}"
        if last_attempt:
            reason += f"; left in {incoming.directory}, no longer requested after {MAX_REQUESTS_PER_FILE} retries"
            written = incoming.write_claim_failure(name, reason)
            reason += f" (reason written to {written})" if written else " (and rejected/ cannot be written either)"
        context.log.error(reason)
        return reason
    if claimed is None:
        context.log.info(f"{name}: no longer in {incoming.directory} (claimed by another run); skipped")
    return None


def ingest(context: dg.OpExecutionContext, incoming: IncomingOrderFiles, path: Path) -> Outcome:
    """Land one claimed file; whatever goes wrong, even moving it, is this file's outcome, not the run's."""
    try:
        return land_or_reject(context, incoming, path)
    except Exception as error:
        reason = f"{path.name}: left in {path.parent} for the next run to adopt: {type(error).__name__}: {error}"
        context.log.error(reason)
        metadata = {"file": path.name, "outcome": "stuck", "reason": reason}
        return Outcome(
            dg.AssetObservation(INCOMING_ORDERS, description=f"Stuck {path.name}", metadata=metadata), reason
        )


def land_or_reject(context: dg.OpExecutionContext, incoming: IncomingOrderFiles, path: Path) -> Outcome:
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


def batch_run_key(request_keys: list[str]) -> str:
    """The same files always make the same key, so a batch is never requested twice."""
    if len(request_keys) == 1:
        return request_keys[0]
    digest = hashlib.sha256("\n".join(request_keys).encode()).hexdigest()[:20]
    return f"{len(request_keys)} files:{digest}"


def files_run_request(
    file_names: list[str], run_key: str, tags: dict[str, str], last_attempt: list[str] | None = None
) -> dg.RunRequest:
    config = OrderFilesConfig(file_names=file_names, last_attempt=last_attempt or [])
    return dg.RunRequest(run_key=run_key, run_config=dg.RunConfig(ops={"load_order_files": config}), tags=tags)


def runs_have_ended(instance: dg.DagsterInstance, run_key: str) -> bool:
    """Every run requested under this key (and its retries) has finished, or none was ever made."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/run_key": run_key}))
    return all(run.is_finished for run in runs)


def request_order_file_batches(
    context: dg.SensorEvaluationContext, incoming: IncomingOrderFiles, limits: BatchLimits
) -> dg.SensorResult:
    """Settled new files in batches (one run each), and one run for files a dead run left claimed.

    The cursor maps each waiting file to [its key, the run key it was requested under, how many
    times it was requested again]. A file still waiting after its run ended is requested again.
    """
    requested: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
    waiting = incoming.waiting()
    settled_before = time.time_ns() - SETTLE_SECONDS * 1_000_000_000
    ended: dict[str, bool] = {}
    new, again = [], {}
    for file in waiting:
        entry = requested.get(file.name)
        if file.mtime_ns > settled_before:
            continue
        if isinstance(entry, list) and entry[0] == file.key:
            _, run_key, count = entry
            if count >= MAX_REQUESTS_PER_FILE:
                continue
            if run_key not in ended:
                ended[run_key] = runs_have_ended(context.instance, run_key)
            if not ended[run_key]:
                continue
            again[file.name] = count + 1
        new.append(file)
    requests = []
    for batch in limits.batches(new):
        keys = [f"{file.key}#{again[file.name]}" if file.name in again else file.key for file in batch]
        run_key = batch_run_key(keys)
        requested.update({file.name: [file.key, run_key, again.get(file.name, 0)] for file in batch})
        tags = {"bookshop/order_files": str(len(batch))}
        last = [file.name for file in batch if again.get(file.name) == MAX_REQUESTS_PER_FILE]
        requests.append(files_run_request([file.name for file in batch], run_key, tags, last))
    for dead_run_id in incoming.claims_of_finished_runs(lambda run_id: abandoned(context.instance, run_id)):
        requests.append(files_run_request([], f"adopt:{dead_run_id}", {ADOPTS_TAG: dead_run_id}))
    still_waiting = {file.name for file in waiting}
    cursor = json.dumps({name: entry for name, entry in requested.items() if name in still_waiting}, sort_keys=True)
    if not requests:
        return dg.SensorResult(skip_reason=f"No new order file in {incoming.directory}", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def abandoned(instance: dg.DagsterInstance, run_id: str) -> bool:
    """A finished run left files claimed, and it was not itself a run that only adopted such files."""
    if not run_has_finished(instance, run_id):
        return False
    run = instance.get_run_by_id(run_id)
    return run is None or ADOPTS_TAG not in run.tags


def build_incoming_orders_sensor(limits: BatchLimits, status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="incoming_orders_sensor",
        job=ingest_order_file,
        minimum_interval_seconds=15,
        default_status=status,
        description=(
            "Starts ingest_order_file runs for new CSVs in the incoming directory, in batches of at most "
            f"{limits.max_files} files and {limits.max_bytes} bytes."
        ),
    )
    def incoming_orders_sensor(context: dg.SensorEvaluationContext, incoming: IncomingOrderFiles) -> dg.SensorResult:
        return request_order_file_batches(context, incoming, limits)

    return incoming_orders_sensor


@dg.definitions
def drop_folder_sensor() -> dg.Definitions:
    env = os.environ
    status = dg.DefaultSensorStatus.RUNNING if settings.start_running(env) else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(sensors=[build_incoming_orders_sensor(BatchLimits.from_env(env), status)])
