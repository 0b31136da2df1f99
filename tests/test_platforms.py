"""Snapshots of every platform's entities for a Radarr with three indexers."""

from __future__ import annotations

from unittest.mock import MagicMock, patch

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er


@pytest.mark.freeze_time("2026-11-28 12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform",
    [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH],
)
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of the platform, with its registry entry and state."""
    with patch("custom_components.ai_arr_control.PLATFORMS", [platform]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_indexers_are_child_devices(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Each indexer is a child device of the instance, carrying its entities."""
    entry_id = mock_config_entry.entry_id
    instance = device_registry.async_get_device_by_identifier(
        ("ai_arr_control", entry_id), entry_id
    )
    assert instance is not None
    children = dr.async_child_entries_for_config_entry(device_registry, entry_id)
    assert sorted(c.name for c in children if c.name) == [
        "GeekNZB",
        "RetiredNZB",
        "SomeTracker (Prowlarr)",
    ]
    for child in children:
        assert child.parent_device_id == instance.id
        names = {
            e.entity_id for e in er.async_entries_for_device(entity_registry, child.id)
        }
        assert len(names) >= 3
