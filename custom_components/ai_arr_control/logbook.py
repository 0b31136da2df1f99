"""Logbook lines for the indexer events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

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
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("instance", "")),
            LOGBOOK_ENTRY_MESSAGE: _MESSAGES[str(event.event_type)].format(
                indexer=data.get("indexer", ""),
                reason=data.get("reason") or "no details",
                cause=data.get("cause") or "unknown",
            ),
        }

    for event_type in _MESSAGES:
        async_describe_event(DOMAIN, event_type, describe)
