"""Personal accounts: each person signs in with their own name (the sign-in page, a personal token,
or a trusted SSO proxy's header), and an administrator's change of an account reaches their
open sessions within a minute."""

import json
import secrets
import subprocess

import pytest
from dagster_graphql import DagsterGraphQLClientError

from security.conftest import People
from support.accounts import accounts, new_person, new_token, refusal, session_cookie, token_client
from support.stack import LOCATION, REPOSITORY, Stack, wait_for

ROLES = ("viewer", "operator", "admin")


def test_accounts_of_each_role_sign_in_and_reach_their_entries(stack: Stack, people: People):
    """A viewer reaches the read-only entry only; an operator and an admin both entries."""
    for role, each in zip(ROLES, (people.viewer, people.bookshop_operator, people.admin), strict=True):
        person = each.credentials
        cookie = session_cookie(stack, stack.readonly_port, person)
        assert stack.http(stack.readonly_port, "/server_info", headers=cookie, signed_in=False).status == 200
        on_operators = stack.http(stack.webserver_port, "/server_info", headers=cookie, signed_in=False)
        if role == "viewer":
            assert on_operators.status == 403
            assert b"the read-only UI is on the viewer entry" in on_operators.body
        else:
            assert on_operators.status == 200, (role, on_operators.status)
        account = stack.http(stack.readonly_port, "/account", headers=cookie, signed_in=False)
        assert f"Signed in as <strong>{person[0]}</strong>, {role}".encode() in account.body


def test_account_sign_in_refuses_a_wrong_password_and_a_browser_is_sent_to_the_sign_in_page(
    stack: Stack, people: People
):
    name, password = people.viewer.credentials
    form = f"name={name}&password=not-{password}".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = stack.http(stack.readonly_port, "/login", method="POST", body=form, headers=headers, signed_in=False)
    assert refused.status == 401 and b"Wrong name or password" in refused.body
    assert "Set-Cookie" not in refused.headers
    page = stack.http(stack.readonly_port, "/runs", headers={"Accept": "text/html"}, signed_in=False)
    assert (page.status, page.headers["Location"]) == (303, "/login?next=/runs")


def test_an_account_session_lasts_eight_hours_and_ends_at_sign_out(stack: Stack, people: People):
    person = people.bookshop_operator.credentials
    form = f"name={person[0]}&password={person[1]}&next=/".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    signed = stack.http(stack.webserver_port, "/login", method="POST", body=form, headers=headers, signed_in=False)
    name_and_value, *attributes = signed.headers["Set-Cookie"].split("; ")
    assert {"Max-Age=28800", "HttpOnly", "SameSite=strict", "Path=/"} <= set(attributes)
    cookie = {"Cookie": name_and_value}
    assert stack.http(stack.webserver_port, "/server_info", headers=cookie, signed_in=False).status == 200
    out = stack.http(stack.webserver_port, "/logout", method="POST", headers=cookie, signed_in=False)
    assert (out.status, out.headers["Location"]) == (303, "/login")
    assert stack.http(stack.webserver_port, "/server_info", headers=cookie, signed_in=False).status == 401


def test_a_disabled_accounts_open_session_and_token_stop_working_within_a_minute(stack: Stack):
    person = new_person(stack, "operator", "bookshop")
    cookie = session_cookie(stack, stack.webserver_port, person)
    token = {"Authorization": f"Bearer {new_token(stack, person[0])}"}
    for sent in (cookie, token):
        assert stack.http(stack.webserver_port, "/server_info", headers=sent, signed_in=False).status == 200
    accounts(stack, "disable", person[0])

    def refused() -> bool:
        return all(
            stack.http(stack.webserver_port, "/server_info", headers=sent, signed_in=False).status == 401
            for sent in (cookie, token)
        )

    wait_for(refused, 60, "the disabled person's session and token to be refused", interval=1)
    accounts(stack, "enable", person[0])
    # Disabling ended the session for good; the token works again once enabled.
    wait_for(lambda: stack.http(stack.webserver_port, "/server_info", headers=token, signed_in=False).status == 200,
             60, "the token of the person enabled again", interval=1)  # fmt: skip
    assert stack.http(stack.webserver_port, "/server_info", headers=cookie, signed_in=False).status == 401


def test_account_tokens_of_each_role_work_with_dagster_graphql_and_end_when_revoked(stack: Stack, people: People):
    viewer_client = token_client(stack, people.viewer.token, port=stack.readonly_port)
    assert viewer_client._execute("{ version }")["version"]
    with pytest.raises(DagsterGraphQLClientError):
        viewer_client.submit_job_execution(
            "source_refresh", repository_location_name=LOCATION, repository_name=REPOSITORY
        )
    operator_client = token_client(stack, people.bookshop_operator.token)
    assert operator_client.reload_repository_location("bookshop").status.value == "SUCCESS"
    refused = refusal(lambda: operator_client.reload_repository_location("warehouse"))
    assert f"{people.bookshop_operator.name} is an operator of bookshop, not of warehouse" in refused
    admin = people.admin.name
    admin_token = new_token(stack, admin)
    assert token_client(stack, admin_token).reload_repository_location("warehouse").status.value == "SUCCESS"
    [*_, listed] = [line for line in accounts(stack, "token", "list", admin).splitlines() if admin in line]
    accounts(stack, "token", "revoke", listed.split()[0])
    revoked = {"Authorization": f"Bearer {admin_token}"}
    wait_for(lambda: stack.http(stack.webserver_port, "/server_info", headers=revoked, signed_in=False).status == 401,
             60, "the revoked token to be refused", interval=1)  # fmt: skip


# From inside the stack's network, in the container of the stand-in SSO proxy (the webhook
# receiver: BOOKSHOP_SSO_PROXY names it on the test stacks), or another: the status of a request to
# the operator entry that names a person in the SSO header.
SSO_CLIENT = """
import http.client, json, sys
connection = http.client.HTTPConnection("proxy", 3000, timeout=30)
connection.request("GET", "/server_info", headers={"Host": "127.0.0.1:3000", "X-Forwarded-User": sys.argv[1]})
print(json.dumps(connection.getresponse().status))
"""


def test_an_account_named_by_the_sso_header_is_believed_only_from_the_sso_proxy(stack: Stack, people: People):
    name = people.bookshop_operator.name
    assert json.loads(stack.exec("webhook_receiver", f"python - {name}", input=SSO_CLIENT)) == 200
    assert json.loads(stack.exec("webhook_receiver", "python - nobody-here", input=SSO_CLIENT)) == 401
    # The same header from another container of the stack, or from the host, names nobody.
    assert json.loads(stack.exec("user_code", f"python - {name}", input=SSO_CLIENT)) == 401
    forged = stack.http(stack.webserver_port, "/server_info", headers={"X-Forwarded-User": name}, signed_in=False)
    assert forged.status == 401


# The first start of the login service (its lifespan) on an old install's volume and database,
# then a sign-in with each password the old proxy kept: the role and locations each one gets.
FIRST_START_ON_AN_OLD_INSTALL = """
import json, sys
from bookshop_access.first_start import create_first_accounts
from bookshop_access.identity import Identities
from bookshop_access.store import Store
store = Store()
store.create()
create_first_accounts(store)
identities = Identities(store)
found = {name: identities.signed_in(name, password, "upgrade") for name, password in json.load(sys.stdin).items()}
print(json.dumps({name: person and [person.role, list(person.locations)] for name, person in found.items()}))
"""
# Where the login service keeps what it generates: the old proxy's volume, where it kept its own.
KEPT = "/var/lib/bookshop-proxy"


def test_account_passwords_an_earlier_proxy_generated_and_kept_still_sign_in_after_the_upgrade(stack: Stack):
    """An install from before personal accounts, with no password in .env: its proxy generated the
    operator's and the viewer's and kept them on its volume (as uid 101, mode 600), which the login
    service now mounts. Its first start on that volume and a database without people keeps both."""
    passwords = {"operator": secrets.token_urlsafe(24), "viewer": secrets.token_urlsafe(24)}
    kept_by_the_old_proxy = " && ".join(
        f"printf '%s\\n' '{password}' > {KEPT}/{role}.password && chmod 600 {KEPT}/{role}.password"
        for role, password in passwords.items()
    )
    volume, database = f"{stack.project}_old_proxy", f"old_install_{secrets.token_hex(3)}"
    # The login service's container, on the old volume and database, without the test stack's passwords.
    on_the_old_install = ["run", "--rm", "--no-deps", "-T", "-v", f"{volume}:{KEPT}",
                          "-e", f"DAGSTER_POSTGRES_DB={database}",
                          "-e", "BOOKSHOP_OPERATOR_PASSWORD=", "-e", "BOOKSHOP_VIEWER_PASSWORD="]  # fmt: skip
    try:
        stack.compose(*on_the_old_install, "--entrypoint", "sh", "login", "-c", kept_by_the_old_proxy)
        stack.exec("postgres", f"psql -U postgres -qc 'CREATE DATABASE {database} OWNER dagster'")
        started = stack.compose(
            *on_the_old_install, "login", "python", "-c", FIRST_START_ON_AN_OLD_INSTALL, input=json.dumps(passwords)
        )
    finally:
        stack.exec("postgres", f"psql -U postgres -qc 'DROP DATABASE IF EXISTS {database} WITH (FORCE)'")
        subprocess.run(["docker", "volume", "rm", "--force", volume], capture_output=True, check=False)
    assert json.loads(started.stdout.splitlines()[-1]) == {"operator": ["operator", ["*"]], "viewer": ["viewer", []]}
    assert "account admin (admin) created" in started.stdout, "an admin beside them, its password generated"
    assert all(password not in started.stdout + started.stderr for password in passwords.values())
