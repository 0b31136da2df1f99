"""A button per instance to run the health check now."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ArrConfigEntry
from .entity import ArrInstanceEntity

PARALLEL_UPDATES = 1

TEST_INDEXERS = ButtonEntityDescription(
    key="test_indexers", translation_key="test_indexers"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the instance's buttons."""
    async_add_entities(
        [ArrTestIndexersButton(entry.runtime_data.health, TEST_INDEXERS)]
    )


class ArrTestIndexersButton(ArrInstanceEntity, ButtonEntity):
    """Test every enabled indexer now instead of at the next scheduled check."""

    async def async_press(self) -> None:
        """Run a health check."""
        await self.coordinator.async_request_refresh()
