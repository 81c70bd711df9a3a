"""The accounts of a new install: one administrator, with a generated password kept on the login's
volume (the README says how to read it), unless BOOKSHOP_ADMIN_PASSWORD or its file sets one.

An install from before personal accounts keeps its two shared accounts: `operator` (or
BOOKSHOP_OPERATOR_USER) becomes an operator of every location and `viewer` a viewer, each with the
password it had: from its variable, its file, or the one the proxy generated and kept here.
"""

import os
import secrets
from pathlib import Path

from bookshop_access.identity import HASHER
from bookshop_access.policy import Person
from bookshop_access.store import Store

KEPT = Path("/var/lib/bookshop-proxy")
FIRST_ACCOUNTS = (
    ("admin", "admin", ()),
    ("operator", "operator", ("*",)),
    ("viewer", "viewer", ()),
)


def given_password(role: str) -> str | None:
    """BOOKSHOP_<ROLE>_PASSWORD, or the compose secret of BOOKSHOP_<ROLE>_PASSWORD_FILE, or the
    password kept on the login's volume; never both of the first two."""
    variable = os.environ.get(f"BOOKSHOP_{role.upper()}_PASSWORD", "")
    secret = Path(f"/run/secrets/bookshop_{role}_password")
    from_file = secret.read_text().strip() if secret.is_file() else ""
    if variable and from_file:
        raise SystemExit(f"set BOOKSHOP_{role.upper()}_PASSWORD or BOOKSHOP_{role.upper()}_PASSWORD_FILE, not both")
    kept = KEPT / f"{role}.password"
    return variable or from_file or (kept.read_text().strip() if kept.is_file() else None)


GENERATED = KEPT / "admin.password"


def generated_admin_password() -> str:
    GENERATED.write_text(secrets.token_urlsafe(24))
    GENERATED.chmod(0o600)
    return GENERATED.read_text()


def say_where_the_generated_password_is() -> None:
    """On every start while it is kept, so that the log says it whenever someone looks."""
    if GENERATED.is_file():
        print(
            f"the admin's generated password is kept; read it with: docker compose exec login cat {GENERATED}",
            flush=True,
        )


def create_first_accounts(store: Store) -> None:
    if store.has_people():
        say_where_the_generated_password_is()
        return
    for role, kind, locations in FIRST_ACCOUNTS:
        password = given_password(role)
        if password is None and role == "admin":
            password = generated_admin_password()
        if password:
            name = os.environ.get(f"BOOKSHOP_{role.upper()}_USER") or role
            store.add(Person(name, kind, locations), HASHER.hash(password))
            print(f"account {name} ({kind}) created", flush=True)
    say_where_the_generated_password_is()
