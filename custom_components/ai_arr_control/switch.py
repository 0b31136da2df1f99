"""A switch per indexer: whether the Arr app uses it at all."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ArrConfigEntry
from .entity import ArrIndexerEntity, async_add_indexer_entities
from .helpers import arr_errors

# One change at a time per instance: each is a write to the Arr app.
PARALLEL_UPDATES = 1

ENABLED = SwitchEntityDescription(key="enabled", translation_key="indexer_enabled")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a switch for each indexer."""
    coordinator = entry.runtime_data.health
    async_add_indexer_entities(
        entry,
        async_add_entities,
        lambda indexer_id: (ArrIndexerSwitch(coordinator, ENABLED, indexer_id),),
    )


class ArrIndexerSwitch(ArrIndexerEntity, SwitchEntity):
    """On while any of the indexer's enable flags is on.

    Only the enable flags change. Turning it off remembers them and turning it
    back on restores exactly those (e.g. RSS on, interactive search off).
    """

    @property
    def is_on(self) -> bool:
        """Whether the app uses the indexer."""
        return self.indexer_health.indexer.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Restore the flags it had before it was switched off here."""
        memory = self.coordinator.memory
        indexer = self.indexer_health.indexer
        flags = memory.flags_before_off(self.indexer_id) or indexer.all_on_flags()
        with arr_errors(self.hass, self.coordinator.config_entry):
            await self.coordinator.async_set_indexer_flags(self.indexer_id, flags)
        memory.forget(self.indexer_id)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn every enable flag off, remembering how they were."""
        indexer = self.indexer_health.indexer
        if indexer.enabled:
            self.coordinator.memory.remember(self.indexer_id, indexer.flags)
        with arr_errors(self.hass, self.coordinator.config_entry):
            await self.coordinator.async_set_indexer_flags(
                self.indexer_id, dict.fromkeys(indexer.flags, False)
            )
