"""End to end in a real browser: headless Chromium (Debian's package) driven by
Playwright, logged in to the Home Assistant process of ``conftest.py``.

The screenshots go to ``$SCREENSHOT_DIR`` (a temporary folder by default);
``scripts/screenshots`` sets it to ``docs/images``, which the README shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import os
from pathlib import Path
import shutil
import time
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, async_playwright
import pytest
import pytest_asyncio

from devtools.hass import DOMAIN

from .conftest import OWNER, Stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless on a closed network: no sandbox as root, no GPU, and none of the
# background connections Chromium would try at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BOARD_PATH = "/arr-indexers/board"
WAIT_MS = 30_000
# A dialog's opening animation, before its screenshot.
ANIMATION_MS = 500
# The card's cells: in its shadow root, which Playwright's CSS selectors pierce.
CELLS = "ai-arr-indexer-board .cell"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go."""
    if target := os.environ.get("SCREENSHOT_DIR"):
        path = Path(target)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser (scripts/setup installs Debian's chromium when missing)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    return CHROMIUM


@pytest_asyncio.fixture
async def browser(chromium: str, socket_enabled: None) -> AsyncGenerator[Browser]:
    """Headless Chromium, for one test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


async def _board_dashboard(stack: Stack, session: aiohttp.ClientSession) -> None:
    """A dashboard "Indexers" with the board card alone (panel view), made as a
    user would in the dashboard editor."""
    client = stack.client(session)
    async with client.websocket() as ws:
        dashboards = await ws.call("lovelace/dashboards/list")
        if not any(d["url_path"] == "arr-indexers" for d in dashboards):
            await ws.call(
                "lovelace/dashboards/create",
                url_path="arr-indexers",
                title="Indexers",
                icon="mdi:list-status",
                show_in_sidebar=True,
                require_admin=False,
                mode="storage",
            )
        await ws.call(
            "lovelace/config/save",
            url_path="arr-indexers",
            config={
                "title": "Indexers",
                "views": [
                    {
                        "title": "Board",
                        "path": "board",
                        "panel": True,
                        "cards": [{"type": "custom:ai-arr-indexer-board"}],
                    }
                ],
            },
        )


async def _log_in(
    browser: Browser, stack: Stack, *, dark: bool = False, width: int = 1280
) -> Page:
    """A page logged in through Home Assistant's login form."""
    context = await browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme="dark" if dark else "light",
    )
    page = await context.new_page()
    await page.goto(f"{stack.url}/")
    await page.locator("input[name=username]").fill(OWNER.username)
    await page.locator("input[name=password]").fill(OWNER.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: "auth" not in url, timeout=WAIT_MS)
    return page


async def _settled(page: Page) -> None:
    """Until the frontend's launch screen (its "Loading…" splash) is gone."""
    await page.locator("#ha-launch-screen").wait_for(state="detached", timeout=WAIT_MS)


async def _open_board(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.url}{BOARD_PATH}")
    await page.locator(CELLS).first.wait_for(timeout=WAIT_MS)
    await _settled(page)


async def _cells(page: Page) -> dict[tuple[str, int], str]:
    """Every cell of the board: (entry id, indexer id) -> its state."""
    found: dict[tuple[str, int], str] = {}
    cells = page.locator(CELLS)
    for index in range(await cells.count()):
        cell = cells.nth(index)
        entry_id = await cell.get_attribute("data-entry-id")
        indexer_id = await cell.get_attribute("data-indexer-id")
        state = await cell.get_attribute("data-state")
        assert entry_id
        assert indexer_id
        assert state
        found[entry_id, int(indexer_id)] = state
    return found


def _enabled(indexer: dict[str, Any]) -> bool:
    if "enable" in indexer:  # Prowlarr
        return bool(indexer["enable"])
    return bool(
        indexer["enableRss"]
        or indexer["enableAutomaticSearch"]
        or indexer["enableInteractiveSearch"]
    )


async def test_the_board_shows_every_indexer_as_the_apps_have_it(
    stack: Stack,
    session: aiohttp.ClientSession,
    browser: Browser,
    screenshots: Path,
) -> None:
    """Every indexer of every simulated instance has its cell; a synced
    indexer's copies share the Prowlarr indexer's row; each cell's state is the
    State sensor's, and says off exactly where the app has the indexer off. The
    light, dark and phone screenshots are taken here."""
    await _board_dashboard(stack, session)
    client = stack.client(session)
    registry = {
        e["unique_id"]: e["entity_id"]
        for e in await _registry(client)
        if e["platform"] == DOMAIN
    }
    states = {s["entity_id"]: s["state"] for s in await client.get("/api/states")}
    page = await _log_in(browser, stack)
    await _open_board(page, stack)
    cells = await _cells(page)
    # The card offers itself in the dashboard editor's card picker.
    picker = await page.evaluate("window.customCards.map((card) => card.type)")
    assert "ai-arr-indexer-board" in picker

    for name, entry_id in stack.entries.items():
        indexers = await stack.control(session, "GET", f"/instances/{name}/indexers")
        assert indexers
        for indexer in indexers:
            state = cells[entry_id, indexer["id"]]
            sensor = registry[f"{entry_id}_indexer_{indexer['id']}_state"]
            assert state == states[sensor], (name, indexer["name"])
            off = state in ("user_disabled", "auto_disabled")
            assert off is not _enabled(indexer), (name, indexer["name"], state)
    assert cells[stack.entries["prowlarr"], 6] == "failing"  # FlakyTracker

    # Prowlarr's TorrentHaven and its copies in the three apps: one row.
    row = page.locator("ai-arr-indexer-board [data-row]").filter(
        has=page.locator(
            f'.cell[data-entry-id="{stack.entries["prowlarr"]}"][data-indexer-id="1"]'
        )
    )
    assert await row.locator(".cell").count() == 4

    await page.screenshot(path=screenshots / "indexer-board-light.png")
    await page.locator('ai-arr-indexer-board [data-action="problems-only"]').check()
    problems = await _cells(page)
    assert problems
    assert len(problems) < len(cells)
    await page.close()

    dark = await _log_in(browser, stack, dark=True)
    await _open_board(dark, stack)
    await dark.screenshot(path=screenshots / "indexer-board-dark.png")
    await dark.close()

    phone = await _log_in(browser, stack, width=390)
    await _open_board(phone, stack)
    assert await phone.locator("ai-arr-indexer-board .stack-row").count() > 0
    await phone.screenshot(path=screenshots / "indexer-board-phone.png")
    await phone.close()


async def test_switching_an_indexer_from_the_board_reaches_the_app(
    stack: Stack, session: aiohttp.ClientSession, browser: Browser
) -> None:
    """The switch in Radarr's NZBSeeker cell turns the indexer off in Radarr,
    and on again with the flags it had (interactive search stays off)."""
    await _board_dashboard(stack, session)
    page = await _log_in(browser, stack)
    await _open_board(page, stack)
    cell = page.locator(
        f'ai-arr-indexer-board .cell[data-entry-id="{stack.entries["radarr"]}"]'
        '[data-indexer-id="3"]'
    )
    toggle = cell.locator('[data-action="toggle"]')

    await toggle.click()
    nzbseeker = await _wait_for_indexer(
        stack, session, "radarr", 3, lambda i: not _enabled(i)
    )
    assert not nzbseeker["enableInteractiveSearch"]
    await page.locator(
        f'ai-arr-indexer-board .cell[data-entry-id="{stack.entries["radarr"]}"]'
        '[data-indexer-id="3"][data-state="user_disabled"]'
    ).wait_for(timeout=WAIT_MS)

    await toggle.click()
    nzbseeker = await _wait_for_indexer(stack, session, "radarr", 3, _enabled)
    assert nzbseeker["enableRss"]
    assert nzbseeker["enableAutomaticSearch"]
    assert not nzbseeker["enableInteractiveSearch"]
    await page.close()


async def test_device_page_options_and_repairs_issue_render(
    stack: Stack,
    session: aiohttp.ClientSession,
    browser: Browser,
    screenshots: Path,
) -> None:
    """An indexer's device page shows its State, Status and switch; the options
    dialog opens from the integration page; the issue listing what auto-heal
    disabled opens from Repairs."""
    client = stack.client(session)
    # What auto-heal disabled in Radarr 4K (idempotent: a second run changes
    # nothing), so that the repairs issue exists whatever the test order.
    entry_id = stack.entries["radarr4k"]
    await client.post(
        f"/api/services/{DOMAIN}/test_indexers", {"config_entry_id": entry_id}
    )
    await client.post(f"/api/services/{DOMAIN}/heal_now", {"config_entry_id": entry_id})
    async with client.websocket() as ws:
        devices = await ws.call("config/device_registry/list")
        issues = (await ws.call("repairs/list_issues"))["issues"]
    # An indexer's device is a child device of its instance's entry.
    flaky = next(
        d
        for d in devices
        if d["name"] == "FlakyTracker"
        and d.get("config_entry_id") == stack.entries["prowlarr"]
    )
    assert any(i["translation_key"] == "auto_disabled" for i in issues), issues

    page = await _log_in(browser, stack)
    await page.goto(f"{stack.url}/config/devices/device/{flaky['id']}")
    for text in ("Failing", "Problem", "Enabled"):
        await page.get_by_text(text).first.wait_for(timeout=WAIT_MS)
    await _settled(page)
    await page.screenshot(path=screenshots / "device-page.png")

    await page.goto(f"{stack.url}/config/integrations/integration/{DOMAIN}")
    await page.get_by_role("button", name="Configure").first.click()
    await page.get_by_text("Failures before disabling").first.wait_for(timeout=WAIT_MS)
    await page.wait_for_timeout(ANIMATION_MS)
    await page.screenshot(path=screenshots / "options.png")

    await page.goto(f"{stack.url}/config/repairs")
    await page.get_by_text("Indexers disabled by auto-heal on Radarr 4K").click()
    await page.get_by_text("Re-enable them all now").first.wait_for(timeout=WAIT_MS)
    await page.wait_for_timeout(ANIMATION_MS)
    await page.screenshot(path=screenshots / "repairs-issue.png")
    await page.close()


async def _registry(client: Any) -> list[dict[str, Any]]:
    async with client.websocket() as ws:
        entities: list[dict[str, Any]] = await ws.call("config/entity_registry/list")
    return entities


async def _wait_for_indexer(
    stack: Stack,
    session: aiohttp.ClientSession,
    name: str,
    indexer_id: int,
    condition: Any,
) -> dict[str, Any]:
    """The app's stored indexer, once ``condition`` holds for it (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        indexers = await stack.control(session, "GET", f"/instances/{name}/indexers")
        indexer: dict[str, Any] = next(i for i in indexers if i["id"] == indexer_id)
        if condition(indexer) or time.monotonic() > deadline:
            assert condition(indexer), indexer
            return indexer
        await asyncio.sleep(0.2)
