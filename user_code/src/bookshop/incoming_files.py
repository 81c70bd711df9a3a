"""The drop folder for order files: what waits in it, how a run claims a file, where each file ends.

    incoming/                  files dropped by writers (hidden names are still being written)
    incoming/claimed/<run_id>/<n>/<name>
                               files a run has taken: renamed out of incoming/ before it reads them
    incoming/processed/        files whose orders are landed (or were landed before: a duplicate)
    incoming/rejected/         files that cannot be loaded, each with <name>.reason.txt beside it

A claim is one `rename` within the folder: atomic, so of two runs asked for the same file exactly
one gets it, and a writer still appending to a file it renamed into place is not possible (writers
deliver under a hidden name, then rename). A run that dies leaves its claim folder behind; the
next run adopts the files of claim folders whose run has finished, by renaming them again.
Every move is a rename, never a hard link: it needs write access to the folders only, so files
owned by root or by any other account move like the pipeline's own.

Landed orders (LandedOrders) live under the storage root, beside the assets' Parquet files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
from upath import UPath

from bookshop.logic.order_files import InvalidOrderFile
from bookshop.settings import SettingsError
from bookshop.storage.atomic import fsync_folder, write_atomically

CLAIMED, PROCESSED, REJECTED = "claimed", "processed", "rejected"
REASON_SUFFIX = ".reason.txt"
MAX_FILES_VARIABLE = "BOOKSHOP_INCOMING_MAX_FILES_PER_RUN"
MAX_BYTES_VARIABLE = "BOOKSHOP_INCOMING_MAX_BYTES_PER_RUN"
DEFAULT_MAX_FILES = 100
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class RefusedName(ValueError):
    """A file name that is not one plain entry of the drop folder; nothing is read or moved."""


def check_entry_name(name: str) -> None:
    """Refuse anything but a single name inside the folder: no separator, no absolute path, no `..`."""
    if name in ("", ".", "..") or "/" in name or "\x00" in name or os.path.isabs(name):
        raise RefusedName(f"{name!r}: not a file name inside the incoming folder (a path or a special name)")


def unsafe_name_reason(name: str) -> str | None:
    """Why a name that exists in the folder is still not loaded: a Windows separator or a control character."""
    if "\\" in name:
        return f"{name!r}: the name contains a backslash, a path separator elsewhere; rename the file"
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        return f"{name!r}: the name contains a control character; rename the file"
    return None


@dataclass(frozen=True)
class WaitingFile:
    name: str
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        """The same file (name, size, time) always has the same key; a changed or new file gets a new one."""
        return f"{self.name}:{self.size}:{self.mtime_ns}"


@dataclass(frozen=True)
class BatchLimits:
    """How many files, and how many bytes of them, one ingest run takes at most."""

    max_files: int
    max_bytes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BatchLimits:
        return cls(
            max_files=_positive_int(env, MAX_FILES_VARIABLE, DEFAULT_MAX_FILES),
            max_bytes=_positive_int(env, MAX_BYTES_VARIABLE, DEFAULT_MAX_BYTES),
        )

    def batches(self, files: list[WaitingFile]) -> list[list[WaitingFile]]:
        """Consecutive files, in order, cut at either limit; a file bigger than max_bytes goes alone."""
        batches: list[list[WaitingFile]] = []
        size = 0
        for file in files:
            if not batches or len(batches[-1]) >= self.max_files or size + file.size > self.max_bytes:
                batches.append([])
                size = 0
            batches[-1].append(file)
            size += file.size
        return batches


def _positive_int(env: Mapping[str, str], variable: str, default: int) -> int:
    text = env.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{variable}={text!r} must be a whole number of at least 1")
    return int(text)


def move_without_overwriting(path: Path, folder: Path, tag: str) -> Path:
    """Move an entry into `folder` by rename; a name already there is kept, the new one tagged.

    The new name is first reserved by creating it exclusively (an empty file, or an empty folder
    for a folder), then the entry is renamed over the reservation. A rename needs only write
    access to the two folders, never ownership of the file, so files of any owner move; and two
    runs moving the same name at once each reserve a name of their own.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = (path.name[: -len(path.suffix)], path.suffix) if path.suffix else (path.name, "")
    names = [path.name, f"{stem}.{tag}{suffix}", *(f"{stem}.{tag}.{n}{suffix}" for n in range(2, 100))]
    is_folder = stat.S_ISDIR(path.lstat().st_mode)
    for name in names:
        target = folder / name
        try:
            if is_folder:
                target.mkdir()
            else:
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        except FileExistsError:
            continue
        try:
            os.rename(path, target)
        except BaseException:
            if is_folder:
                target.rmdir()
            else:
                target.unlink()
            raise
        fsync_folder(folder)
        return target
    raise FileExistsError(f"{folder}: no free name for {path.name}")


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, never following a link; at most `limit` + 1 of them.

    Raises InvalidOrderFile saying what the entry is when it is not a regular file.
    """
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        raise InvalidOrderFile(f"{path.name}: a symbolic link, not a file; links are never followed")
    if stat.S_ISDIR(mode):
        raise InvalidOrderFile(f"{path.name}: a folder, not a file")
    if not stat.S_ISREG(mode):
        raise InvalidOrderFile(f"{path.name}: not a regular file (a pipe, socket or device)")
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise InvalidOrderFile(f"{path.name}: not a regular file")
        return file.read(limit + 1)


LANDED_FOLDER = "incoming_orders"
# The columns of a landed file: a validated order file's, and the name of the file it came from.
LANDED_DTYPES = {
    "order_id": "int64",
    "user_id": "int64",
    "book_id": "int64",
    "quantity": "int64",
    "unit_price_cents": "int64",
    "created_at": "datetime64[ns]",
    "source_file": "object",
}


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Landing:
    path: UPath
    new: bool  # False: the same content was landed before, and nothing was written


@dataclass(frozen=True)
class LandedOrders:
    """Orders loaded from dropped files: one Parquet file per distinct file content, named by its sha256.

    The name is the key that makes landing idempotent: a retry after a crash, or the same file
    dropped again, finds its Parquet file already there and lands nothing. Each file is written
    whole or not at all (storage/atomic.py), so a crash never leaves a half file under the name.
    """

    folder: UPath

    @classmethod
    def under(cls, storage_root: str) -> LandedOrders:
        return cls(UPath(storage_root) / LANDED_FOLDER)

    def path_for(self, digest: str) -> UPath:
        return self.folder / f"{digest}.parquet"

    def land(self, orders: pd.DataFrame, digest: str) -> Landing:
        """Write the orders of the file whose content hashes to `digest`, unless they are landed already."""
        target = self.path_for(digest)
        if target.exists():
            return Landing(target, new=False)
        write_atomically(target, lambda file: orders.to_parquet(file, index=False))
        return Landing(target, new=True)

    def read_all(self) -> pd.DataFrame:
        """Every landed order: the files in the order of their names (their sha256), each file's rows in order."""
        paths = sorted(self.folder.glob("*.parquet"), key=lambda path: path.name) if self.folder.exists() else []
        frames = []
        for path in paths:
            with path.open("rb") as file:
                frames.append(pd.read_parquet(file, columns=list(LANDED_DTYPES)))
        if not frames:
            return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in LANDED_DTYPES.items()})
        return pd.concat(frames, ignore_index=True)


class IncomingOrderFiles(dg.ConfigurableResource):
    """The drop folder for order CSV files (see the module's docstring for its layout).

    Landed orders are kept as Parquet under `storage_path`/incoming_orders/.
    """

    path: str
    storage_path: str

    @property
    def directory(self) -> Path:
        return Path(self.path)

    @property
    def landed_orders(self) -> LandedOrders:
        return LandedOrders.under(self.storage_path)

    def waiting(self) -> list[WaitingFile]:
        """Every entry named *.csv waiting in the folder, oldest first; hidden ones are still being written.

        Links and folders are listed too: a run claims and rejects them, so none stays behind.
        """
        files = []
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.endswith(".csv"):
                continue
            try:
                found = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # claimed by a run while we looked
                continue
            files.append(WaitingFile(entry.name, found.st_size, found.st_mtime_ns))
        return sorted(files, key=lambda file: (file.mtime_ns, file.name))

    def claim_folder(self, run_id: str) -> Path:
        return self.directory / CLAIMED / run_id

    def claim(self, name: str, run_id: str) -> Path | None:
        """Take `name` out of the folder for this run; None if it is gone (claimed by another run)."""
        check_entry_name(name)
        slot = self._new_slot(run_id)
        try:
            os.rename(self.directory / name, slot / name)
        except FileNotFoundError:
            slot.rmdir()
            return None
        fsync_folder(slot)
        return slot / name

    def claims_of_finished_runs(self, is_finished: Callable[[str], bool], run_id: str | None = None) -> list[str]:
        """Run ids whose claim folder is still there although the run has finished (it died)."""
        try:
            folders = list(os.scandir(self.directory / CLAIMED))
        except FileNotFoundError:
            return []
        return sorted(
            folder.name
            for folder in folders
            if folder.name != run_id and folder.is_dir(follow_symlinks=False) and is_finished(folder.name)
        )

    def adopt(self, dead_run_id: str, run_id: str) -> list[str]:
        """Claim for this run what a finished run left claimed; the names adopted."""
        try:
            old_slots = sorted(self.claim_folder(dead_run_id).iterdir())
        except FileNotFoundError:  # adopted and removed by another run first
            return []
        adopted = []
        for old_slot in old_slots:
            slot = self._new_slot(run_id)
            try:
                os.rename(old_slot, slot)  # replaces the empty new slot: one rename, atomic
            except FileNotFoundError:  # adopted by another run first
                slot.rmdir()
                continue
            adopted.extend(os.listdir(slot))
        self._remove_if_empty(self.claim_folder(dead_run_id))
        return adopted

    def claimed(self, run_id: str) -> list[Path]:
        """The files this run holds, in the order it claimed them."""
        folder = self.claim_folder(run_id)
        slots = sorted(folder.iterdir(), key=lambda slot: int(slot.name)) if folder.is_dir() else []
        return [slot / name for slot in slots for name in sorted(os.listdir(slot))]

    def release(self, run_id: str) -> None:
        """Remove the run's claim folder once every file in it has moved on."""
        folder = self.claim_folder(run_id)
        for slot in folder.iterdir() if folder.is_dir() else []:
            self._remove_if_empty(slot)
        self._remove_if_empty(folder)

    def _new_slot(self, run_id: str) -> Path:
        """An empty folder of its own for one claimed file, so claimed names never collide."""
        folder = self.claim_folder(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        number = len(os.listdir(folder))
        while True:
            try:
                (folder / str(number)).mkdir()
            except FileExistsError:
                number += 1
                continue
            return folder / str(number)

    def move_to_processed(self, path: Path, run_id: str, note: str | None = None) -> Path:
        """Move a claimed file whose orders are landed; `note` (e.g. why it was a duplicate) goes beside it."""
        moved = move_without_overwriting(path, self.directory / PROCESSED, run_id[:8])
        if note:
            self._write_reason(moved, note)
        return moved

    def move_to_rejected(self, path: Path, run_id: str, reason: str) -> Path:
        """Move a claimed file that cannot be loaded, with its reason in <name>.reason.txt beside it."""
        moved = move_without_overwriting(path, self.directory / REJECTED, run_id[:8])
        self._write_reason(moved, reason)
        return moved

    def write_claim_failure(self, name: str, reason: str) -> Path | None:
        """Record why a file that stays in the folder (it cannot be claimed) is not loaded; None if that fails too."""
        target = self.directory / REJECTED / (name + REASON_SUFFIX)
        try:
            target.parent.mkdir(exist_ok=True)
            write_atomically(target, lambda file: file.write(f"{reason}\n".encode()))
        except OSError:
            return None
        return target

    @staticmethod
    def _write_reason(moved: Path, reason: str) -> None:
        text = f"{reason}\n".encode()
        write_atomically(moved.with_name(moved.name + REASON_SUFFIX), lambda file: file.write(text))

    @staticmethod
    def _remove_if_empty(folder: Path) -> None:
        with contextlib.suppress(OSError):  # not empty, or removed already
            folder.rmdir()
