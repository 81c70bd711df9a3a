"""People, their sessions and tokens, and the audit record, in Postgres (schema bookshop_access of
Dagster's database, so they survive restarts and are in every backup).

The audit table is append-only: a trigger refuses every UPDATE and TRUNCATE, and every DELETE but
of rows older than the retention this connection declares (bookshop.audit_days, set by
`prune_audit`). Only the database owner can lift that, by dropping the trigger.
Session and token secrets are kept as SHA-256 digests: the database never holds one that works.
"""

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL

from bookshop_access.policy import Person

ROLES = ("viewer", "operator", "admin")
SCHEMA = """
CREATE SCHEMA IF NOT EXISTS bookshop_access;
CREATE TABLE IF NOT EXISTS bookshop_access.people (
    name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
    role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    locations text[] NOT NULL DEFAULT '{}',
    password_hash text,
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bookshop_access.sessions (
    digest text PRIMARY KEY,
    person text NOT NULL REFERENCES bookshop_access.people (name) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS bookshop_access.tokens (
    id serial PRIMARY KEY,
    person text NOT NULL REFERENCES bookshop_access.people (name) ON DELETE CASCADE,
    label text NOT NULL,
    digest text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bookshop_access.audit (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    person text NOT NULL,
    via text NOT NULL,
    location text NOT NULL DEFAULT '',
    action text NOT NULL,
    target text NOT NULL DEFAULT '',
    outcome text NOT NULL,
    detail text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON bookshop_access.audit (at);
CREATE OR REPLACE FUNCTION bookshop_access.audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('bookshop.audit_days', true), '') <> ''
        AND OLD.at < now() - make_interval(days => greatest(1, current_setting('bookshop.audit_days')::int)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'the audit record is append-only: ' || TG_OP || ' refused';
END $$;
DROP TRIGGER IF EXISTS append_only ON bookshop_access.audit;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON bookshop_access.audit
    FOR EACH ROW EXECUTE FUNCTION bookshop_access.audit_is_append_only();
DROP TRIGGER IF EXISTS append_only_truncate ON bookshop_access.audit;
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON bookshop_access.audit
    FOR EACH STATEMENT EXECUTE FUNCTION bookshop_access.audit_is_append_only();
"""


@dataclass(frozen=True)
class Account:
    person: Person
    password_hash: str | None
    disabled: bool


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    person: str
    via: str
    location: str
    action: str
    target: str
    outcome: str
    detail: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Store:
    def __init__(self) -> None:
        url = URL.create(
            "postgresql+psycopg2",
            username=os.environ["DAGSTER_POSTGRES_USER"],
            password=os.environ["DAGSTER_POSTGRES_PASSWORD"],
            host=os.environ["DAGSTER_POSTGRES_HOST"],
            port=int(os.environ["DAGSTER_POSTGRES_PORT"]),
            database=os.environ["DAGSTER_POSTGRES_DB"],
        )
        self.engine = create_engine(url, pool_pre_ping=True, pool_size=4)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def create(self) -> None:
        with self.connection() as db:
            db.exec_driver_sql(SCHEMA)

    # People.
    def account(self, name: str) -> Account | None:
        with self.connection() as db:
            row = db.execute(
                text(
                    "SELECT name, role, locations, password_hash, disabled FROM bookshop_access.people WHERE name = :n"
                ),
                {"n": name},
            ).first()
        if row is None:
            return None
        return Account(Person(row.name, row.role, tuple(row.locations)), row.password_hash, row.disabled)

    def people(self) -> list[Account]:
        with self.connection() as db:
            names = db.execute(text("SELECT name FROM bookshop_access.people ORDER BY name")).scalars().all()
        return [account for account in map(self.account, names) if account]

    def has_people(self) -> bool:
        with self.connection() as db:
            return db.execute(text("SELECT exists (SELECT 1 FROM bookshop_access.people)")).scalar_one()

    def add(self, person: Person, password_hash: str | None) -> None:
        with self.connection() as db:
            db.execute(
                text(
                    "INSERT INTO bookshop_access.people (name, role, locations, password_hash) VALUES (:n, :r, :l, :h)"
                ),
                {"n": person.name, "r": person.role, "l": list(person.locations), "h": password_hash},
            )

    def update(self, name: str, **values: object) -> bool:
        """Sets role, locations, password_hash or disabled; a disabled person's sessions end."""
        columns = ", ".join(f"{column} = :{column}" for column in values)
        with self.connection() as db:
            found = db.execute(
                text(f"UPDATE bookshop_access.people SET {columns} WHERE name = :name"), {**values, "name": name}
            ).rowcount
            if values.get("disabled") or "password_hash" in values:
                db.execute(text("DELETE FROM bookshop_access.sessions WHERE person = :n"), {"n": name})
        return found == 1

    def remove(self, name: str) -> bool:
        with self.connection() as db:
            return db.execute(text("DELETE FROM bookshop_access.people WHERE name = :n"), {"n": name}).rowcount == 1

    # Sessions: the browser holds the secret, the table its digest.
    def open_session(self, name: str, hours: float) -> str:
        secret = new_secret()
        with self.connection() as db:
            db.execute(text("DELETE FROM bookshop_access.sessions WHERE expires_at < now()"))
            db.execute(
                text(
                    "INSERT INTO bookshop_access.sessions (digest, person, expires_at)"
                    " VALUES (:d, :p, now() + make_interval(secs => :s))"
                ),
                {"d": digest(secret), "p": name, "s": hours * 3600},
            )
        return secret

    def session_person(self, secret: str) -> str | None:
        with self.connection() as db:
            return db.execute(
                text("SELECT person FROM bookshop_access.sessions WHERE digest = :d AND expires_at > now()"),
                {"d": digest(secret)},
            ).scalar_one_or_none()

    def close_session(self, secret: str) -> None:
        with self.connection() as db:
            db.execute(text("DELETE FROM bookshop_access.sessions WHERE digest = :d"), {"d": digest(secret)})

    # Tokens for scripts: shown once, kept as digests.
    def add_token(self, name: str, label: str) -> str:
        secret = "bst_" + new_secret()
        with self.connection() as db:
            db.execute(
                text("INSERT INTO bookshop_access.tokens (person, label, digest) VALUES (:p, :l, :d)"),
                {"p": name, "l": label, "d": digest(secret)},
            )
        return secret

    def tokens(self, name: str | None = None) -> list[tuple[int, str, str, datetime]]:
        with self.connection() as db:
            rows = db.execute(
                text(
                    "SELECT id, person, label, created_at FROM bookshop_access.tokens"
                    " WHERE :n IS NULL OR person = :n ORDER BY id"
                ),
                {"n": name},
            ).all()
        return [tuple(row) for row in rows]

    def revoke_token(self, token_id: int) -> bool:
        with self.connection() as db:
            return db.execute(text("DELETE FROM bookshop_access.tokens WHERE id = :i"), {"i": token_id}).rowcount == 1

    def token_person(self, secret: str) -> str | None:
        with self.connection() as db:
            return db.execute(
                text("SELECT person FROM bookshop_access.tokens WHERE digest = :d"), {"d": digest(secret)}
            ).scalar_one_or_none()

    # The audit record.
    def record(self, person: str, via: str, action: str, outcome: str, **fields: str) -> None:
        with self.connection() as db:
            db.execute(
                text(
                    "INSERT INTO bookshop_access.audit (person, via, location, action, target, outcome, detail)"
                    " VALUES (:person, :via, :location, :action, :target, :outcome, :detail)"
                ),
                {
                    "person": person,
                    "via": via,
                    "action": action,
                    "outcome": outcome,
                    "location": fields.get("location", ""),
                    "target": fields.get("target", "")[:1000],
                    "detail": fields.get("detail", "")[:2000],
                },
            )

    def audit(self, person: str = "", location: str = "", action: str = "", limit: int = 200) -> list[AuditEntry]:
        """Newest first, each filter applied when given."""
        with self.connection() as db:
            rows = db.execute(
                text(
                    "SELECT at, person, via, location, action, target, outcome, detail FROM bookshop_access.audit"
                    " WHERE (:p = '' OR person = :p) AND (:l = '' OR location = :l) AND (:a = '' OR action = :a)"
                    " ORDER BY id DESC LIMIT :limit"
                ),
                {"p": person, "l": location, "a": action, "limit": limit},
            ).all()
        return [AuditEntry(*row) for row in rows]

    def prune_audit(self, days: int) -> int:
        with self.connection() as db:
            db.execute(text("SELECT set_config('bookshop.audit_days', :d, true)"), {"d": str(days)})
            return db.execute(
                text("DELETE FROM bookshop_access.audit WHERE at < now() - make_interval(days => :d)"), {"d": days}
            ).rowcount
