"""The health coordinator: tests every indexer of one Arr instance on a schedule."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .arr import (
    ArrApp,
    ArrAuthenticationError,
    ArrClient,
    ArrConnectionError,
    ArrError,
    ArrTimeoutError,
    Indexer,
    IndexerStats,
    IndexerStatus,
    IndexerTestResult,
    SystemStatus,
)
from .const import (
    CONF_HEALTH_INTERVAL,
    DEFAULT_HEALTH_INTERVAL,
    DOMAIN,
    LOGGER,
    STATS_WINDOW,
    TEST_CONCURRENCY,
)
from .data import IndexerHealth, InstanceHealth
from .store import IndexerMemory


@dataclass(kw_only=True, slots=True)
class ArrRuntimeData:
    """What one config entry (one Arr instance) holds while loaded."""

    client: ArrClient
    status: SystemStatus
    health: ArrHealthCoordinator
    memory: IndexerMemory


type ArrConfigEntry = ConfigEntry[ArrRuntimeData]


def indexer_identifier(entry_id: str, indexer_id: int) -> tuple[str, str]:
    """The device registry identifier of an indexer (a child of its instance)."""
    return (DOMAIN, f"{entry_id}_indexer_{indexer_id}")


class ArrHealthCoordinator(DataUpdateCoordinator[InstanceHealth]):
    """Lists the indexers and tests every enabled one, each cycle.

    One test per indexer per cycle and no retries: a test makes the Arr app query
    the indexer site and moves the app's own back-off.
    """

    config_entry: ArrConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ArrConfigEntry,
        client: ArrClient,
        memory: IndexerMemory,
    ) -> None:
        """Set up the coordinator with the interval from the entry's options."""
        minutes = entry.options.get(CONF_HEALTH_INTERVAL, DEFAULT_HEALTH_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} health {entry.title}",
            update_interval=timedelta(minutes=minutes),
        )
        self.client = client
        self.memory = memory

    @override
    async def _async_update_data(self) -> InstanceHealth:
        previous = self.data.indexers if self.data else {}
        try:
            indexers = await self.client.indexers()
            results = await self._test(
                [i for i in indexers if i.enabled], TEST_CONCURRENCY
            )
            # Read after the tests, which move the app's back-off and health.
            checks = tuple(await self.client.health())
            blocked, stats = await self._prowlarr_extras()
        except ArrAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except ArrError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err

        now = dt_util.utcnow()
        health = InstanceHealth(
            indexers={
                indexer.id: _merge(
                    previous.get(indexer.id),
                    indexer,
                    result=results.get(indexer.id),
                    blocked=blocked.get(indexer.id),
                    stats=stats.get(indexer.id),
                    now=now,
                )
                for indexer in indexers
            },
            checks=checks,
            last_checked=now,
        )
        self._remove_stale_devices(set(health.indexers))
        return health

    async def _prowlarr_extras(
        self,
    ) -> tuple[dict[int, IndexerStatus], dict[int, IndexerStats]]:
        """Prowlarr's own back-off and counters; other apps have neither."""
        status = self.client.status
        if status is None or status.app is not ArrApp.PROWLARR:
            return {}, {}
        blocked = {s.indexer_id: s for s in await self.client.indexer_status()}
        stats = {
            s.indexer_id: s
            for s in await self.client.indexer_stats(
                start=dt_util.utcnow() - STATS_WINDOW
            )
        }
        return blocked, stats

    async def _test(
        self, indexers: list[Indexer], concurrency: int
    ) -> dict[int, IndexerTestResult | ArrError]:
        """Test the indexers, at most ``concurrency`` at once.

        A test that times out or that the app answers strangely counts against
        that indexer; losing the instance itself (refused, 401) fails the cycle.
        """
        semaphore = asyncio.Semaphore(concurrency)

        async def test(indexer: Indexer) -> IndexerTestResult | ArrError:
            async with semaphore:
                try:
                    return await self.client.test_indexer(indexer)
                except ArrTimeoutError as err:
                    return err
                except ArrAuthenticationError, ArrConnectionError:
                    raise
                except ArrError as err:
                    return err

        outcomes = await asyncio.gather(
            *(test(indexer) for indexer in indexers), return_exceptions=True
        )
        results: dict[int, IndexerTestResult | ArrError] = {}
        for indexer, outcome in zip(indexers, outcomes, strict=True):
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, ArrTimeoutError | ArrError
            ):
                raise outcome
            if isinstance(outcome, ArrAuthenticationError) or (
                isinstance(outcome, ArrConnectionError)
                and not isinstance(outcome, ArrTimeoutError)
            ):
                raise outcome
            results[indexer.id] = outcome
        return results

    def _remove_stale_devices(self, current_ids: set[int]) -> None:
        """Remove the devices (and so the entities) of indexers deleted in the app."""
        entry_id = self.config_entry.entry_id
        wanted = {indexer_identifier(entry_id, i) for i in current_ids}
        registry = dr.async_get(self.hass)
        for device in dr.async_child_entries_for_config_entry(registry, entry_id):
            if not device.identifiers & wanted:
                LOGGER.debug("Removing the device of deleted indexer %s", device.name)
                registry.async_remove_device(device.id)
        if self.data is not None:
            for indexer_id in self.data.indexers.keys() - current_ids:
                self.memory.forget(indexer_id)

    async def async_set_indexer_flags(
        self, indexer_id: int, flags: Mapping[str, bool]
    ) -> None:
        """Set an indexer's enable flags and show the change without a test cycle."""
        updated = await self.client.set_indexer_flags(indexer_id, flags)
        if self.data is None or indexer_id not in self.data.indexers:
            return
        indexers = dict(self.data.indexers)
        indexers[indexer_id] = replace(indexers[indexer_id], indexer=updated)
        self.data = replace(self.data, indexers=indexers)
        self.async_update_listeners()


def _merge(
    previous: IndexerHealth | None,
    indexer: Indexer,
    *,
    result: IndexerTestResult | ArrError | None,
    blocked: IndexerStatus | None,
    stats: IndexerStats | None,
    now: datetime,
) -> IndexerHealth:
    """Fold one cycle's findings into what was known about an indexer."""
    health = previous or IndexerHealth(indexer=indexer)
    blocked_until = blocked.disabled_till if blocked else None
    health = replace(
        health,
        indexer=indexer,
        blocked_until=blocked_until if blocked_until and blocked_until > now else None,
        stats=stats,
    )
    if result is None:
        # Disabled indexers are not tested: their last verdict stands.
        return health
    if isinstance(result, ArrError):
        return replace(
            health,
            passed=False,
            message=str(result),
            response_time=None,
            consecutive_failures=health.consecutive_failures + 1,
            last_tested=now,
        )
    response_time = (
        round(result.response_time * 1000, 1)
        if result.response_time is not None
        else None
    )
    if result.passed:
        return replace(
            health,
            passed=True,
            message=None,
            response_time=response_time,
            consecutive_failures=0,
            last_tested=now,
            last_success=now,
        )
    return replace(
        health,
        passed=False,
        message=result.message,
        response_time=response_time,
        consecutive_failures=health.consecutive_failures + 1,
        last_tested=now,
    )
