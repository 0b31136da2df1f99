"""What the integration remembers about indexers across restarts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION = 1
SAVE_DELAY = 1.0


class IndexerMemory:
    """The enable flags each indexer had before it was switched off here.

    Turning it back on restores exactly those flags (e.g. RSS on, interactive
    search off), also after a restart.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store of one config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._flags: dict[int, dict[str, bool]] = {}
        self._dirty = False

    async def async_load(self) -> None:
        """Read what was saved."""
        data = await self._store.async_load() or {}
        self._flags = {
            int(indexer_id): {str(k): bool(v) for k, v in flags.items()}
            for indexer_id, flags in data.get("flags", {}).items()
        }

    def flags_before_off(self, indexer_id: int) -> dict[str, bool] | None:
        """The flags to restore, or None when it was not switched off here."""
        flags = self._flags.get(indexer_id)
        return dict(flags) if flags is not None else None

    @callback
    def remember(self, indexer_id: int, flags: Mapping[str, bool]) -> None:
        """Keep the flags an indexer had before it is switched off."""
        self._flags[indexer_id] = dict(flags)
        self._save()

    @callback
    def forget(self, indexer_id: int) -> None:
        """Drop what is kept for an indexer (restored, or deleted in the app)."""
        if self._flags.pop(indexer_id, None) is not None:
            self._save()

    async def async_flush(self) -> None:
        """Write what is pending now (before a reload reads the store again)."""
        if self._dirty:
            await self._store.async_save(self.as_dict())
            self._dirty = False

    async def async_remove(self) -> None:
        """Delete the store with its config entry."""
        await self._store.async_remove()

    def as_dict(self) -> dict[str, Any]:
        """The stored data, for diagnostics."""
        return {"flags": {str(k): v for k, v in self._flags.items()}}

    def _save(self) -> None:
        self._dirty = True
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    def _data_to_save(self) -> dict[str, Any]:
        self._dirty = False
        return self.as_dict()
