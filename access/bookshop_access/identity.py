"""Who a request comes from: a session cookie (the sign-in page), a personal token (scripts,
`Authorization: Bearer`), a password (`Authorization: Basic`, as before personal accounts), or the
name an SSO proxy vouches for in a header, believed only from that proxy's address.

What was looked up is remembered for at most RECHECK_SECONDS, so a page's fifty requests cost one
database look and no password hash, and a disabled or removed person's requests stop within that.
Wrong passwords are counted per client address and per account: past MAX_WRONG in a row (none a
minute apart), one more is checked every WRONG_INTERVAL seconds and the others are answered 429 (TooManyAttempts); a
password already found right (a signed-in browser's) still passes.
"""

import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bookshop_access.addresses import Addresses
from bookshop_access.policy import Person
from bookshop_access.store import Account, Store, digest

RECHECK_SECONDS = 5
MAX_WRONG = 10
WRONG_INTERVAL = 6.0
# A minute without a wrong password and the count starts again.
FORGET_WRONG_AFTER = 60.0
SESSION_COOKIE = "bookshop_session"
# Hashes passwords with Argon2id at the library's defaults (RFC 9106's low-memory profile).
HASHER = PasswordHasher()


class TooManyAttempts(Exception):
    pass


@dataclass(frozen=True)
class Caller:
    person: Person
    # How they signed in: ui (the sign-in page), token, password, sso.
    via: str


@dataclass
class WrongPasswords:
    """Wrong passwords in a row of one client or account; allowed_at: when the next may be checked."""

    count: int = 0
    allowed_at: float = 0.0


class Identities:
    def __init__(self, store: Store, sso_header: str = "", sso_proxies: str = "") -> None:
        self.store = store
        self.sso_header = sso_header.lower()
        self.sso_proxies = Addresses(sso_proxies)
        # what was looked up -> (when, what was found)
        self.remembered: dict[str, tuple[float, Any]] = {}
        # digest of a name and its right password -> the password hash it was found right for
        self.right_passwords: dict[str, str] = {}
        self.wrong: dict[str, WrongPasswords] = {}

    # People, looked up at most every RECHECK_SECONDS.
    def account(self, name: str) -> Account | None:
        """The account as it is now (at most RECHECK_SECONDS ago), if it may sign in."""
        account = self._remember("person:" + name, lambda: self.store.account(name))
        return account if account and not account.disabled else None

    def person(self, name: str | None) -> Person | None:
        account = self.account(name) if name else None
        return account.person if account else None

    def _remember(self, key: str, look_up: Callable[[], Any]) -> Any:
        now = time.monotonic()
        looked_up = self.remembered.get(key)
        if looked_up is None or now - looked_up[0] > RECHECK_SECONDS:
            if len(self.remembered) > 10000:
                self.remembered.clear()
            looked_up = (now, look_up())
            self.remembered[key] = looked_up
        return looked_up[1]

    def forget(self) -> None:
        """After a change of accounts made here: nothing remembered is believed any more."""
        self.remembered.clear()

    # A request.
    def caller(self, headers: dict[str, str], cookies: dict[str, str], client: str) -> Caller | None:
        if self.sso_header and headers.get(self.sso_header) and client in self.sso_proxies:
            person = self.person(headers[self.sso_header].strip())
            return Caller(person, "sso") if person else None
        session = cookies.get(SESSION_COOKIE)
        if session:
            person = self.person(
                self._remember("session:" + digest(session), lambda: self.store.session_person(session))
            )
            if person:
                return Caller(person, "ui")
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials:
            name = self._remember("token:" + digest(credentials), lambda: self.store.token_person(credentials))
            person = self.person(name)
            return Caller(person, "token") if person else None
        if scheme.lower() == "basic" and credentials:
            try:
                name, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            person = self.signed_in(name, password, client)
            return Caller(person, "password") if person else None
        return None

    # Passwords.
    def signed_in(self, name: str, password: str, client: str) -> Person | None:
        """The person, if this is their password. A password found right is not hashed again while
        the account keeps that password (a digest of it is remembered, never the password)."""
        key = digest(f"{name}\0{password}")
        account = self.account(name)
        if account and account.password_hash and self.right_passwords.get(key) == account.password_hash:
            return account.person
        counted = (self.wrong.setdefault("client:" + client, WrongPasswords()),
                   self.wrong.setdefault("account:" + name, WrongPasswords()))  # fmt: skip
        now = time.monotonic()
        for each in counted:
            if now - each.allowed_at > FORGET_WRONG_AFTER:
                each.count = 0
        if any(each.count > MAX_WRONG and now < each.allowed_at for each in counted):
            raise TooManyAttempts(f"too many wrong passwords: try again in {WRONG_INTERVAL:.0f} seconds")
        if account and account.password_hash and verified(account.password_hash, password):
            for each in counted:
                each.count = 0
            if len(self.right_passwords) > 10000:
                self.right_passwords.clear()
            self.right_passwords[key] = account.password_hash
            return account.person
        for each in counted:
            each.count += 1
            each.allowed_at = now + WRONG_INTERVAL
        return None


def verified(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
