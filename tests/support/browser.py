"""Headless Chromium as the browser tests and the benchmark start it: Debian's, nothing downloaded."""

import os

from playwright.sync_api import Browser, Playwright

CHROMIUM = os.environ.get("BOOKSHOP_CHROMIUM", "/usr/bin/chromium")


def chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
