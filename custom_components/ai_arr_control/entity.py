"""Base entities: one device per Arr instance, a child device per indexer."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import ChildDeviceInfo, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import ArrConfigEntry, ArrHealthCoordinator, indexer_identifier
from .data import IndexerHealth
from .heal_coordinator import ArrHealCoordinator


class ArrInstanceEntity[CoordinatorT: ArrHealthCoordinator | ArrHealCoordinator](
    CoordinatorEntity[CoordinatorT]
):
    """An entity about a whole Arr instance, on the instance's device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: CoordinatorT, description: EntityDescription
    ) -> None:
        """Attach the entity to the instance device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry_id = coordinator.config_entry.entry_id
        self._attr_unique_id = f"{entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry_id)})


class ArrIndexerEntity(CoordinatorEntity[ArrHealthCoordinator]):
    """An entity about one indexer, on the indexer's child device."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: ArrHealthCoordinator,
        description: EntityDescription,
        indexer_id: int,
    ) -> None:
        """Attach the entity to the indexer's child device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.indexer_id = indexer_id
        entry_id = coordinator.config_entry.entry_id
        self._attr_unique_id = f"{entry_id}_indexer_{indexer_id}_{description.key}"
        self._attr_device_info = ChildDeviceInfo(
            identifiers={indexer_identifier(entry_id, indexer_id)},
            parent_device_id=dr.async_get_device_id_by_identifier(
                coordinator.hass, (DOMAIN, entry_id), config_entry_id=entry_id
            ),
            name=coordinator.data.indexers[indexer_id].indexer.name,
        )

    @property
    def indexer_health(self) -> IndexerHealth:
        """What the last health check found for this indexer."""
        return self.coordinator.data.indexers[self.indexer_id]

    @property
    def available(self) -> bool:
        """Unavailable with the instance, or once the indexer is gone."""
        return super().available and self.indexer_id in self.coordinator.data.indexers


@callback
def async_add_indexer_entities(
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_for: Callable[[int], Iterable[Entity]],
) -> None:
    """Add entities for every indexer now, and for indexers that appear later."""
    coordinator = entry.runtime_data.health
    known: set[int] = set()

    @callback
    def add_new() -> None:
        current = set(coordinator.data.indexers) if coordinator.data else set()
        # A deleted indexer's entities go with its device; forget it so an id the
        # app hands out again gets entities again.
        known.intersection_update(current)
        new = current - known
        if new:
            known.update(new)
            async_add_entities(
                [
                    entity
                    for indexer_id in sorted(new)
                    for entity in entities_for(indexer_id)
                ]
            )

    add_new()
    entry.async_on_unload(coordinator.async_add_listener(add_new))
