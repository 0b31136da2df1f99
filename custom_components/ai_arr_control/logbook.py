"""Logbook lines for the indexer events.

Each event carries the indexer's ``device_id``, so its lines show on the
indexer's device page; each line links to the indexer's Status entity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import (
    DOMAIN,
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
    EVENT_INDEXER_FAILED,
    EVENT_INDEXER_RECOVERED,
)

_MESSAGES = {
    EVENT_INDEXER_FAILED: "indexer {indexer} started failing ({cause}): {reason}",
    EVENT_INDEXER_RECOVERED: "indexer {indexer} passes its tests again",
    EVENT_INDEXER_DISABLED: "auto-heal disabled indexer {indexer} ({cause}): {reason}",
    EVENT_INDEXER_ENABLED: "indexer {indexer} was re-enabled ({reason})",
}
_ICONS = {
    EVENT_INDEXER_FAILED: "mdi:alert-circle-outline",
    EVENT_INDEXER_RECOVERED: "mdi:check-circle-outline",
    EVENT_INDEXER_DISABLED: "mdi:power-plug-off-outline",
    EVENT_INDEXER_ENABLED: "mdi:power-plug-outline",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[
        [str, str, Callable[[Event[Any]], dict[str, str]]], None
    ],
) -> None:
    """Describe the indexer events in the logbook."""

    @callback
    def describe(event: Event[Any]) -> dict[str, str]:
        data = event.data
        event_type = str(event.event_type)
        described = {
            LOGBOOK_ENTRY_NAME: str(data.get("instance", "")),
            LOGBOOK_ENTRY_ICON: _ICONS[event_type],
            LOGBOOK_ENTRY_MESSAGE: _MESSAGES[event_type].format(
                indexer=data.get("indexer", ""),
                reason=data.get("reason") or "no details",
                cause=data.get("cause") or "unknown",
            ),
        }
        entity_id = er.async_get(hass).async_get_entity_id(
            Platform.BINARY_SENSOR,
            DOMAIN,
            f"{data.get('config_entry_id')}_indexer_{data.get('indexer_id')}_status",
        )
        if entity_id is not None:
            described[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        return described

    for event_type in _MESSAGES:
        async_describe_event(DOMAIN, event_type, describe)
