"""Sensors: response times and counters per indexer, counts per instance."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .arr import ArrApp
from .coordinator import ArrConfigEntry, ArrHealthCoordinator
from .data import PROBLEM_STATES, IndexerHealth, IndexerState
from .entity import ArrIndexerEntity, ArrInstanceEntity, async_add_indexer_entities
from .evidence import Budget
from .heal_coordinator import ArrHealCoordinator

PARALLEL_UPDATES = 0

type SensorValue = float | int | datetime | None


@dataclass(frozen=True, kw_only=True)
class ArrIndexerSensorDescription(SensorEntityDescription):
    """An indexer sensor and where its value comes from."""

    value_fn: Callable[[IndexerHealth], SensorValue]
    attributes_fn: Callable[[IndexerHealth], Mapping[str, Any]] | None = None
    prowlarr_only: bool = False
    # Whether the indexer has such a sensor at all (e.g. only with a limit set).
    exists_fn: Callable[[IndexerHealth], bool] = lambda _: True


@dataclass(frozen=True, kw_only=True)
class ArrInstanceSensorDescription(SensorEntityDescription):
    """An instance sensor and where its value comes from."""

    value_fn: Callable[[ArrHealthCoordinator], SensorValue]


INDEXER_SENSORS = (
    ArrIndexerSensorDescription(
        key="response_time",
        translation_key="response_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        # Changes at every test: for those who want it (a row per check).
        entity_registry_enabled_default=False,
        value_fn=lambda health: health.response_time,
    ),
    ArrIndexerSensorDescription(
        key="consecutive_failures",
        translation_key="consecutive_failures",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda health: health.consecutive_failures,
    ),
    ArrIndexerSensorDescription(
        key="last_success",
        translation_key="last_success",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda health: health.last_success,
    ),
    ArrIndexerSensorDescription(
        key="blocked_until",
        translation_key="blocked_until",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        prowlarr_only=True,
        value_fn=lambda health: health.blocked_until,
    ),
    ArrIndexerSensorDescription(
        key="queries_left",
        translation_key="queries_left",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        prowlarr_only=True,
        exists_fn=lambda health: health.queries is not None,
        value_fn=lambda health: health.queries.left if health.queries else None,
        attributes_fn=lambda health: _budget_attributes(health.queries),
    ),
    ArrIndexerSensorDescription(
        key="grabs_left",
        translation_key="grabs_left",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        prowlarr_only=True,
        exists_fn=lambda health: health.grabs is not None,
        value_fn=lambda health: health.grabs.left if health.grabs else None,
        attributes_fn=lambda health: _budget_attributes(health.grabs),
    ),
    ArrIndexerSensorDescription(
        key="queries",
        translation_key="queries",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        prowlarr_only=True,
        # Searches and RSS syncs: Prowlarr counts them apart, and the apps' RSS
        # syncs (and their tests) are most of an indexer's traffic.
        value_fn=lambda health: (
            health.stats.queries + health.stats.rss_queries if health.stats else 0
        ),
    ),
    ArrIndexerSensorDescription(
        key="failed_queries",
        translation_key="failed_queries",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        prowlarr_only=True,
        value_fn=lambda health: (
            health.stats.failed_queries + health.stats.failed_rss_queries
            if health.stats
            else 0
        ),
    ),
)

# Where each indexer stands, in one word.
STATE_SENSOR = SensorEntityDescription(
    key="state",
    translation_key="state",
    device_class=SensorDeviceClass.ENUM,
    options=[state.value for state in IndexerState],
)

INSTANCE_SENSORS = (
    ArrInstanceSensorDescription(
        key="indexers",
        translation_key="indexers",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda health: len(health.data.indexers),
    ),
    ArrInstanceSensorDescription(
        key="failing_indexers",
        translation_key="failing_indexers",
        state_class=SensorStateClass.MEASUREMENT,
        # As many as Status sensors are on (failing, rate limited, auto-disabled).
        value_fn=lambda health: sum(1 for s in health.states() if s in PROBLEM_STATES),
    ),
    ArrInstanceSensorDescription(
        key="disabled_indexers",
        translation_key="disabled_indexers",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda health: len(health.data.disabled),
    ),
    ArrInstanceSensorDescription(
        key="last_checked",
        translation_key="last_checked",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # A logbook line and a row at every check.
        entity_registry_enabled_default=False,
        value_fn=lambda health: health.data.last_checked,
    ),
    ArrInstanceSensorDescription(
        key="tests_today",
        translation_key="tests_today",
        # Back to 0 every day: a new cycle for the statistics.
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda health: sum(health.tests_today().values()),
    ),
)


def _budget_attributes(budget: Budget | None) -> Mapping[str, Any]:
    if budget is None:
        return {}
    return {
        "limit": budget.limit,
        "used": budget.used,
        "resets_at": budget.resets_at.isoformat() if budget.resets_at else None,
    }


@dataclass(frozen=True, kw_only=True)
class ArrHealSensorDescription(SensorEntityDescription):
    """A sensor about the instance's heal runs."""

    value_fn: Callable[[ArrHealCoordinator], SensorValue]


HEAL_SENSORS = (
    ArrHealSensorDescription(
        key="last_heal",
        translation_key="last_heal",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda heal: heal.data.at if heal.data else None,
    ),
    ArrHealSensorDescription(
        key="auto_disabled_indexers",
        translation_key="auto_disabled_indexers",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda heal: len(heal.ledger.owned),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of an instance and of each indexer."""
    coordinator = entry.runtime_data.health
    is_prowlarr = entry.runtime_data.status.app is ArrApp.PROWLARR
    async_add_entities(
        ArrInstanceSensor(coordinator, description) for description in INSTANCE_SENSORS
    )
    heal = entry.runtime_data.heal
    async_add_entities(ArrHealSensor(heal, description) for description in HEAL_SENSORS)
    async_add_indexer_entities(
        entry,
        async_add_entities,
        lambda indexer_id: (
            ArrIndexerStateSensor(coordinator, STATE_SENSOR, indexer_id),
            *(
                ArrIndexerSensor(coordinator, description, indexer_id)
                for description in INDEXER_SENSORS
                if (is_prowlarr or not description.prowlarr_only)
                and description.exists_fn(coordinator.data.indexers[indexer_id])
            ),
        ),
    )


class ArrInstanceSensor(ArrInstanceEntity[ArrHealthCoordinator], SensorEntity):
    """A sensor about the whole instance."""

    entity_description: ArrInstanceSensorDescription

    @property
    def native_value(self) -> SensorValue:
        """The sensor's value."""
        return self.entity_description.value_fn(self.coordinator)


class ArrIndexerSensor(ArrIndexerEntity, SensorEntity):
    """A sensor about one indexer."""

    entity_description: ArrIndexerSensorDescription
    # When a limit's oldest use leaves its window moves with every query.
    _unrecorded_attributes = frozenset({"resets_at", "used"})

    @property
    def native_value(self) -> SensorValue:
        """The sensor's value."""
        return self.entity_description.value_fn(self.indexer_health)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The limit, its use and when the oldest use leaves the window."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.indexer_health)


class ArrIndexerStateSensor(ArrIndexerEntity, SensorEntity):
    """Where one indexer stands: passing, failing, rate limited, disabled (by
    auto-heal or not) or not tested yet."""

    @property
    def native_value(self) -> str:
        """The indexer's state."""
        return self.coordinator.indexer_state(self.indexer_id).value


class ArrHealSensor(ArrInstanceEntity[ArrHealCoordinator], SensorEntity):
    """A sensor about the instance's heal runs."""

    entity_description: ArrHealSensorDescription

    def __init__(
        self, coordinator: ArrHealCoordinator, description: ArrHealSensorDescription
    ) -> None:
        """Follow the health checks too: they change what the ledger holds."""
        super().__init__(coordinator, description)
        self._health = coordinator.health

    async def async_added_to_hass(self) -> None:
        """Update on heal runs and on health checks."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._health.async_add_listener(self._handle_coordinator_update)
        )

    @property
    def native_value(self) -> SensorValue:
        """The sensor's value."""
        return self.entity_description.value_fn(self.coordinator)
