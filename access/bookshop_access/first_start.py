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


def generated_admin_password() -> str:
    kept = KEPT / "admin.password"
    kept.write_text(secrets.token_urlsafe(24))
    kept.chmod(0o600)
    print(f"the admin has a generated password; read it with: docker compose exec login cat {kept}", flush=True)
    return kept.read_text()


def create_first_accounts(store: Store) -> None:
    if store.has_people():
        return
    for role, kind, locations in FIRST_ACCOUNTS:
        password = given_password(role)
        if password is None and role == "admin":
            password = generated_admin_password()
        if password:
            name = os.environ.get(f"BOOKSHOP_{role.upper()}_USER") or role
            store.add(Person(name, kind, locations), HASHER.hash(password))
            print(f"account {name} ({kind}) created", flush=True)
