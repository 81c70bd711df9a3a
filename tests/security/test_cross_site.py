"""Cross-site request forgery against the operator entry, by a page the signed-in operator opens."""

import base64
import contextlib
import json
import os
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from security.attacks import START_SCHEDULE_INLINE, TARGET_SCHEDULE, target_status
from support.stack import Stack, basic_auth, free_port, wait_for

EVIL = "http://evil.example"


@contextlib.contextmanager
def served(page: str) -> Iterator[str]:
    """The attacker's page, served for real by another origin on this machine (another port), as a
    local service or a rebound DNS name would be. (Chromium keeps public sites from loopback
    addresses on its own, so a public origin would not test the proxy.)"""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_mutation_in_a_get_is_refused(stack: Stack):
    for query in (START_SCHEDULE_INLINE, START_SCHEDULE_INLINE.replace("mutation", "MUTATION")):
        url = "/graphql?" + urllib.parse.urlencode({"query": query})
        assert stack.http(stack.webserver_port, url).status == 403
    # Percent-encoded, so that no "mutation" shows in the URL.
    hidden = "".join(f"%{byte:02X}" for byte in START_SCHEDULE_INLINE.encode())
    assert stack.http(stack.webserver_port, f"/graphql?query={hidden}").status == 403
    assert target_status(stack) == "STOPPED"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL, "Content-Type": "application/json"},
        {"Origin": "null", "Content-Type": "application/json"},
        {"Origin": EVIL, "Content-Type": "text/plain"},  # a "simple" request: no CORS preflight
        {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
        {"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"},
    ],
)
def test_a_cross_site_post_is_refused(stack: Stack, headers: dict[str, str]):
    body = json.dumps({"query": START_SCHEDULE_INLINE}).encode()
    answer = stack.http(stack.webserver_port, "/graphql", method="POST", body=body, headers=headers)
    assert answer.status == 403, answer
    assert target_status(stack) == "STOPPED"


def test_the_same_origin_post_passes(stack: Stack):
    origin = f"http://127.0.0.1:{stack.webserver_port}"
    headers = {"Origin": origin, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
    body = json.dumps({"query": "{ version }"}).encode()
    assert stack.http(stack.webserver_port, "/graphql", method="POST", body=body, headers=headers).status == 200


def websocket_handshake(stack: Stack, origin: str) -> int:
    """The status of a GraphQL WebSocket handshake sent from origin (101: upgraded)."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{stack.webserver_port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: graphql-ws\r\nOrigin: {origin}\r\n"
        f"Authorization: {basic_auth(stack.operator)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", stack.webserver_port), timeout=30) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(1024).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_a_cross_site_websocket_is_refused_and_the_uis_own_is_upgraded(stack: Stack):
    assert websocket_handshake(stack, EVIL) == 403
    assert websocket_handshake(stack, f"http://127.0.0.1:{stack.webserver_port}") == 101


# ---- in Chromium: the operator is signed in, and opens a page of another site ----------------
@pytest.fixture
def operator_page(signed_in, stack: Stack) -> Page:
    return signed_in(stack.operator)


def test_a_page_of_another_site_cannot_drive_the_ui_while_the_ui_itself_works(stack: Stack, operator_page: Page):
    entry = f"http://127.0.0.1:{stack.webserver_port}"
    get_url = f"{entry}/graphql?" + urllib.parse.urlencode({"query": START_SCHEDULE_INLINE})
    body = json.dumps({"query": START_SCHEDULE_INLINE})
    # A text/plain form whose name=value makes a JSON body: {"query": "...", "x": "="}.
    form_name, form_value = body[:-1] + ', "x": "', '"}'
    # The attacker's page: an image that GETs the mutation, a form that POSTs it, and fetches.
    evil_page = f"""<html><body>
      <img src="{get_url}">
      <form id="f" method="POST" action="{entry}/graphql" enctype="text/plain" target="sink">
        <input name='{form_name}' value='{form_value}'></form>
      <iframe name="sink"></iframe>
      <script>
        document.getElementById("f").submit();
        const body = {json.dumps(body)};
        window.attempts = Promise.allSettled([
          fetch("{entry}/graphql", {{method: "POST", mode: "no-cors", credentials: "include", body}}),
          fetch("{entry}/graphql", {{method: "POST", credentials: "include", body,
                                    headers: {{"Content-Type": "application/json"}}}}),
        ]);
      </script></body></html>"""

    # Each request's answer: its status, or the browser's reason for having none (net::ERR_...).
    statuses: list[tuple[str, str, int | str | None]] = []
    operator_page.on("response", lambda r: statuses.append((r.request.method, r.url, r.status)))
    # An answer the browser withholds from the page (Cross-Origin-Resource-Policy) ends as a failure.
    operator_page.on("requestfailed", lambda r: statuses.append((r.method, r.url, r.failure)))
    with served(evil_page) as evil:
        operator_page.goto(f"{evil}/")
        operator_page.evaluate("window.attempts")
        operator_page.wait_for_load_state("networkidle")
    reached = [status for _, url, status in statuses if url.startswith(f"{entry}/graphql")]
    assert len(reached) >= 2 and all(status == 403 or isinstance(status, str) for status in reached), statuses
    assert 403 in reached, statuses
    assert target_status(stack) == "STOPPED"

    # Meanwhile the UI in the same browser: its pages load, its queries pass, and its
    # subscriptions' WebSocket to /graphql is upgraded and answered.
    frames: list[str] = []
    operator_page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(payload)))
    statuses.clear()
    operator_page.goto(f"{entry}/automation")
    expect(operator_page.get_by_role("link", name=TARGET_SCHEDULE)).to_be_visible(timeout=60_000)
    # A query the page abandoned itself (net::ERR_ABORTED: the page it was for was left, or the UI
    # no longer wanted it) has no answer to judge; any other failure, and any status but 200, counts.
    ui_queries = [
        (url, status)
        for method, url, status in statuses
        if method == "POST" and url.startswith(entry) and status != "net::ERR_ABORTED"
    ]
    assert ui_queries and {status for _, status in ui_queries} == {200}, [q for q in ui_queries if q[1] != 200]
    wait_for(lambda: any("connection_ack" in str(frame) for frame in frames), 30, "the WebSocket's ack", 0.5)
    assert target_status(stack) == "STOPPED"
