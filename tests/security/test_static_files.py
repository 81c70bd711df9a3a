"""The UI's files through the login proxy: compressed, kept by the browser, and still behind the login."""

import gzip
import json
import re
import time
import uuid

import pytest
from playwright.sync_api import Browser, BrowserContext

from support.stack import Stack, basic_auth, wait_for

GZIP = {"Accept-Encoding": "gzip"}
IMMUTABLE = "public, max-age=31536000, immutable"
# The UI's hashed files, as the runs page names them.
HASHED = re.compile(r'/_next/static/[^"\'\s]+\.(?:js|css)')
# A request for a hashed file in the proxy's access log (nginx's combined format): its path,
# status and the browser's User-Agent.
STATIC_REQUEST = re.compile(r'"GET (/_next/static/\S+) HTTP/[\d.]+" (\d{3}) \d+ "[^"]*" "([^"]*)"')


def entry_port(stack: Stack, entry: str) -> int:
    return stack.webserver_port if entry == "operator" else stack.readonly_port


def hashed_files(stack: Stack, port: int) -> list[str]:
    page = stack.http(port, "/runs")
    assert page.status == 200, page.status
    files = sorted(set(HASHED.findall(page.body.decode())))
    assert any(name.endswith(".js") for name in files), files
    return files


@pytest.mark.parametrize("entry", ["operator", "viewer"])
def test_hashed_files_are_compressed_and_kept_for_a_year(stack: Stack, entry: str):
    port = entry_port(stack, entry)
    plain_bytes = packed_bytes = 0
    for path in hashed_files(stack, port):
        plain = stack.http(port, path)
        packed = stack.http(port, path, headers=GZIP)
        assert (plain.status, packed.status) == (200, 200), path
        assert "Content-Encoding" not in plain.headers, path
        assert packed.headers["Cache-Control"] == IMMUTABLE, path
        # Files under a kilobyte are not worth compressing (gzip_min_length in proxy/bookshop.conf).
        if len(plain.body) >= 1024:
            assert packed.headers["Content-Encoding"] == "gzip", path
            assert gzip.decompress(packed.body) == plain.body, path
            plain_bytes, packed_bytes = plain_bytes + len(plain.body), packed_bytes + len(packed.body)
    assert packed_bytes < plain_bytes / 2, (packed_bytes, plain_bytes)


@pytest.mark.parametrize("entry", ["operator", "viewer"])
def test_pages_and_api_answers_are_compressed_but_never_kept(stack: Stack, entry: str):
    port = entry_port(stack, entry)
    page = stack.http(port, "/runs", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip"
    assert page.headers.get("Cache-Control") != IMMUTABLE
    body = json.dumps({"query": "{ __schema { types { name } } }"}).encode()
    answer = stack.http(
        port, "/graphql", method="POST", body=body, headers={**GZIP, "Content-Type": "application/json"}
    )
    assert answer.status == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert "RunsFilter" in gzip.decompress(answer.body).decode()
    assert answer.headers.get("Cache-Control") != IMMUTABLE


@pytest.mark.parametrize("entry", ["operator", "viewer"])
def test_hashed_files_still_need_the_login(stack: Stack, entry: str):
    port = entry_port(stack, entry)
    for path in hashed_files(stack, port):
        refused = stack.http(port, path, headers=GZIP, signed_in=False)
        assert refused.status == 401, path
        assert refused.headers.get("Cache-Control") != IMMUTABLE, path
        assert b"webpack" not in refused.body and len(refused.body) < 1000, path


def static_requests_at_the_proxy(stack: Stack, agent: str) -> list[tuple[str, str]]:
    """Every request for a hashed file the proxy has logged from the page that calls itself `agent`
    (the log holds every earlier test's requests too): (path, status)."""
    log = stack.compose("logs", "--no-color", "proxy").stdout
    return [(path, status) for path, status, sent_by in STATIC_REQUEST.findall(log) if sent_by == agent]


def settled_static_requests_at_the_proxy(stack: Stack, agent: str) -> list[tuple[str, str]]:
    """The proxy's logged requests for hashed files from `agent` once two reads a second apart
    agree: a loaded machine hands Docker a visit's last lines late."""
    reads = [static_requests_at_the_proxy(stack, agent)]

    def unchanged() -> bool:
        time.sleep(1)
        reads.append(static_requests_at_the_proxy(stack, agent))
        return reads[-1] == reads[-2]

    wait_for(unchanged, 30, "the proxy's log of a visit to settle", interval=0)
    return reads[-1]


def visit(context: BrowserContext, url: str, agent: str) -> None:
    """The page in a new tab that calls itself `agent`, until its scripts have loaded what they
    load at first. The tab stays open: closing it would cancel what it still fetches, which the
    browser then does not keep."""
    page = context.new_page()
    page.set_extra_http_headers({"User-Agent": agent})
    page.goto(url, wait_until="networkidle", timeout=60_000)


def test_a_second_visit_takes_the_hashed_files_from_the_browsers_cache(stack: Stack, browser: Browser):
    url = f"http://127.0.0.1:{stack.webserver_port}/runs"
    first, again = (f"bookshop-test-{visit}-{uuid.uuid4()}" for visit in ("first", "again"))
    # Signed in, the browser sends the credentials with every request.
    context = browser.new_context(extra_http_headers={"Authorization": basic_auth(stack.operator)})
    try:
        visit(context, url, first)
        visit(context, url, again)
        asked_again = {path for path, _ in settled_static_requests_at_the_proxy(stack, again)}
        loaded = {path for path, status in settled_static_requests_at_the_proxy(stack, first) if status == "200"}
    finally:
        context.close()

    assert len(loaded) >= 2, "the first visit loads the hashed files through the proxy"
    assert not loaded & asked_again, "hashed files asked for again on the second visit"
