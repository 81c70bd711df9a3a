"""The deployment under attack: a stack of its own, configured exactly as users run it."""

from collections.abc import Iterator

import pytest

from support.stack import Stack, started_stack


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    with started_stack("security") as started:
        yield started
