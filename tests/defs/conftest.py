"""Fixtures of the definitions' tests: a throwaway Dagster instance and an empty drop folder."""

import dagster as dg
import pytest

from bookshop.incoming_files import IncomingOrderFiles


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def incoming(tmp_path):
    (tmp_path / "incoming").mkdir()
    return IncomingOrderFiles(path=str(tmp_path / "incoming"), storage_path=str(tmp_path / "storage"))
