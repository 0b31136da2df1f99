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
from .data import PROBLEM_STATES, IndexerHealth, IndexerState, InstanceHealth
from .entity import ArrIndexerEntity, ArrInstanceEntity, async_add_indexer_entities

PARALLEL_UPDATES = 0

# Attributes quote the apps' texts: at most this long, and at most this many
# health messages (a state's attributes are written to the recorder's database).
MAX_TEXT = 255
MAX_MESSAGES = 10


def capped(text: str | None) -> str | None:
    """A text of the app, cut to ``MAX_TEXT`` characters."""
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 1] + "…"


@dataclass(frozen=True, kw_only=True)
class ArrIndexerBinarySensorDescription(BinarySensorEntityDescription):
    """An indexer binary sensor: its state and stable attributes."""

    is_on_fn: Callable[[IndexerState], bool | None]
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
        # On when the indexer does not work as configured: failing, rate
        # limited, or disabled by auto-heal (see PROBLEM_STATES); off when it
        # passes or the user turned it off; unknown until it has been tested.
        is_on_fn=lambda state: (
            None if state is IndexerState.UNTESTED else state in PROBLEM_STATES
        ),
        # Only what changes when the verdict changes: no timestamps, no timings.
        attributes_fn=lambda health: {
            "cause": health.cause.value if health.cause else None,
            "failure_message": capped(health.message),
            "warning": capped(health.warning),
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
            "messages": [capped(c.message) for c in health.checks[:MAX_MESSAGES]]
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
    # The apps' messages name indexers and times: live, not in the history.
    _unrecorded_attributes = frozenset({"messages"})

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
    # The app's text often carries a time or a URL: live, not in the history
    # (the cause is recorded).
    _unrecorded_attributes = frozenset({"failure_message", "warning"})

    @property
    def is_on(self) -> bool | None:
        """Whether the indexer has the problem."""
        return self.entity_description.is_on_fn(
            self.coordinator.indexer_state(self.indexer_id)
        )

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Stable facts about the problem."""
        return self.entity_description.attributes_fn(self.indexer_health)
