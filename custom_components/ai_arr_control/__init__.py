"""AI Arr Control: keeps the indexers of Radarr, Sonarr and Prowlarr healthy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .arr import ArrAuthenticationError, ArrClient, ArrConnectionError, ArrError
from .const import DOMAIN
from .coordinator import ArrConfigEntry, ArrHealthCoordinator, ArrRuntimeData
from .store import IndexerMemory

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.SENSOR, Platform.SWITCH]


def create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> ArrClient:
    """Build the Arr client for an entry's data, on Home Assistant's shared session."""
    return ArrClient(
        data[CONF_URL],
        data[CONF_API_KEY],
        session=async_get_clientsession(
            hass, verify_ssl=data.get(CONF_VERIFY_SSL, True)
        ),
    )


async def async_setup_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> bool:
    """Connect to the Arr instance, then check its indexers before adding entities."""
    client = create_client(hass, entry.data)
    try:
        status = await client.system_status()
    except ArrAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ArrConnectionError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    except ArrError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="unexpected_response",
            translation_placeholders={"error": str(err)},
        ) from err

    memory = IndexerMemory(hass, entry.entry_id)
    await memory.async_load()
    # The instance's device exists before the indexers' child devices point at it.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=dr.DeviceEntryType.SERVICE,
        manufacturer="Servarr",
        model=status.app.value,
        name=entry.title,
        sw_version=status.version,
        configuration_url=client.url,
    )
    health = ArrHealthCoordinator(hass, entry, client, memory)
    entry.runtime_data = ArrRuntimeData(
        client=client, status=status, health=health, memory=memory
    )
    await health.async_config_entry_first_refresh()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # A boolean, because Home Assistant 2026.10 still requires one (2026.11 accepts None).
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> bool:
    """Unload the entry's platforms and write what it remembers."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    await entry.runtime_data.memory.async_flush()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> None:
    """Forget what was stored for the instance."""
    await IndexerMemory(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ArrConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete the device of an indexer that no longer exists."""
    health = entry.runtime_data.health.data
    current = {(DOMAIN, f"{entry.entry_id}_indexer_{i}") for i in health.indexers}
    return (DOMAIN, entry.entry_id) not in device.identifiers and not (
        device.identifiers & current
    )
