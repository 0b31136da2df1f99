"""AI Arr Control: keeps the indexers of Radarr, Sonarr and Prowlarr healthy."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .arr import (
    ArrAuthenticationError,
    ArrClient,
    ArrConnectionError,
    ArrError,
    SystemStatus,
)
from .const import DOMAIN

PLATFORMS: list[Platform] = []


@dataclass(kw_only=True, slots=True)
class ArrRuntimeData:
    """What one config entry (one Arr instance) holds while loaded."""

    client: ArrClient
    status: SystemStatus


type ArrConfigEntry = ConfigEntry[ArrRuntimeData]


def create_client(hass: HomeAssistant, data: dict[str, object]) -> ArrClient:
    """Build the Arr client for an entry's data, on Home Assistant's shared session."""
    return ArrClient(
        str(data[CONF_URL]),
        str(data[CONF_API_KEY]),
        session=async_get_clientsession(
            hass, verify_ssl=bool(data.get(CONF_VERIFY_SSL, True))
        ),
    )


async def async_setup_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> bool:
    """Connect to the Arr instance and check it answers before setting up."""
    client = create_client(hass, dict(entry.data))
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
    entry.runtime_data = ArrRuntimeData(client=client, status=status)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # A boolean, because Home Assistant 2026.10 still requires one (2026.11 accepts None).
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> bool:
    """Unload the entry's platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
