"""Headless Chromium as the browser tests and the benchmark start it (Debian's, nothing downloaded),
and what the browser tests point at and press."""

import os
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright

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
