"""Binary sensors: an indexer failing its tests, the instance's own health."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ArrConfigEntry, ArrHealthCoordinator
from .data import IndexerHealth, InstanceHealth
from .entity import ArrIndexerEntity, ArrInstanceEntity, async_add_indexer_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ArrIndexerBinarySensorDescription(BinarySensorEntityDescription):
    """An indexer binary sensor: its state and stable attributes."""

    is_on_fn: Callable[[IndexerHealth], bool | None]
    attributes_fn: Callable[[IndexerHealth], Mapping[str, Any]]


@dataclass(frozen=True, kw_only=True)
class ArrInstanceBinarySensorDescription(BinarySensorEntityDescription):
    """An instance binary sensor: its state and stable attributes."""

    is_on_fn: Callable[[InstanceHealth], bool]
    attributes_fn: Callable[[InstanceHealth], Mapping[str, Any]]


INDEXER_SENSORS = (
    ArrIndexerBinarySensorDescription(
        key="status",
        translation_key="indexer_status",
        device_class=BinarySensorDeviceClass.PROBLEM,
        # On when its last test failed; unknown until it has been tested.
        is_on_fn=lambda health: health.failing,
        # Only what changes when the verdict changes: no timestamps, no timings.
        attributes_fn=lambda health: {
            "cause": health.cause.value if health.cause else None,
            "failure_message": health.message,
            "warning": health.warning,
        },
    ),
)

INSTANCE_SENSORS = (
    ArrInstanceBinarySensorDescription(
        key="health",
        translation_key="instance_health",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda health: any(
            check.type in ("warning", "error") for check in health.checks
        ),
        attributes_fn=lambda health: {
            "messages": [check.message for check in health.checks]
        },
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of an instance and of each indexer."""
    coordinator = entry.runtime_data.health
    async_add_entities(
        ArrInstanceBinarySensor(coordinator, description)
        for description in INSTANCE_SENSORS
    )
    async_add_indexer_entities(
        entry,
        async_add_entities,
        lambda indexer_id: (
            ArrIndexerBinarySensor(coordinator, description, indexer_id)
            for description in INDEXER_SENSORS
        ),
    )


class ArrInstanceBinarySensor(
    ArrInstanceEntity[ArrHealthCoordinator], BinarySensorEntity
):
    """A binary sensor about the whole instance."""

    entity_description: ArrInstanceBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """Whether the instance has the problem."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Stable facts about the problem."""
        return self.entity_description.attributes_fn(self.coordinator.data)


class ArrIndexerBinarySensor(ArrIndexerEntity, BinarySensorEntity):
    """A binary sensor about one indexer."""

    entity_description: ArrIndexerBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """Whether the indexer has the problem."""
        return self.entity_description.is_on_fn(self.indexer_health)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Stable facts about the problem."""
        return self.entity_description.attributes_fn(self.indexer_health)
