"""Health checks: the coordinator that tests an instance's indexers.

Also home of the entry's runtime data. The heal runs live in
``heal_coordinator.py``, the one write path in ``control.py``, and what links
the instances in ``stack.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
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
    ArrNotFoundError,
    ArrTimeoutError,
    Cause,
    Indexer,
    IndexerStats,
    IndexerStatus,
    IndexerTestResult,
    ProwlarrApplication,
    SystemStatus,
    TestVerdict,
    assess,
)
from .const import (
    CONF_HEALTH_INTERVAL,
    DEFAULT_HEALTH_INTERVAL,
    DOMAIN,
    EVENT_INDEXER_FAILED,
    EVENT_INDEXER_RECOVERED,
    LOGGER,
    STATS_WINDOW,
    TEST_CONCURRENCY,
)
from .data import IndexerHealth, InstanceHealth, merge_indexer
from .store import IndexerLedger

if TYPE_CHECKING:
    from .control import IndexerControl
    from .heal_coordinator import ArrHealCoordinator
    from .stack import ArrStack


@dataclass(kw_only=True, slots=True)
class ArrRuntimeData:
    """What one config entry (one Arr instance) holds while loaded."""

    client: ArrClient
    status: SystemStatus
    health: ArrHealthCoordinator
    heal: ArrHealCoordinator
    control: IndexerControl
    ledger: IndexerLedger
    stack: ArrStack


type ArrConfigEntry = ConfigEntry[ArrRuntimeData]


def fire_indexer_event(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    event: str,
    indexer: Indexer,
    reason: str | None,
    *,
    cause: Cause | None = None,
) -> None:
    """Fire one of the integration's indexer events, for automations and the logbook."""
    hass.bus.async_fire(
        event,
        {
            "config_entry_id": entry.entry_id,
            "instance": entry.title,
            "indexer_id": indexer.id,
            "indexer": indexer.name,
            "reason": reason,
            "cause": cause.value if cause is not None else None,
        },
    )


def indexer_identifier(entry_id: str, indexer_id: int) -> tuple[str, str]:
    """The device registry identifier of an indexer (a child of its instance)."""
    return (DOMAIN, f"{entry_id}_indexer_{indexer_id}")


type TestOutcome = IndexerTestResult | ArrError


class ArrHealthCoordinator(DataUpdateCoordinator[InstanceHealth]):
    """Lists the indexers and tests every enabled one, each cycle.

    One test per indexer per cycle and no retries: a test makes the Arr app query
    the indexer site and moves the app's own back-off. An indexer that hit a
    quota is not tested again until the quota resets. Tests never run twice at
    once: a heal run's re-tests wait for a running health check, and the other
    way round.

    It is also the instance's member of the stack (``StackMember``).
    """

    config_entry: ArrConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ArrConfigEntry,
        client: ArrClient,
        status: SystemStatus,
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
        self.status = status
        self._testing = asyncio.Lock()
        # Flag writes, numbered, so that a health check that was already running
        # does not show an indexer as it was before a write.
        self._writes_made = 0
        self._written: dict[int, tuple[int, Indexer]] = {}

    # -- StackMember -------------------------------------------------------------

    @property
    def entry_id(self) -> str:
        """The config entry."""
        return self.config_entry.entry_id

    @property
    def title(self) -> str:
        """The instance's name in Home Assistant."""
        return self.config_entry.title

    @property
    def app(self) -> ArrApp:
        """Which Arr app the instance is."""
        return self.status.app

    @property
    def url(self) -> str:
        """The URL Home Assistant reaches the instance at."""
        return self.client.url

    @property
    def health(self) -> InstanceHealth | None:
        """The last health check's findings; None while the instance is down."""
        return self.data if self.last_update_success else None

    # -- health checks -----------------------------------------------------------

    @override
    async def _async_update_data(self) -> InstanceHealth:
        previous = self.data.indexers if self.data else {}
        started = self._writes_made
        try:
            async with self._testing:
                indexers = await self.client.indexers()
                now = dt_util.utcnow()
                to_test = [
                    i
                    for i in indexers
                    if i.enabled
                    and not (i.id in previous and previous[i.id].paused(now))
                ]
                outcomes = await self._test(to_test)
                # Read after the tests, which move the app's back-off and health.
                checks = tuple(await self.client.health())
                blocked, stats, applications = await self._prowlarr_extras()
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

        # A write made while this check ran is newer than the list it read.
        indexers = [
            self._written[i.id][1]
            if i.id in self._written and self._written[i.id][0] > started
            else i
            for i in indexers
        ]
        self._written.clear()
        now = dt_util.utcnow()
        health = InstanceHealth(
            indexers={
                indexer.id: merge_indexer(
                    previous.get(indexer.id),
                    indexer,
                    verdict=self._verdict(outcomes.get(indexer.id), indexer),
                    blocked=blocked.get(indexer.id),
                    stats=stats.get(indexer.id),
                    now=now,
                )
                for indexer in indexers
            },
            checks=checks,
            last_checked=now,
            applications=applications,
        )
        self._remove_stale_devices(set(health.indexers))
        self._fire_transitions(previous, health.indexers)
        return health

    async def _prowlarr_extras(
        self,
    ) -> tuple[
        dict[int, IndexerStatus],
        dict[int, IndexerStats],
        tuple[ProwlarrApplication, ...],
    ]:
        """Prowlarr's own back-off, counters and the apps it syncs into."""
        if self.status.app is not ArrApp.PROWLARR:
            return {}, {}, ()
        blocked = {s.indexer_id: s for s in await self.client.indexer_status()}
        stats = {
            s.indexer_id: s
            for s in await self.client.indexer_stats(
                start=dt_util.utcnow() - STATS_WINDOW
            )
        }
        return blocked, stats, tuple(await self.client.prowlarr_applications())

    def _verdict(
        self, outcome: TestOutcome | None, indexer: Indexer
    ) -> TestVerdict | None:
        if outcome is None:
            return None
        return assess(outcome, indexer, secrets=(self.config_entry.data[CONF_API_KEY],))

    async def _test(self, indexers: Iterable[Indexer]) -> dict[int, TestOutcome]:
        """Test the indexers, at most ``TEST_CONCURRENCY`` at once.

        A test that times out or that the app answers strangely counts against
        that indexer; losing the instance itself (refused, 401) fails the cycle.
        """
        semaphore = asyncio.Semaphore(TEST_CONCURRENCY)
        indexers = list(indexers)

        async def test(indexer: Indexer) -> TestOutcome:
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
        results: dict[int, TestOutcome] = {}
        for indexer, outcome in zip(indexers, outcomes, strict=True):
            if isinstance(outcome, BaseException) and not isinstance(outcome, ArrError):
                raise outcome
            if isinstance(outcome, ArrAuthenticationError) or (
                isinstance(outcome, ArrConnectionError)
                and not isinstance(outcome, ArrTimeoutError)
            ):
                raise outcome
            results[indexer.id] = outcome
        return results

    async def async_retest(self, indexer_ids: Iterable[int]) -> None:
        """Read some indexers afresh and test exactly that (also disabled ones).

        The heal run's tests of suspects and of the indexers it disabled. The
        apps test the settings in the request, so a setting the user fixed since
        the last health check is what gets tested. An indexer deleted meanwhile
        is dropped. Losing the instance raises, as in a health check.
        """
        started = self._writes_made
        async with self._testing:
            fresh: list[Indexer] = []
            gone: list[int] = []
            for indexer_id in indexer_ids:
                if indexer_id not in self.data.indexers:
                    continue
                try:
                    fresh.append(await self.client.indexer(indexer_id))
                except ArrNotFoundError:
                    gone.append(indexer_id)
            outcomes = await self._test(fresh)
        now = dt_util.utcnow()
        merged = dict(self.data.indexers)
        for indexer_id in gone:
            merged.pop(indexer_id, None)
        for tested in fresh:
            written = self._written.get(tested.id)
            # A write made while the test ran is newer than the read.
            current = written[1] if written and written[0] > started else tested
            merged[tested.id] = merge_indexer(
                merged.get(tested.id),
                current,
                verdict=self._verdict(outcomes.get(tested.id), tested),
                now=now,
                keep_prowlarr=True,
            )
        self._fire_transitions(self.data.indexers, merged)
        self.data = replace(self.data, indexers=merged)
        self.async_update_listeners()

    @callback
    def reset_failures(self, indexer_id: int) -> None:
        """Start counting failures afresh (the user turned the indexer back on)."""
        if self.data is not None and indexer_id in self.data.indexers:
            indexers = dict(self.data.indexers)
            indexers[indexer_id] = replace(
                indexers[indexer_id],
                consecutive_failures=0,
                strikes=0,
                paused_until=None,
            )
            self.data = replace(self.data, indexers=indexers)

    async def async_set_indexer_flags(
        self, indexer_id: int, flags: Mapping[str, bool]
    ) -> Indexer:
        """Set an indexer's enable flags and show the change without a test cycle.

        Only through ``IndexerControl``, which holds the indexer's lock.
        """
        updated = await self.client.set_indexer_flags(indexer_id, flags)
        self._writes_made += 1
        self._written[indexer_id] = (self._writes_made, updated)
        if self.data is not None and indexer_id in self.data.indexers:
            indexers = dict(self.data.indexers)
            indexers[indexer_id] = replace(indexers[indexer_id], indexer=updated)
            self.data = replace(self.data, indexers=indexers)
            self.async_update_listeners()
        return updated

    # -- bookkeeping -------------------------------------------------------------

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
            ledger = self.config_entry.runtime_data.ledger
            for indexer_id in self.data.indexers.keys() - current_ids:
                ledger.forget(indexer_id)

    def _fire_transitions(
        self,
        before: Mapping[int, IndexerHealth],
        after: Mapping[int, IndexerHealth],
    ) -> None:
        """Fire an event when an indexer starts failing or recovers.

        Only changes seen between two tests count: a restart does not fire again
        for indexers that were already failing.
        """
        for indexer_id, health in after.items():
            previous = before.get(indexer_id)
            if previous is None or previous.passed is None or health.passed is None:
                continue
            if previous.passed and not health.passed:
                event = EVENT_INDEXER_FAILED
            elif not previous.passed and health.passed:
                event = EVENT_INDEXER_RECOVERED
            else:
                continue
            fire_indexer_event(
                self.hass,
                self.config_entry,
                event,
                health.indexer,
                health.message,
                cause=health.cause,
            )
