"""A calendar per Prowlarr: when each indexer's VIP access expires.

Prowlarr's Newznab and Torznab indexers carry a "VIP Expiration" date the user
enters; each is an all-day event titled with the indexer's name.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .arr import ArrApp
from .coordinator import ArrConfigEntry, ArrHealthCoordinator
from .entity import ArrInstanceEntity

PARALLEL_UPDATES = 0

VIP_EXPIRY = CalendarEntityDescription(key="vip_expiry", translation_key="vip_expiry")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the VIP expiry calendar of a Prowlarr instance."""
    if entry.runtime_data.status.app is ArrApp.PROWLARR:
        async_add_entities([ArrVipCalendar(entry.runtime_data.health, VIP_EXPIRY)])


class ArrVipCalendar(ArrInstanceEntity[ArrHealthCoordinator], CalendarEntity):
    """The VIP expiry dates of a Prowlarr's indexers."""

    def _events(self) -> list[CalendarEvent]:
        events = [
            CalendarEvent(
                start=expiry,
                end=expiry + timedelta(days=1),
                summary=health.indexer.name,
                uid=f"{self.coordinator.config_entry.entry_id}_vip_{health.indexer.id}",
            )
            for health in self.coordinator.data.indexers.values()
            if (expiry := health.indexer.vip_expiration) is not None
        ]
        return sorted(events, key=lambda event: (event.start, event.summary))

    @property
    def event(self) -> CalendarEvent | None:
        """The next expiry (today's included)."""
        today: date = dt_util.now().date()
        return next((event for event in self._events() if event.start >= today), None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The expiries between two moments."""
        return [
            event
            for event in self._events()
            if event.end_datetime_local > start_date
            and event.start_datetime_local < end_date
        ]
