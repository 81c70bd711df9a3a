"""The `accounts` command: people, their roles and tokens, and the audit record.

    docker compose run --rm accounts add alice --role operator --location bookshop
    docker compose run --rm accounts list | disable alice | enable alice | remove alice
    docker compose run --rm accounts role alice --role operator --location bookshop --location warehouse
    docker compose run --rm accounts password alice         a new password, printed once
    docker compose run --rm accounts token add alice --label nightly-script   printed once
    docker compose run --rm accounts token list [alice] | token revoke 3
    docker compose run --rm accounts audit [--person alice] [--location bookshop] [--action "stop schedule"]

Every change is recorded in the audit record, as made from the command line. A change reaches
signed-in people within seconds (the login service looks again every 5 seconds).
"""

import argparse
import secrets
import sys

from bookshop_access.identity import HASHER
from bookshop_access.policy import Person
from bookshop_access.store import ROLES, Store

BY = "(command line)"


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(
        prog="accounts", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    verbs = commands.add_subparsers(dest="verb", required=True)
    for verb in ("add", "role"):
        each = verbs.add_parser(verb)
        each.add_argument("name")
        each.add_argument("--role", choices=ROLES, required=True)
        each.add_argument("--location", action="append", default=[], help="an operator's location; * for every one")
    for verb in ("disable", "enable", "remove", "password"):
        verbs.add_parser(verb).add_argument("name")
    verbs.add_parser("list")
    token = verbs.add_parser("token").add_subparsers(dest="token_verb", required=True)
    added = token.add_parser("add")
    added.add_argument("name")
    added.add_argument("--label", required=True)
    token.add_parser("list").add_argument("name", nargs="?")
    token.add_parser("revoke").add_argument("id", type=int)
    audit = verbs.add_parser("audit")
    for name in ("person", "location", "action"):
        audit.add_argument(f"--{name}", default="")
    audit.add_argument("--limit", type=int, default=50)
    return commands


def person_of(arguments: argparse.Namespace) -> Person:
    if arguments.role == "operator" and not arguments.location:
        sys.exit("an operator needs --location (a code location, or * for every one)")
    if arguments.role != "operator" and arguments.location:
        sys.exit("--location is for operators: a viewer sees and an admin changes every location")
    return Person(arguments.name, arguments.role, tuple(arguments.location))


def main(argv: list[str] | None = None) -> None:
    arguments = parser().parse_args(argv)
    store = Store()
    store.create()
    verb = arguments.verb if arguments.verb != "token" else f"token {arguments.token_verb}"
    name = getattr(arguments, "name", None) or ""
    found = True
    if verb == "add":
        if store.account(name):
            sys.exit(f"{name} exists already")
        password = secrets.token_urlsafe(18)
        store.add(person_of(arguments), HASHER.hash(password))
        print(f"{name}'s password (shown once; they can change it at /account): {password}")
    elif verb == "role":
        person = person_of(arguments)
        found = store.update(name, role=person.role, locations=list(person.locations))
    elif verb in ("disable", "enable"):
        found = store.update(name, disabled=verb == "disable")
    elif verb == "remove":
        found = store.remove(name)
    elif verb == "password":
        password = secrets.token_urlsafe(18)
        found = store.update(name, password_hash=HASHER.hash(password))
        if found:
            print(f"{name}'s new password (shown once): {password}")
    elif verb == "list":
        for account in store.people():
            person = account.person
            where = f" of {', '.join(person.locations)}" if person.locations else ""
            state = "\tdisabled" if account.disabled else ""
            print(f"{person.name}\t{person.role}{where}{state}")
        return
    elif verb == "token add":
        if store.account(name) is None:
            sys.exit(f"no account {name}")
        token = store.add_token(name, arguments.label)
        print(f"token for {name} (shown once; send it as 'Authorization: Bearer <token>'): {token}")
    elif verb == "token list":
        for token_id, person, label, created in store.tokens(name or None):
            print(f"{token_id}\t{person}\t{label}\t{created:%Y-%m-%d %H:%M}")
        return
    elif verb == "token revoke":
        found = store.revoke_token(arguments.id)
        name = f"token {arguments.id}"
    elif verb == "audit":
        for entry in store.audit(arguments.person, arguments.location, arguments.action, arguments.limit):
            print("\t".join([f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.person, entry.via, entry.location,
                             entry.action, entry.target, entry.outcome, entry.detail]))  # fmt: skip
        return
    store.record(BY, "cli", f"account {verb}", "ok" if found else "failed", target=name)
    if not found:
        sys.exit(f"no {name}" if name.startswith("token") else f"no account {name}")
    print(f"{verb}: {name}")


if __name__ == "__main__":
    main()
