"""A switch per indexer: whether the Arr app uses it at all."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ArrConfigEntry
from .entity import ArrIndexerEntity, ArrInstanceEntity, async_add_indexer_entities
from .heal_coordinator import ArrHealCoordinator
from .helpers import arr_errors

# One change at a time per instance: each is a write to the Arr app.
PARALLEL_UPDATES = 1

ENABLED = SwitchEntityDescription(key="enabled", translation_key="indexer_enabled")
AUTO_HEAL = SwitchEntityDescription(
    key="auto_heal", translation_key="auto_heal", entity_category=EntityCategory.CONFIG
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a switch for each indexer."""
    coordinator = entry.runtime_data.health
    async_add_entities([ArrAutoHealSwitch(entry.runtime_data.heal, AUTO_HEAL)])
    async_add_indexer_entities(
        entry,
        async_add_entities,
        lambda indexer_id: (ArrIndexerSwitch(coordinator, ENABLED, indexer_id),),
    )


class ArrIndexerSwitch(ArrIndexerEntity, SwitchEntity):
    """On while any of the indexer's enable flags is on.

    Only the enable flags change. Turning it off remembers them and turning it
    back on restores exactly those (e.g. RSS on, interactive search off). A copy
    that Prowlarr's Full Sync keeps in line refuses: the change would not last.
    """

    @property
    def is_on(self) -> bool:
        """Whether the app uses the indexer."""
        return self.indexer_health.indexer.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Restore the flags it had and hand it back to auto-heal."""
        control = self.coordinator.config_entry.runtime_data.control
        control.check_user_may_switch(self.indexer_health.indexer)
        with arr_errors(self.hass, self.coordinator.config_entry):
            await control.async_user_on(self.indexer_id)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn every enable flag off; the user now holds it, auto-heal lets go."""
        control = self.coordinator.config_entry.runtime_data.control
        control.check_user_may_switch(self.indexer_health.indexer)
        with arr_errors(self.hass, self.coordinator.config_entry):
            await control.async_user_off(self.indexer_id)


class ArrAutoHealSwitch(ArrInstanceEntity[ArrHealCoordinator], SwitchEntity):
    """Whether the heal run may disable and re-enable indexers on its schedule."""

    @property
    def is_on(self) -> bool:
        """Whether auto-heal is on."""
        return self.coordinator.ledger.auto_heal

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Let the heal run act on its schedule."""
        self.coordinator.ledger.set_auto_heal(True)
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the scheduled heal runs from changing anything."""
        self.coordinator.ledger.set_auto_heal(False)
        self.async_write_ha_state()
