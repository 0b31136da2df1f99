"""Tests of setting up and unloading a config entry."""

from __future__ import annotations

from typing import Any

from aioresponses import aioresponses
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_arr_control.arr import ArrApp
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .common import API_KEY, RADARR_URL as BASE, RADARR_V3 as V3, load_json


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A Radarr entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Radarr",
        data={CONF_URL: BASE, CONF_API_KEY: API_KEY, CONF_VERIFY_SSL: True},
    )


@pytest.fixture
def mocked() -> Any:
    """Intercept Home Assistant's HTTP session."""
    with aioresponses() as mock:
        yield mock


async def test_integration_loads(hass: HomeAssistant) -> None:
    """Home Assistant finds and sets up the integration itself."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


async def test_load_and_unload(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mocked: Any
) -> None:
    """An answering Radarr loads; the entry unloads cleanly."""
    mocked.get(f"{V3}/system/status", payload=load_json("radarr-system-status.json"))
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.runtime_data.status.app is ArrApp.RADARR

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(mock_config_entry.entry_id)
    assert not hass.config_entries.async_loaded_entries(DOMAIN)


@pytest.mark.parametrize(
    "response",
    [
        {"exception": TimeoutError()},
        {"status": 503, "payload": {"errorMessage": "Radarr is starting up"}},
        {"status": 500, "payload": {"message": "boom"}},
    ],
)
async def test_not_ready(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mocked: Any,
    response: dict[str, Any],
) -> None:
    """An app that is down or misbehaving is retried later."""
    mocked.get(f"{V3}/system/status", **response)
    mocked.get(f"{BASE}/api/v1/system/status", **response)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
