"""The deployment under attack: the shared stack (tests/conftest.py), configured as users run it."""

import pytest

from support.stack import SHARED_STACK, Stack


@pytest.fixture(scope="package")
def stack() -> Stack:
    return SHARED_STACK.start()
