"""The indexer board: every indexer of every configured instance in one view.

A row is one indexer as the user thinks of it: a Prowlarr indexer together
with its copies in the configured apps, or an app's own indexer. A column is
an instance. The card (``frontend/ai-arr-indexer-board.js``) reads the board
over the websocket API, and keeps it live with a subscription that pushes it
again whenever an instance's health check, a write or a heal run changes it.

Cells carry what the entities show (the State sensor's state, the Status
sensor's cause and message) and the ids the card acts through; never an
indexer's settings.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Final

import probatio

from homeassistant.components import websocket_api
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)

from .arr import ArrApp
from .binary_sensor import capped
from .const import CONF_APP, DOMAIN, LOGGER
from .coordinator import ArrConfigEntry, ArrHealthCoordinator, indexer_identifier
from .data import PROBLEM_STATES, IndexerHealth, IndexerState
from .stack import DATA_STACK

SIGNAL_BOARD_CHANGED: Final = f"{DOMAIN}_board_changed"
# Changes within this many seconds reach a subscribed card as one board.
BOARD_COOLDOWN: Final = 1.0

WS_BOARD: Final = f"{DOMAIN}/board"
WS_SUBSCRIBE_BOARD: Final = f"{DOMAIN}/subscribe_board"

# A "since" is known for these states only.
_SINCE_STATES = frozenset(
    {IndexerState.FAILING, IndexerState.RATE_LIMITED, IndexerState.AUTO_DISABLED}
)


@callback
def async_setup_board(hass: HomeAssistant) -> None:
    """Register the board's websocket commands (readable by every user)."""
    websocket_api.async_register_command(hass, ws_board)
    websocket_api.async_register_command(hass, ws_subscribe_board)


@callback
def async_track_entry(hass: HomeAssistant, entry: ArrConfigEntry) -> None:
    """Push the board when the entry is set up, changes, and unloads."""
    changed = partial(board_changed, hass)
    entry.async_on_unload(entry.runtime_data.health.async_add_listener(changed))
    entry.async_on_unload(changed)
    changed()


@callback
def board_changed(hass: HomeAssistant) -> None:
    """Tell subscribed cards that the board changed."""
    async_dispatcher_send(hass, SIGNAL_BOARD_CHANGED)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _loaded(entry: ArrConfigEntry) -> bool:
    return entry.state is ConfigEntryState.LOADED


class _BoardBuilder:
    """Builds the board from the loaded entries, the stack and the registries."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.devices = dr.async_get(hass)
        self.entities = er.async_get(hass)
        self.stack = hass.data[DATA_STACK]

    def build(self) -> dict[str, Any]:
        entries: list[ArrConfigEntry] = sorted(
            self.hass.config_entries.async_entries(DOMAIN, include_disabled=False),
            key=lambda e: (e.data.get(CONF_APP) != ArrApp.PROWLARR, e.title.casefold()),
        )
        columns = [
            {
                "entry_id": entry.entry_id,
                "title": entry.title,
                "app": (
                    entry.runtime_data.status.app.value
                    if _loaded(entry)
                    else entry.data.get(CONF_APP)
                ),
                "loaded": _loaded(entry),
                "available": _loaded(entry)
                and entry.runtime_data.health.last_update_success,
            }
            for entry in entries
        ]
        loaded = [e for e in entries if _loaded(e) and e.runtime_data.health.data]
        rows: dict[str, dict[str, Any]] = {}
        # The rows of the Prowlarr indexers first: copies join them.
        prowlarrs = [e for e in loaded if e.runtime_data.status.app is ArrApp.PROWLARR]
        for entry in prowlarrs:
            for health in entry.runtime_data.health.data.indexers.values():
                self._row(rows, entry, health)
        for entry in loaded:
            if entry in prowlarrs:
                continue
            for health in entry.runtime_data.health.data.indexers.values():
                source = self.stack.source_of(entry.entry_id, health.indexer)
                row = (
                    rows.get(_row_key(source.prowlarr_entry_id, source.indexer_id))
                    if source is not None
                    else None
                )
                if row is not None:
                    row["cells"].append(self._cell(entry, health))
                else:
                    self._row(rows, entry, health)
        for row in rows.values():
            row["problem"] = any(cell["problem"] for cell in row["cells"])
        return {
            "columns": columns,
            "rows": sorted(
                rows.values(), key=lambda r: (r["name"].casefold(), r["key"])
            ),
        }

    def _row(
        self,
        rows: dict[str, dict[str, Any]],
        entry: ArrConfigEntry,
        health: IndexerHealth,
    ) -> None:
        key = _row_key(entry.entry_id, health.indexer.id)
        rows[key] = {
            "key": key,
            "name": health.indexer.name,
            "cells": [self._cell(entry, health)],
        }

    def _cell(self, entry: ArrConfigEntry, health: IndexerHealth) -> dict[str, Any]:
        coordinator = entry.runtime_data.health
        indexer = health.indexer
        state = coordinator.indexer_state(indexer.id)
        device = self.devices.async_get_child_device_by_identifier(
            indexer_identifier(entry.entry_id, indexer.id), entry.entry_id
        )
        unique_id = f"{entry.entry_id}_indexer_{indexer.id}"
        return {
            "entry_id": entry.entry_id,
            "indexer_id": indexer.id,
            "name": indexer.name,
            "available": coordinator.last_update_success,
            "state": state.value,
            # What the Status sensor calls a problem (the card's filter).
            "problem": coordinator.last_update_success and state in PROBLEM_STATES,
            "enabled": indexer.enabled,
            "cause": health.cause.value if health.cause else None,
            "message": capped(health.message),
            "warning": capped(health.warning),
            "since": _iso(_since(coordinator, health, state)),
            "last_success": _iso(health.last_success),
            "last_tested": _iso(health.last_tested),
            "response_time": health.response_time,
            "device_id": device.id if device else None,
            "state_entity_id": self.entities.async_get_entity_id(
                "sensor", DOMAIN, f"{unique_id}_state"
            ),
            "switch_entity_id": self.entities.async_get_entity_id(
                "switch", DOMAIN, f"{unique_id}_enabled"
            ),
            "can_switch": entry.runtime_data.control.user_may_switch(indexer),
        }


def _row_key(entry_id: str, indexer_id: int) -> str:
    return f"{entry_id}:{indexer_id}"


def _since(
    coordinator: ArrHealthCoordinator, health: IndexerHealth, state: IndexerState
) -> datetime | None:
    """Since when the indexer is in a problem state, where that is known:
    when auto-heal disabled it, else when it was seen to start failing."""
    if state not in _SINCE_STATES:
        return None
    if state is IndexerState.AUTO_DISABLED:
        owned = coordinator.config_entry.runtime_data.ledger.owned.get(
            health.indexer.id
        )
        if owned is not None and owned.disabled_at is not None:
            return owned.disabled_at
    return health.failing_since


@callback
def build_board(hass: HomeAssistant) -> dict[str, Any]:
    """The board: ``columns`` (the instances) and ``rows`` (the indexers)."""
    return _BoardBuilder(hass).build()


@websocket_api.websocket_command({probatio.Required("type"): WS_BOARD})
@callback
def ws_board(
    hass: HomeAssistant,
    connection: websocket_api.ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Send the board once."""
    connection.send_result(msg["id"], build_board(hass))


@websocket_api.websocket_command({probatio.Required("type"): WS_SUBSCRIBE_BOARD})
@callback
def ws_subscribe_board(
    hass: HomeAssistant,
    connection: websocket_api.ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Send the board now and again after every change (debounced)."""

    @callback
    def send() -> None:
        connection.send_message(
            websocket_api.event_message(msg["id"], build_board(hass))
        )

    debouncer: Debouncer[None] = Debouncer(
        hass, LOGGER, cooldown=BOARD_COOLDOWN, immediate=False, function=send
    )
    disconnect = async_dispatcher_connect(
        hass, SIGNAL_BOARD_CHANGED, debouncer.async_schedule_call
    )

    @callback
    def unsubscribe() -> None:
        disconnect()
        debouncer.async_shutdown()

    connection.subscriptions[msg["id"]] = unsubscribe
    connection.send_result(msg["id"])
    send()
