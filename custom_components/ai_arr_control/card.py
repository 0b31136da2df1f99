"""The indexer board card: served by the integration, loaded by the frontend.

The card is one plain ES module in ``frontend/``. Home Assistant serves it at
``CARD_URL``, and it is made a dashboard resource so that HACS users install
nothing else: an item of Lovelace's resource collection in storage mode (kept
up to date, never duplicated), an extra module of the frontend in YAML mode
(where that collection is the user's configuration).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import hashlib
from pathlib import Path
from typing import Final

from homeassistant.components.frontend import add_extra_js_url, remove_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.components.lovelace.resources import ResourceStorageCollection
from homeassistant.core import HomeAssistant, callback
from homeassistant.setup import async_when_setup
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

CARD_FILE: Final = Path(__file__).parent / "frontend" / "ai-arr-indexer-board.js"
CARD_URL: Final = f"/{DOMAIN}/{CARD_FILE.name}"


@dataclass(slots=True)
class _CardState:
    """What this run of Home Assistant did about the card."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The URL added as an extra module of the frontend (YAML mode).
    extra_url: str | None = None


DATA_CARD: HassKey[_CardState] = HassKey(f"{DOMAIN}_card")


async def async_setup_card(hass: HomeAssistant) -> None:
    """Serve the card, and make it a dashboard resource once the dashboards
    (Lovelace) are set up, now or later."""
    if DATA_CARD in hass.data:
        return
    hass.data[DATA_CARD] = _CardState()
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=False)]
    )

    async def lovelace_ready(hass: HomeAssistant, _: str) -> None:
        await async_register_resource(hass)

    async_when_setup(hass, "lovelace", lovelace_ready)


@callback
def async_ensure_resource(hass: HomeAssistant) -> None:
    """Register the resource again in the background (an entry was set up;
    the resource may have gone with the last entry)."""
    if DATA_CARD in hass.data and LOVELACE_DATA in hass.data:
        hass.async_create_background_task(
            async_register_resource(hass), f"{DOMAIN} card resource"
        )


def _version() -> str:
    """A short hash of the card, so that browsers load a changed card."""
    return hashlib.sha256(CARD_FILE.read_bytes()).hexdigest()[:12]


def _is_card(url: str) -> bool:
    return url.partition("?")[0] == CARD_URL


async def async_register_resource(hass: HomeAssistant) -> None:
    """Make the card a module resource of the dashboards (idempotent)."""
    state = hass.data.get(DATA_CARD)
    lovelace = hass.data.get(LOVELACE_DATA)
    if state is None or lovelace is None:
        return
    url = f"{CARD_URL}?v={await hass.async_add_executor_job(_version)}"
    async with state.lock:
        resources = lovelace.resources
        if not isinstance(resources, ResourceStorageCollection):
            # YAML mode: resources are the user's configuration; the frontend
            # loads the card as an extra module instead.
            _add_extra_module(hass, state, url)
            return
        # Loads the collection from storage on first use.
        await resources.async_get_info()
        items = [i for i in resources.async_items() if _is_card(i.get("url", ""))]
        if not items:
            LOGGER.debug("Adding the indexer board card as a dashboard resource")
            await resources.async_create_item({"res_type": "module", "url": url})
            return
        first, *duplicates = items
        if first.get("url") != url or first.get("type") != "module":
            await resources.async_update_item(
                first["id"], {"res_type": "module", "url": url}
            )
        for item in duplicates:
            await resources.async_delete_item(item["id"])


def _add_extra_module(hass: HomeAssistant, state: _CardState, url: str) -> None:
    """Have the frontend load the card as an extra module (once it is set up)."""
    previous, state.extra_url = state.extra_url, url
    if previous == url:
        return

    async def frontend_ready(hass: HomeAssistant, _: str) -> None:
        if previous is not None:
            remove_extra_js_url(hass, previous)
        add_extra_js_url(hass, url)

    async_when_setup(hass, "frontend", frontend_ready)


async def async_remove_resource(hass: HomeAssistant) -> None:
    """Remove the card from the dashboards' resources (the last entry is gone)."""
    state = hass.data.get(DATA_CARD)
    lovelace = hass.data.get(LOVELACE_DATA)
    if state is None or lovelace is None:
        return
    async with state.lock:
        if state.extra_url is not None and "frontend" in hass.config.components:
            remove_extra_js_url(hass, state.extra_url)
            state.extra_url = None
        resources = lovelace.resources
        if not isinstance(resources, ResourceStorageCollection):
            return
        await resources.async_get_info()
        for item in [i for i in resources.async_items() if _is_card(i.get("url", ""))]:
            await resources.async_delete_item(item["id"])
