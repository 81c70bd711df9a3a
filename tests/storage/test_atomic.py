import os
import threading
from pathlib import Path

import pytest
from upath import UPath

from bookshop.storage.atomic import ChangedSinceRead, replace_if_unchanged, write_atomically


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "export.csv"
    target.write_text("old\n")

    def half_then_crash(file):
        file.write(b"new, but only ha")
        raise RuntimeError("crashed mid-write")

    with pytest.raises(RuntimeError):
        write_atomically(UPath(target), half_then_crash)

    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["export.csv"]


def test_concurrent_writers_never_share_a_temporary_name_and_the_file_is_always_one_whole_version(tmp_path):
    target = tmp_path / "table.parquet"
    versions = {bytes([n]) * 200_000 for n in range(8)}
    seen: set[bytes] = set()

    def writer(content: bytes) -> None:
        for _ in range(10):
            write_atomically(target, lambda file: file.write(content))

    threads = [threading.Thread(target=writer, args=(content,)) for content in versions]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        if target.exists():
            seen.add(target.read_bytes())
    for thread in threads:
        thread.join(timeout=60)

    assert seen <= versions
    assert target.read_bytes() in versions
    assert os.listdir(tmp_path) == ["table.parquet"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_compare_and_swap_replaces_only_the_version_that_was_read(tmp_path):
    manifest = Path(tmp_path) / "manifest.json"

    replace_if_unchanged(manifest, None, b"v1")
    with pytest.raises(ChangedSinceRead):
        replace_if_unchanged(manifest, None, b"v1 again")  # created by another writer meanwhile
    replace_if_unchanged(manifest, b"v1", b"v2")
    with pytest.raises(ChangedSinceRead):
        replace_if_unchanged(manifest, b"v1", b"v3")  # built on v1, but v2 is there now

    assert manifest.read_bytes() == b"v2"


def test_of_many_writers_that_read_the_same_version_exactly_one_commits(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(b"v0")
    outcomes: list[str] = []

    def writer(n: int) -> None:
        try:
            replace_if_unchanged(manifest, b"v0", f"v1-{n}".encode())
            outcomes.append("committed")
        except ChangedSinceRead:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["committed"] + ["refused"] * 15
    assert manifest.read_bytes().startswith(b"v1-")
