"""The one way the pipeline writes a file: a reader sees the old file or the whole new one, never half of one.

On a local filesystem the bytes go to a uniquely named temporary file in the target's folder,
are flushed and fsynced, renamed over the target (`os.replace`, atomic within one filesystem),
and the folder is fsynced so the rename itself survives a crash. Two writers never share a
temporary name. On an object store (an `s3://` UPath) one PUT is already atomic: the bytes are
collected in memory and sent in one request (a multipart upload only for files over 100 MB,
which the store also makes visible at once, on completion), so a reader sees the old object or
the new one, and a write that fails half-way sends nothing.

`replace_if_unchanged` adds a compare-and-swap for small files that several writers may replace
(a table's manifest): locally an exclusive `flock` on a lock file beside the target serialises
the compare and the atomic write, across processes and containers sharing the folder; on an
object store the PUT is conditional (`If-Match` on the ETag read, `If-None-Match: *` to create),
so the store itself refuses a write over a version the writer did not read.
"""

from __future__ import annotations

import fcntl
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from upath import UPath


def is_local(path: UPath | Path) -> bool:
    return isinstance(path, Path) or getattr(path, "protocol", "") in ("", "file", "local")


def write_atomically(path: UPath | Path, write: Callable[[BinaryIO], object]) -> None:
    """Call `write` with a binary file that becomes `path` only once it is complete."""
    if not is_local(path):
        assert isinstance(path, UPath)
        buffer = io.BytesIO()
        write(buffer)
        path.fs.pipe_file(path.path, buffer.getvalue())
        return
    target = Path(path.path if isinstance(path, UPath) else path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


class ChangedSinceRead(RuntimeError):
    """Another writer replaced the file since this one read it."""


def replace_if_unchanged(path: UPath | Path, expected: bytes | None, content: bytes) -> None:
    """Replace `path` by `content` only if it still holds `expected` (None: only if it does not exist)."""
    if is_local(path):
        target = Path(path.path if isinstance(path, UPath) else path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.parent / f".{target.name}.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            check_unchanged(target, read_or_none(target), expected)
            write_atomically(target, lambda file: file.write(content))
        return
    assert isinstance(path, UPath)
    fs, key = path.fs, path.path
    fs.invalidate_cache(key)
    etag = fs.info(key)["ETag"] if fs.exists(key) else None
    check_unchanged(path, read_or_none(path) if etag else None, expected)
    condition = {"IfMatch": etag} if etag else {"mode": "create"}
    try:
        fs.pipe_file(key, content, **condition)
    except OSError as error:  # 412 Precondition Failed (or 409): a write came in between
        raise ChangedSinceRead(f"{path} was replaced by another writer while this one committed") from error
    finally:
        fs.invalidate_cache(key)


def read_or_none(path: UPath | Path) -> bytes | None:
    """The whole file as it is now (None if there is none), in one read: one GET on an object store.

    (A buffered S3 file pins the ETag of its first read and fails if a writer replaces the object
    between two reads; a single GET sees one version, old or new.)
    """
    try:
        if is_local(path):
            return path.read_bytes()
        assert isinstance(path, UPath)
        return path.fs.cat_file(path.path)
    except FileNotFoundError:
        return None


def check_unchanged(path: UPath | Path, current: bytes | None, expected: bytes | None) -> None:
    if current != expected:
        raise ChangedSinceRead(f"{path} was replaced by another writer since this one read it")


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
