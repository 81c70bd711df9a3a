"""Headless Chromium as the browser tests and the benchmark start it (Debian's, nothing downloaded),
and what the browser tests point at and press."""

import os

from playwright.sync_api import Browser, Locator, Page, Playwright

CHROMIUM = os.environ.get("BOOKSHOP_CHROMIUM", "/usr/bin/chromium")


def chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


def automation_row(page: Page, name: str) -> Locator:
    """A schedule's row in the Automation list (a virtualised list of rows, not a table)."""
    return page.locator("[data-index]").filter(has=page.locator(f'a[href$="/schedules/{name}"]'))


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
