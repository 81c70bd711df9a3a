"""The UI over a network: the runs page in Chromium at 20 Mbit/s and 40 ms round trip, first and repeat visit.

Each entry of ours (operator and viewer, through the login proxy: signed in on its sign-in page
first, as a person is, the browser then sending the session cookie with every request) and
deploy_docker's webserver are loaded in turn, each in a fresh browser profile: the first visit
with an empty cache, the repeat visit in a new tab of the same profile (its cache kept). Seconds
run from the navigation until the first run's row is on the page; bytes are what came over the
wire (headers included, cache hits count nothing), as Chromium's DevTools protocol reports them;
the fonts that the UI's CSS inlines as data: URLs are not fetched, and not counted. Where the
seconds go: until the page sends its first GraphQL query (its HTML and scripts loaded and
started), and the slowest GraphQL answer (sent to fully received) with its operation's name, from
the same DevTools events.
"""

import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import BrowserContext, sync_playwright

from bench import process
from support.browser import chromium
from support.stack import Stack

NETWORK = {
    "offline": False,
    "latency": 40,  # ms, the round trip
    "downloadThroughput": 20_000_000 / 8,  # bytes per second
    "uploadThroughput": 20_000_000 / 8,
}
FIRST_RUN_ROW = '[data-index] a[href^="/runs/"]'
SETTLE_SECONDS = 2.0  # after the row shows: requests the page had under way still count


def visit(context: BrowserContext, url: str) -> dict[str, Any]:
    """One load of the runs page in a new tab of `context`: seconds until a run's row shows, bytes
    received; seconds from the page's request to its first GraphQL query, and the slowest answer."""
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    received: list[float] = []
    sent: dict[str, float] = {}  # a request's id -> when it was sent (DevTools' clock)
    queries: dict[str, tuple[float, str]] = {}  # a GraphQL request's id -> when it was sent, its operation
    answers: dict[str, float] = {}  # an operation -> its slowest answer

    def on_sent(event: dict[str, Any]) -> None:
        address = urlsplit(event["request"]["url"])
        # The fonts inlined in the UI's CSS (data: URLs) are decoded in the browser: no network.
        if address.scheme == "data":
            return
        sent[event["requestId"]] = event["timestamp"]
        # The UI names each operation in the query string: /graphql?op=RunsRootQuery.
        if address.path == "/graphql" and event["request"]["method"] == "POST":
            operation = parse_qs(address.query).get("op", ["unnamed"])[0]
            queries[event["requestId"]] = (event["timestamp"], operation)

    def on_finished(event: dict[str, Any]) -> None:
        if event["requestId"] not in sent:
            return
        received.append(event["encodedDataLength"])
        if event["requestId"] in queries:
            asked, operation = queries[event["requestId"]]
            answers[operation] = max(answers.get(operation, 0.0), event["timestamp"] - asked)

    devtools.on("Network.requestWillBeSent", on_sent)
    devtools.on("Network.loadingFinished", on_finished)
    devtools.send("Network.enable")
    devtools.send("Network.emulateNetworkConditions", NETWORK)
    started = time.monotonic()
    page.goto(url)
    page.locator(FIRST_RUN_ROW).first.wait_for(timeout=120_000)
    seconds = time.monotonic() - started
    page.wait_for_timeout(SETTLE_SECONDS * 1000)
    page.close()
    return {
        "seconds": round(seconds, 3),
        "bytes": int(sum(received)),
        "to_first_query_seconds": round(min(asked for asked, _ in queries.values()) - min(sent.values()), 3),
        "slowest_answer_seconds": round(max(answers.values()), 3),
        "slowest_operation": max(answers, key=answers.__getitem__),
    }


def sign_in(context: BrowserContext, url: str, credentials: tuple[str, str]) -> None:
    """The sign-in page's form, posted from the profile: its session cookie is then the profile's."""
    entry = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    answer = context.request.post(
        f"{entry}/login",
        form={"name": credentials[0], "password": credentials[1], "next": "/runs"},
        headers={"Origin": entry},
        max_redirects=0,
    )
    assert answer.status == 303, f"sign-in: {answer.status} {answer.text()[:300]}"


def visits(browser, url: str, credentials: tuple[str, str] | None, repeats: int) -> dict[str, dict[str, Any]]:
    """Medians of `repeats` first visits (each in a fresh profile) and of the repeat visit after each."""
    first, repeat = [], []
    for _ in range(repeats):
        context = browser.new_context()
        try:
            if credentials:
                sign_in(context, url, credentials)
            first.append(visit(context, url))
            repeat.append(visit(context, url))
        finally:
            context.close()
    return {"first_visit": medians(first), "repeat_visit": medians(repeat)}


def medians(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the visits, and the operation most often the slowest."""
    figures = process.medians(samples, [name for name in samples[0] if name != "slowest_operation"])
    slowest = Counter(sample["slowest_operation"] for sample in samples)
    return {**figures, "slowest_operation": slowest.most_common(1)[0][0]}


def ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    return {
        f"{visit_name}_{figure}_ratio": round(ours[visit_name][figure] / theirs[visit_name][figure], 3)
        for visit_name in ("first_visit", "repeat_visit")
        for figure in ("bytes", "seconds")
    }


def measure(ours: Stack, reference: Stack, repeats: int) -> dict[str, Any]:
    """deploy_docker's webserver, then both entries of ours; ratios ours / deploy_docker."""
    entries = {"operator": (ours.webserver_port, ours.operator), "viewer": (ours.readonly_port, ours.viewer)}
    with sync_playwright() as playwright:
        browser = chromium(playwright)
        try:
            theirs = visits(browser, f"http://127.0.0.1:{reference.webserver_port}/runs", None, repeats)
            figures = {
                entry: visits(browser, f"http://127.0.0.1:{port}/runs", credentials, repeats)
                for entry, (port, credentials) in entries.items()
            }
        finally:
            browser.close()
    results: dict[str, Any] = {"network": NETWORK, "reference": theirs, "repeats": repeats}
    for entry, figures_of_entry in figures.items():
        results[entry] = {**ratios(figures_of_entry, theirs), **figures_of_entry}
    # The operator entry's ratios are the headline figures (ui.first_visit_bytes_ratio, ...).
    results.update(ratios(figures["operator"], theirs))
    return results
