"""Headless Chromium as the browser tests and the benchmark start it (Debian's, nothing downloaded),
and what the browser tests point at and press."""

import os
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from support.stack import LOCATION, REPOSITORY

CHROMIUM = os.environ.get("BOOKSHOP_CHROMIUM", "/usr/bin/chromium")
# Where the browser tests leave their screenshots (`make screenshots`: the operator guide's).
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("BOOKSHOP_SCREENSHOT_DIR") or ROOT / "test-output" / "screenshots")


def chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


def automation_row(page: Page, name: str) -> Locator:
    """A schedule's row in the Automation list (a virtualised list of rows, not a table)."""
    return page.locator("[data-index]").filter(has=page.locator(f'a[href$="/schedules/{name}"]'))


def toggle_of(page: Page, name: str, editable: bool = True, location: str = LOCATION) -> Locator:
    """A schedule's on/off switch, drawn once the schedule's state has loaded. A row first draws a
    placeholder switch, disabled, then a spinner, then the schedule's own switch: enabled for an
    operator; in the read-only UI disabled for good, inside the tooltip that says why. A row that
    stays unloaded, or shows "Error loading schedule state" in place of the switch (both seen
    while run containers start on both cores), gets what a person would do: a reload. Each look
    waits 30 s, as long as a row took to load with a busy loop on one of the two cores. If the
    last one fails too, the error names what the page's own GraphQL request answers."""
    for attempt in range(4):
        row = automation_row(page, name)
        # The second checkbox of the row (the first selects the row for bulk actions).
        loaded = row.get_by_role("checkbox").nth(1) if editable else row.locator("[data-state]").get_by_role("checkbox")
        try:
            if editable:
                expect(loaded).to_be_enabled(timeout=30_000)
            else:
                expect(loaded).to_have_count(1, timeout=30_000)
            return loaded
        except AssertionError as unloaded:
            if attempt == 3:
                seen = state_seen_by(page, name, location)
                raise AssertionError(f"{name}'s state, asked by the page: {seen}") from unloaded
            page.reload()
    raise AssertionError("unreachable")


def state_seen_by(page: Page, name: str, location: str) -> str:
    """The answer to the schedule switch's own state query, sent from the page (its login, its
    route through the proxy): HTTP status and body."""
    selector = {"repositoryLocationName": location, "repositoryName": REPOSITORY, "name": name}
    query = "query($s: InstigationSelector!) { instigationStateOrError(instigationSelector: $s) { __typename"
    query += " ... on InstigationState { status } ... on PythonError { message } } }"
    return page.evaluate(
        """async ([query, selector]) => {
            const answer = await fetch("/graphql", {method: "POST", headers: {"Content-Type": "application/json"},
                                                    body: JSON.stringify({query, variables: {s: selector}})});
            return `${answer.status} ${await answer.text()}`;
        }""",
        [query, selector],
    )


def switch(toggle: Locator) -> Locator:
    """What a person clicks: the drawn switch around the (hidden) checkbox."""
    return toggle.locator("xpath=..")


def press(page: Page, target: Locator) -> None:
    """What a person does to a control drawn disabled: point at it, press and release the button.
    Playwright's click waits for the control to be enabled, and its forced click fails outright
    when the list redraws the row at that moment; a hover waits until the control is drawn still."""
    target.hover()
    page.mouse.down()
    page.mouse.up()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    move_away(page)  # no tooltip of a hovered element in the picture
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def move_away(page: Page) -> None:
    """Pointer to the empty bottom right corner, away from any trigger and the tooltips above them;
    a second move, since Radix closes a tooltip on a move outside it, not on leaving the trigger."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    page.mouse.move(width - 10, height - 10, steps=4)
    page.mouse.move(width - 5, height - 5)
    page.keyboard.press("Escape")
