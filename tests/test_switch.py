"""Tests of the per-indexer enable switch."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.arr import (
    ArrAuthenticationError,
    ArrResponseError,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .common import entry_for, state_of

GEEK = "switch.radarr_geeknzb_enabled"


async def switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    """Turn a switch on or off, as the UI does."""
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.usefixtures("init_integration")
async def test_off_and_on_restores_exact_flags(
    hass: HomeAssistant,
    mock_arr_client: MagicMock,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, object],
) -> None:
    """RSS and automatic search on, interactive off: that is what comes back."""
    mock_arr_client.test_indexer.reset_mock()
    await switch(hass, SERVICE_TURN_OFF, GEEK)
    assert state_of(hass, GEEK) == STATE_OFF
    assert mock_arr_client.set_indexer_flags.call_args.args == (
        3,
        {
            "enableRss": False,
            "enableAutomaticSearch": False,
            "enableInteractiveSearch": False,
        },
    )
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.radarr_disabled_indexers") == "2"

    await switch(hass, SERVICE_TURN_ON, GEEK)
    assert state_of(hass, GEEK) == STATE_ON
    assert mock_arr_client.set_indexer_flags.call_args.args == (
        3,
        {
            "enableRss": True,
            "enableAutomaticSearch": True,
            "enableInteractiveSearch": False,
        },
    )
    # Switching does not start a test cycle.
    assert not mock_arr_client.test_indexer.called


@pytest.mark.usefixtures("init_integration")
async def test_flags_survive_a_restart(
    hass: HomeAssistant,
    mock_arr_client: MagicMock,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Switched off, Home Assistant restarts, switched on: the same flags return."""
    await switch(hass, SERVICE_TURN_OFF, GEEK)
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await switch(hass, SERVICE_TURN_ON, GEEK)
    assert mock_arr_client.set_indexer_flags.call_args.args[1] == {
        "enableRss": True,
        "enableAutomaticSearch": True,
        "enableInteractiveSearch": False,
    }


@pytest.mark.usefixtures("init_integration")
async def test_on_without_memory_uses_supported_flags(
    hass: HomeAssistant, mock_arr_client: MagicMock
) -> None:
    """Disabled in the app itself: turning it on enables what the indexer supports."""
    await switch(hass, SERVICE_TURN_ON, "switch.radarr_retirednzb_enabled")
    assert mock_arr_client.set_indexer_flags.call_args.args == (
        5,
        {
            "enableRss": True,
            "enableAutomaticSearch": True,
            "enableInteractiveSearch": True,
        },
    )


@pytest.mark.usefixtures("init_integration")
async def test_errors_are_translated(
    hass: HomeAssistant, mock_arr_client: MagicMock, mock_config_entry: MockConfigEntry
) -> None:
    """A failed write is a clear error; a refused key asks for a new one."""
    set_flags = mock_arr_client.set_indexer_flags.side_effect
    mock_arr_client.set_indexer_flags.side_effect = ArrResponseError("HTTP 500")
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_OFF, GEEK)
    assert err.value.translation_key == "action_failed"
    assert state_of(hass, GEEK) == STATE_ON

    # Nothing was remembered or held for the write that failed.
    assert mock_config_entry.runtime_data.ledger.holds == frozenset()
    mock_arr_client.set_indexer_flags.side_effect = set_flags
    await switch(hass, SERVICE_TURN_OFF, GEEK)
    mock_arr_client.set_indexer_flags.side_effect = ArrAuthenticationError("401")
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_ON, GEEK)
    assert err.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    assert [
        f["context"]["source"] for f in hass.config_entries.flow.async_progress()
    ] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("socket_enabled")
async def test_round_trip_against_simulator(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """Exactly the flags go to the Arr app, and nothing else of the indexer changes."""
    radarr = arr_simulator.instance("radarr")
    entry = entry_for(radarr)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    before = dict(radarr.indexers[3])
    entity_id = "switch.radarr_nzbseeker_enabled"
    radarr.clear_requests()

    await switch(hass, SERVICE_TURN_OFF, entity_id)
    await switch(hass, SERVICE_TURN_ON, entity_id)

    writes = [(r.method, r.path, r.body) for r in radarr.requests if r.method != "GET"]
    # Each change starts from a fresh read of the indexer.
    assert [r.path for r in radarr.requests if r.method == "GET"] == [
        "/api/v3/indexer/3",
        "/api/v3/indexer/3",
    ]
    assert writes == [
        (
            "PUT",
            "/api/v3/indexer/bulk",
            {
                "ids": [3],
                "enableRss": False,
                "enableAutomaticSearch": False,
                "enableInteractiveSearch": False,
            },
        ),
        (
            "PUT",
            "/api/v3/indexer/bulk",
            {
                "ids": [3],
                "enableRss": True,
                "enableAutomaticSearch": True,
                "enableInteractiveSearch": False,
            },
        ),
    ]
    assert radarr.indexers[3] == before
    assert state_of(hass, entity_id) == STATE_ON
    await hass.config_entries.async_unload(entry.entry_id)
