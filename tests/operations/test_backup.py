"""`docker compose run --rm backup` and `... restore`: what a backup is, which are kept, what a
restore refuses."""

import os
import re
import time

from operations.history import Backup
from support.stack import Stack


def test_a_backup_is_two_files_owned_by_the_backup_folders_owner(backup: Backup):
    made = backup.folder / backup.name
    assert re.fullmatch(r"\d{8}T\d{6}Z", backup.name)
    assert sorted(path.name for path in made.iterdir()) == ["dagster.dump", "data.tar.gz"]
    assert {path.stat().st_uid for path in [made, *made.iterdir()]} == {os.getuid()}


def test_only_the_newest_backups_are_kept(stack: Stack, backup: Backup, tmp_path):
    settings = {**stack.env, "BOOKSHOP_BACKUP_DIR": str(tmp_path), "BOOKSHOP_BACKUP_KEEP": "2"}
    made = []
    for _ in range(3):
        time.sleep(1)  # a backup's name is its second
        output = stack.compose("run", "--rm", "backup", env=settings, timeout=600).stdout
        made.append(re.search(r"^Backup (\S+):", output, re.MULTILINE)[1])  # type: ignore[index]
    assert sorted(path.name for path in tmp_path.iterdir()) == made[1:]


def test_a_restore_refuses_what_is_not_a_complete_backup(stack: Stack, backup: Backup):
    (backup.folder / "half").mkdir()
    (backup.folder / "half" / "dagster.dump").write_bytes(b"")
    refused = stack.compose("run", "--rm", "restore", "half", check=False, timeout=600)
    assert refused.returncode == 2
    assert "data.tar.gz is missing: not a complete backup" in refused.stderr
    assert stack.location_loaded()
