"""A button per instance to run the health check now."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ArrConfigEntry, ArrHealthCoordinator
from .entity import ArrInstanceEntity
from .heal_coordinator import ArrHealCoordinator
from .helpers import arr_errors

PARALLEL_UPDATES = 1

TEST_INDEXERS = ButtonEntityDescription(
    key="test_indexers", translation_key="test_indexers"
)
HEAL_NOW = ButtonEntityDescription(key="heal_now", translation_key="heal_now")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the instance's buttons."""
    async_add_entities(
        [
            ArrTestIndexersButton(entry.runtime_data.health, TEST_INDEXERS),
            ArrHealNowButton(entry.runtime_data.heal, HEAL_NOW),
        ]
    )


class ArrTestIndexersButton(ArrInstanceEntity[ArrHealthCoordinator], ButtonEntity):
    """Check the indexers now instead of at the next scheduled check."""

    @property
    def available(self) -> bool:
        """Pressable while the instance is down too: that is when to retry."""
        return True

    async def async_press(self) -> None:
        """Run a health check; its failure is reported to the user."""
        await self.coordinator.async_check_now()


class ArrHealNowButton(ArrInstanceEntity[ArrHealCoordinator], ButtonEntity):
    """Run the heal now, even with auto-heal off (a dry run if that option is on)."""

    async def async_press(self) -> None:
        """Heal now."""
        with arr_errors(self.hass, self.coordinator.config_entry):
            await self.coordinator.async_heal_now()
