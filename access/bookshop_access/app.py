"""The `login` service: who is signed in, for the login proxy (nginx's auth_request on every
request), the sign-in, account and audit pages, and the operator entry's GraphQL requests, checked
mutation by mutation (graphql_gate.py) before they reach the webserver.

It answers the login proxy alone: a request from any other address is refused, so a header the
proxy sets (the client's address, the entry) cannot be forged from inside the stack.
"""

import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import requests
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bookshop_access import graphql_gate, pages
from bookshop_access.addresses import Addresses
from bookshop_access.first_start import create_first_accounts
from bookshop_access.identity import HASHER, SESSION_COOKIE, Caller, Identities, TooManyAttempts, verified
from bookshop_access.lookups import Workspace
from bookshop_access.policy import MUTATIONS, refusal
from bookshop_access.store import Store

WEBSERVER = os.environ.get("BOOKSHOP_WEBSERVER_URL", "http://webserver:3000")
SESSION_HOURS = float(os.environ.get("BOOKSHOP_SESSION_HOURS") or 8)
AUDIT_DAYS = int(os.environ.get("BOOKSHOP_AUDIT_DAYS") or 90)

store = Store()
identities = Identities(
    store, os.environ.get("BOOKSHOP_SSO_HEADER", "X-Forwarded-User"), os.environ.get("BOOKSHOP_SSO_PROXY", "")
)
workspace = Workspace(f"{WEBSERVER}/graphql")
webserver = requests.Session()
login_proxy = Addresses(os.environ.get("BOOKSHOP_LOGIN_PROXY_HOST", "proxy"))
last_pruned = 0.0


def from_proxy(request: Request) -> bool:
    return bool(request.client) and request.client.host in login_proxy


def caller_of(request: Request) -> Caller | None:
    """Who sent the request, from its own cookie, token, password or SSO header."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    return identities.caller(headers, request.cookies, request.headers.get("x-bookshop-client", ""))


def checked_caller(request: Request) -> Caller | None:
    """Who sent a request the proxy let through: the name its check answered (X-Bookshop-Person,
    set by the proxy, never by the client), looked up again for a role as it is now."""
    person = identities.person(request.headers.get("x-bookshop-person"))
    return Caller(person, request.headers.get("x-bookshop-via", "")) if person else None


def secure(request: Request) -> bool:
    return request.headers.get("x-forwarded-proto") == "https"


def check(request: Request) -> Response:
    """For the proxy's auth_request: 200 with the person's name, 401 (nobody), 403 (not here)."""
    try:
        caller = caller_of(request)
    except TooManyAttempts as error:
        return Response(status_code=403, headers={"X-Bookshop-Why": "429 " + str(error)})
    if caller is None:
        return Response(status_code=401, headers={"X-Bookshop-Why": "sign in"})
    if request.headers.get("x-bookshop-entry") == "operator" and caller.person.role == "viewer":
        why = f"{caller.person.name} is a viewer: the read-only UI is on the viewer entry (port 3001)"
        return Response(status_code=403, headers={"X-Bookshop-Why": why})
    return Response(headers={"X-Bookshop-Person": caller.person.name, "X-Bookshop-Via": caller.via})


def graphql(request: Request) -> Response:
    caller = checked_caller(request)
    if caller is None:
        return PlainTextResponse("sign in\n", status_code=401)
    try:
        body = _json_object(request)
        calls = graphql_gate.checked_calls(body, caller, workspace)
    except graphql_gate.BadRequest as error:
        return JSONResponse({"errors": [{"message": str(error)}]}, status_code=400)
    if any(call.refused for call in calls):
        graphql_gate.record(store, caller, calls, None)
        return JSONResponse(graphql_gate.refused_answer(calls))
    answer = webserver.post(
        f"{WEBSERVER}/graphql",
        data=graphql_gate.encoded(body),
        headers={"Content-Type": "application/json"},
        timeout=300,
    )
    if calls:
        graphql_gate.record(
            store, caller, calls, answer.json() if answer.ok else {"errors": [{"message": answer.text}]}
        )
        prune_now_and_then()
    return Response(answer.content, status_code=answer.status_code, media_type=answer.headers.get("content-type"))


def report_asset_event(request: Request) -> Response:
    """Dagster's REST endpoints that report an asset's event (/report_asset_materialization/<key>
    and its two siblings): checked as the GraphQL mutation that does the same, on the asset's
    location, then passed on."""
    caller = checked_caller(request)
    if caller is None:
        return PlainTextResponse("sign in\n", status_code=401)
    key = {"path": [part for part in request.path_params["asset_key"].split("/") if part]}
    call = graphql_gate.Call(
        "report", "reportRunlessAssetEvents", MUTATIONS["reportRunlessAssetEvents"], {"eventParams": {"assetKey": key}}
    )
    graphql_gate.look_up(call, workspace)
    call.refused = refusal(caller.person, call.mutation, call.rule, call.locations)
    if call.refused:
        graphql_gate.record(store, caller, [call], None)
        return JSONResponse({"error": call.refused}, status_code=403)
    answer = webserver.post(
        f"{WEBSERVER}{request.url.path}",
        params=request.query_params,
        data=request.scope["bookshop.body"],
        headers={"Content-Type": request.headers.get("content-type", "application/json")},
        timeout=60,
    )
    outcome = {"data": {"report": {"__typename": "ReportRunlessAssetEventsSuccess"}}} if answer.ok else {}
    graphql_gate.record(store, caller, [call], outcome or {"errors": [{"message": answer.text[:500]}]})
    return Response(answer.content, status_code=answer.status_code, media_type=answer.headers.get("content-type"))


def _json_object(request: Request) -> dict:
    try:
        body = json.loads(request.scope["bookshop.body"])
    except ValueError as error:
        raise graphql_gate.BadRequest("the body is no JSON") from error
    if not isinstance(body, dict):
        raise graphql_gate.BadRequest("one GraphQL request per POST, as a JSON object")
    return body


def prune_now_and_then() -> None:
    global last_pruned
    if time.monotonic() - last_pruned > 3600:
        last_pruned = time.monotonic()
        store.prune_audit(AUDIT_DAYS)


def login_page(request: Request) -> Response:
    return HTMLResponse(pages.login(request.query_params.get("next", "/"), ""))


def sign_in(request: Request) -> Response:
    form = pages.form(request.scope["bookshop.body"])
    name, password, next_page = form.get("name", ""), form.get("password", ""), form.get("next", "/")
    if not next_page.startswith("/") or next_page.startswith("//"):
        next_page = "/"
    client = request.headers.get("x-bookshop-client", "")
    try:
        person = identities.signed_in(name, password, client)
    except TooManyAttempts as error:
        store.record(name, "ui", "sign in", "refused", detail=f"{error} ({client})")
        return HTMLResponse(pages.login(next_page, str(error)), status_code=429)
    if person is None:
        store.record(name, "ui", "sign in", "refused", detail=f"wrong name or password ({client})")
        return HTMLResponse(pages.login(next_page, "Wrong name or password."), status_code=401)
    store.record(person.name, "ui", "sign in", "ok", detail=client)
    response = RedirectResponse(next_page, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        store.open_session(person.name, SESSION_HOURS),
        max_age=int(SESSION_HOURS * 3600),
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    return response


def sign_out(request: Request) -> Response:
    caller = caller_of(request)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        store.close_session(session)
        identities.forget()
    if caller:
        store.record(caller.person.name, caller.via, "sign out", "ok")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict", secure=secure(request))
    return response


def account_page(request: Request) -> Response:
    caller = checked_caller(request)
    if caller is None:
        return RedirectResponse("/login?" + urlencode({"next": "/account"}), status_code=303)
    return HTMLResponse(pages.account(caller.person, request.query_params.get("said", "")))


def change_password(request: Request) -> Response:
    caller = checked_caller(request)
    if caller is None:
        return PlainTextResponse("sign in\n", status_code=401)
    form = pages.form(request.scope["bookshop.body"])
    account = store.account(caller.person.name)
    new = form.get("new", "")
    if account is None or not account.password_hash or not verified(account.password_hash, form.get("current", "")):
        said, outcome = "The current password is wrong.", "refused"
    elif len(new) < 12 or new != form.get("again"):
        said, outcome = "The new password needs 12 characters or more, typed the same twice.", "refused"
    else:
        store.update(caller.person.name, password_hash=HASHER.hash(new))
        identities.forget()
        said, outcome = "Password changed: every session of yours is signed out.", "ok"
    store.record(caller.person.name, caller.via, "change password", outcome, target=caller.person.name)
    return RedirectResponse("/account?" + urlencode({"said": said}), status_code=303)


def audit_page(request: Request) -> Response:
    caller = checked_caller(request)
    if caller is None:
        return RedirectResponse("/login?" + urlencode({"next": "/audit"}), status_code=303)
    filters = {name: request.query_params.get(name, "") for name in ("person", "location", "action")}
    return HTMLResponse(pages.audit(store.audit(**filters, limit=500), filters))


def guarded(endpoint):
    """Only the login proxy is answered; a POST's body is read before the endpoint runs
    (the endpoints are plain functions, run in Starlette's thread pool)."""

    async def route(request: Request) -> Response:
        if not from_proxy(request):
            return PlainTextResponse("only the login proxy is answered\n", status_code=403)
        if request.method == "POST":
            raw = await request.body()
            request.scope["bookshop.body"] = raw
        return await run_in_threadpool(endpoint, request)

    return route


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    """At start: the tables (new or as they are), the first accounts on a new install, old records pruned."""
    store.create()
    create_first_accounts(store)
    store.prune_audit(AUDIT_DAYS)
    yield


app = Starlette(
    routes=[
        Route("/check", guarded(check)),
        Route("/graphql", guarded(graphql), methods=["POST"]),
        Route("/report_asset_{kind}/{asset_key:path}", guarded(report_asset_event), methods=["POST"]),
        Route("/login", guarded(login_page), methods=["GET"]),
        Route("/login", guarded(sign_in), methods=["POST"]),
        Route("/logout", guarded(sign_out), methods=["POST"]),
        Route("/account", guarded(account_page), methods=["GET"]),
        Route("/account/password", guarded(change_password), methods=["POST"]),
        Route("/audit", guarded(audit_page), methods=["GET"]),
        Route("/healthz", lambda request: PlainTextResponse("ok\n")),
    ],
    lifespan=lifespan,
)
