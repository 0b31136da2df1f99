"""AI Arr Control: keeps the indexers of Radarr, Sonarr and Prowlarr healthy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .arr import (
    ArrAuthenticationError,
    ArrClient,
    ArrConnectionError,
    ArrError,
    ArrNotFoundError,
    ArrOtherAppError,
    ArrUnsupportedVersionError,
    safe_url,
)
from .board import async_setup_board, async_track_entry
from .card import async_ensure_resource, async_remove_resource, async_setup_card
from .const import (
    CONF_API_VERSION,
    CONF_APP,
    CONF_WEBHOOK_ID,
    DOMAIN,
    HEALTH_WATCH_INTERVAL,
    LOGGER,
)
from .control import IndexerControl
from .coordinator import ArrConfigEntry, ArrHealthCoordinator, ArrRuntimeData
from .heal_coordinator import ArrHealCoordinator
from .issues import InstanceIssues
from .llm_api import async_register_llm_api
from .push import ArrPush, async_remove_connection
from .services import async_setup_services
from .stack import DATA_STACK, ArrStack
from .store import IndexerLedger

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions, the indexer board and its card, and
    create the stack."""
    hass.data[DATA_STACK] = ArrStack()
    async_setup_services(hass)
    async_setup_board(hass)
    await async_setup_card(hass)
    return True


def create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> ArrClient:
    """Build the Arr client for an entry's data, on Home Assistant's shared session."""
    return ArrClient(
        data[CONF_URL],
        data[CONF_API_KEY],
        api_version=data.get(CONF_API_VERSION),
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
    except (ArrUnsupportedVersionError, ArrOtherAppError) as err:
        # Retrying cannot help: the app must be upgraded, or the URL changed.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported",
            translation_placeholders={"error": str(err)},
        ) from err
    except ArrError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="unexpected_response",
            translation_placeholders={"error": str(err)},
        ) from err
    if entry.data.get(CONF_APP, status.app.value) != status.app.value:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="wrong_app",
            translation_placeholders={
                "instance": entry.title,
                "expected": str(entry.data[CONF_APP]),
                "found": status.app.value,
            },
        )

    updates: dict[str, Any] = {}
    if CONF_WEBHOOK_ID not in entry.data:
        updates[CONF_WEBHOOK_ID] = webhook.async_generate_id()
    if entry.data.get(CONF_API_VERSION) != status.api_version:
        updates[CONF_API_VERSION] = status.api_version
    if updates:
        hass.config_entries.async_update_entry(entry, data={**entry.data, **updates})
    ledger = IndexerLedger(hass, entry.entry_id)
    await ledger.async_load()
    # The instance's device exists before the indexers' child devices point at it.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=dr.DeviceEntryType.SERVICE,
        manufacturer="Servarr",
        model=status.app.value,
        name=entry.title,
        sw_version=status.version,
        configuration_url=safe_url(client.url),
    )
    stack = hass.data[DATA_STACK]
    health = ArrHealthCoordinator(hass, entry, client, status, stack=stack)
    control = IndexerControl(hass, entry, health, ledger, stack)
    heal = ArrHealCoordinator(hass, entry, health, control)
    entry.runtime_data = ArrRuntimeData(
        client=client,
        status=status,
        health=health,
        heal=heal,
        control=control,
        ledger=ledger,
        stack=stack,
        push=ArrPush(hass, entry, health),
    )
    # Registered before the first check, so that it already knows which of the
    # app's indexers are copies of a configured Prowlarr (and does not test them).
    entry.async_on_unload(stack.register(health))
    await health.async_config_entry_first_refresh()
    health.joined_stack()
    entry.async_on_unload(health.cancel_requested_check)
    entry.async_on_unload(
        async_track_time_interval(
            hass,
            health.async_watch_health,
            HEALTH_WATCH_INTERVAL,
            name=f"{entry.title} health watch",
            cancel_on_shutdown=True,
        )
    )
    # After each health check the heal's issues follow at once; the first heal
    # run comes one heal interval after start-up, whether or not any of its
    # entities are enabled.
    entry.async_on_unload(health.async_add_listener(heal.async_health_updated))
    entry.async_on_unload(heal.async_add_listener(lambda: None))
    heal.async_health_updated()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.runtime_data.push.async_start()
    async_track_entry(hass, entry)
    async_ensure_resource(hass)
    async_register_llm_api(hass, entry)
    # A boolean, because Home Assistant 2026.10 still requires one (2026.11 accepts None).
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> bool:
    """Unload the entry's platforms and write what it remembers."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    await entry.runtime_data.ledger.async_flush()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> None:
    """Put back the indexers auto-heal disabled, then forget what was stored for
    the instance, its repairs issues, and the connection that pushed its health
    here."""
    client = create_client(hass, entry.data)
    ledger = IndexerLedger(hass, entry.entry_id)
    await ledger.async_load()
    issues = InstanceIssues(hass, entry.entry_id, entry.title)
    left = await _async_put_back(client, ledger)
    await async_remove_connection(hass, entry, client)
    await ledger.async_remove()
    issues.remove_all()
    if left:
        issues.left_disabled(left)
    if not [
        e
        for e in hass.config_entries.async_entries(DOMAIN)
        if e.entry_id != entry.entry_id
    ]:
        # The last instance is gone: so is the card from the dashboards.
        await async_remove_resource(hass)


async def _async_put_back(
    client: ArrClient, ledger: IndexerLedger
) -> list[tuple[str, dict[str, bool]]]:
    """Re-enable, with their flags, the indexers auto-heal disabled; those that
    could not be (the instance unreachable) are returned, by name."""
    left: list[tuple[str, dict[str, bool]]] = []
    for indexer_id, owned in ledger.owned.items():
        try:
            await client.set_indexer_flags(indexer_id, owned.flags)
        except ArrNotFoundError:
            continue
        except ArrError as err:
            LOGGER.warning(
                "Could not put back %s (disabled by auto-heal): %s",
                ledger.name_of(indexer_id),
                err,
            )
            left.append((ledger.name_of(indexer_id), dict(owned.flags)))
    return left


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ArrConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete the device of an indexer that no longer exists.

    While the entry is not loaded nobody knows which still exist: an indexer's
    device may go (it comes back at the first check if the indexer does).
    """
    if (DOMAIN, entry.entry_id) in device.identifiers:
        return False
    if entry.state is not ConfigEntryState.LOADED:
        return True
    health = entry.runtime_data.health.data
    current = {(DOMAIN, f"{entry.entry_id}_indexer_{i}") for i in health.indexers}
    return not device.identifiers & current
