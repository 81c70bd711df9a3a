"""The one way the pipeline writes a file: a reader sees the old file or the whole new one, never half of one.

On a local filesystem the bytes go to a uniquely named temporary file in the target's folder,
are flushed and fsynced, renamed over the target (`os.replace`, atomic within one filesystem),
and the folder is fsynced so the rename itself survives a crash. Two writers never share a
temporary name. On an object store (an `s3://` UPath) one PUT is already atomic: the object is
written in one request, and a reader sees the old object or the new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from upath import UPath


def is_local(path: UPath | Path) -> bool:
    return isinstance(path, Path) or getattr(path, "protocol", "") in ("", "file", "local")


def write_atomically(path: UPath | Path, write: Callable[[BinaryIO], None]) -> None:
    """Call `write` with a binary file that becomes `path` only once it is complete."""
    if not is_local(path):
        with path.open("wb") as file:
            write(file)
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


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
