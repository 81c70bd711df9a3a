"""The deployment under attack: the shared stack (tests/conftest.py), configured as users run it."""

from dataclasses import dataclass

import pytest

from support.accounts import Person, new_person_with_token
from support.stack import SHARED_STACK, Stack


@pytest.fixture(scope="package")
def stack() -> Stack:
    return SHARED_STACK.start()


@dataclass(frozen=True)
class People:
    """One person of each role, each with a token; tests that change an account make their own."""

    viewer: Person
    bookshop_operator: Person
    warehouse_operator: Person
    admin: Person


@pytest.fixture(scope="package")
def people(stack: Stack) -> People:
    return People(
        new_person_with_token(stack, "viewer"),
        new_person_with_token(stack, "operator", "bookshop"),
        new_person_with_token(stack, "operator", "warehouse"),
        new_person_with_token(stack, "admin"),
    )
