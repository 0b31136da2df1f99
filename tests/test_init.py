"""Tests of setting up, unloading and removing a config entry."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_arr_control.arr import (
    ArrApp,
    ArrAuthenticationError,
    ArrConnectionError,
    ArrError,
    ArrOtherAppError,
    ArrResponseError,
    ArrUnsupportedVersionError,
    SystemStatus,
)
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component


async def test_integration_loads(hass: HomeAssistant) -> None:
    """Home Assistant finds and sets up the integration itself."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


async def test_load_and_unload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """An answering Radarr loads with its service device; the entry unloads."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.status.app is ArrApp.RADARR
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert device is not None
    assert (device.name, device.model, device.sw_version, device.entry_type) == (
        "Radarr",
        "Radarr",
        "6.0.4.10291",
        dr.DeviceEntryType.SERVICE,
    )

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not hass.config_entries.async_loaded_entries(DOMAIN)


@pytest.mark.parametrize(
    "error",
    [
        ArrConnectionError("refused"),
        ArrResponseError("HTTP 500"),
    ],
)
async def test_not_ready(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
    error: ArrError,
) -> None:
    """An app that is down or misbehaving at start is retried later."""
    mock_arr_client.system_status.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.parametrize(
    "error",
    [
        ArrUnsupportedVersionError(
            "Radarr 2.0 is too old: version 3.0 or newer is needed"
        ),
        ArrOtherAppError("Mylar is not a supported Arr app"),
    ],
)
async def test_unsupported_at_start_is_not_retried(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
    error: ArrError,
) -> None:
    """An app too old, or not one this integration supports, is an error the
    user must fix: not retried every few minutes for ever."""
    mock_arr_client.system_status.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason is not None
    assert str(error) in mock_config_entry.reason


async def test_another_app_at_the_url_is_not_retried(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """The entry's Radarr now answers as Sonarr (the URL points elsewhere)."""
    mock_arr_client.system_status.return_value = SystemStatus(
        app=ArrApp.SONARR, version="4.0.19", api_version="v3"
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason is not None
    assert "now answers as Sonarr, not Radarr" in mock_config_entry.reason


async def test_auth_failed_at_start(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """A refused key at start asks the user for a new one."""
    mock_arr_client.system_status.side_effect = ArrAuthenticationError("401")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["step_id"] == "reauth_confirm"


async def test_remove_entry_drops_memory(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, object],
) -> None:
    """Removing the entry deletes what it remembered about its indexers."""
    init_integration.runtime_data.ledger.remember(3, {"enableRss": True})
    await hass.async_block_till_done()
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.{init_integration.entry_id}" not in hass_storage


async def test_device_removal_only_for_gone_indexers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_arr_client: MagicMock,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The user may delete a device only once its indexer is gone from the app."""
    assert await async_setup_component(hass, "config", {})
    from custom_components.ai_arr_control import async_remove_config_entry_device

    entry_id = init_integration.entry_id
    instance = device_registry.async_get_device_by_identifier(
        (DOMAIN, entry_id), entry_id
    )
    assert instance is not None
    assert not await async_remove_config_entry_device(hass, init_integration, instance)
    indexer = device_registry.async_get_child_device_by_identifier(
        (DOMAIN, f"{entry_id}_indexer_3"), entry_id
    )
    assert indexer is not None
    assert not await async_remove_config_entry_device(
        hass,
        init_integration,
        indexer,  # type: ignore[arg-type]
    )
    stale = MagicMock(identifiers={(DOMAIN, f"{entry_id}_indexer_99")})
    assert await async_remove_config_entry_device(hass, init_integration, stale)


async def test_device_removal_while_the_entry_is_not_loaded(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Unloaded (e.g. the app is down at start-up): an indexer's device may be
    deleted without an error, the instance's may not."""
    from custom_components.ai_arr_control import async_remove_config_entry_device

    entry_id = init_integration.entry_id
    await hass.config_entries.async_unload(entry_id)
    instance = device_registry.async_get_device_by_identifier(
        (DOMAIN, entry_id), entry_id
    )
    assert instance is not None
    assert not await async_remove_config_entry_device(hass, init_integration, instance)
    indexer = device_registry.async_get_child_device_by_identifier(
        (DOMAIN, f"{entry_id}_indexer_3"), entry_id
    )
    assert indexer is not None
    assert await async_remove_config_entry_device(
        hass,
        init_integration,
        indexer,  # type: ignore[arg-type]
    )
