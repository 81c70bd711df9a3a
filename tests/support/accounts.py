"""People on a test stack, made as an administrator makes them (`docker compose run --rm accounts`),
signed in as a person does (the sign-in page), or as a script does (a personal token)."""

import secrets
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from support.stack import Stack


def accounts(stack: Stack, *arguments: str, check: bool = True) -> str:
    """The accounts command's output (stdout and stderr)."""
    ran = stack.compose("run", "--rm", "--no-deps", "-T", "accounts", *arguments, check=check)
    return ran.stdout + ran.stderr


def audit_records(stack: Stack, *filters: str) -> list[list[str]]:
    """The audit record as `accounts audit` prints it, newest first: one list of fields per entry."""
    return [line.split("\t") for line in accounts(stack, "audit", *filters).splitlines() if line.count("\t") >= 7]


def new_person(stack: Stack, role: str, *locations: str) -> tuple[str, str]:
    """(name, password) of a new person with this role (an operator: of these locations)."""
    name = f"{role}-{secrets.token_hex(3)}"
    options = [option for location in locations for option in ("--location", location)]
    output = accounts(stack, "add", name, "--role", role, *options)
    password = output.split("/account): ", 1)[1].split()[0]
    return name, password


def new_token(stack: Stack, name: str) -> str:
    return accounts(stack, "token", "add", name, "--label", "test").split("Bearer <token>'): ", 1)[1].split()[0]


def token_client(stack: Stack, token: str, port: int | None = None) -> DagsterGraphQLClient:
    """Dagster's own Python client, as a script uses it with a personal token."""
    return DagsterGraphQLClient(
        "127.0.0.1", port_number=port or stack.webserver_port, timeout=60, headers={"Authorization": f"Bearer {token}"}
    )


def session_cookie(stack: Stack, port: int, credentials: tuple[str, str]) -> dict[str, str]:
    """Signs in on the sign-in page; the Cookie header a browser then sends."""
    form = urllib.parse.urlencode({"name": credentials[0], "password": credentials[1], "next": "/runs"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{port}"}
    answer = stack.http(port, "/login", method="POST", body=form, headers=headers, signed_in=False)
    assert answer.status == 303, (answer.status, answer.body[:500])
    assert answer.headers["Location"] == "/runs"
    return {"Cookie": answer.headers["Set-Cookie"].split(";", 1)[0]}


def refusal(call: Callable[[], Any]) -> str:
    """What the login service answered to a refused mutation (Dagster's client raises it)."""
    with pytest.raises(DagsterGraphQLClientError) as refused:
        call()
    return str(refused.value.__cause__)


@dataclass(frozen=True)
class Person:
    name: str
    password: str
    token: str

    @property
    def credentials(self) -> tuple[str, str]:
        return self.name, self.password


def new_person_with_token(stack: Stack, role: str, *locations: str) -> Person:
    name, password = new_person(stack, role, *locations)
    return Person(name, password, new_token(stack, name))
