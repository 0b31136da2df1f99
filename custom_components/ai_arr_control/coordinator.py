"""The coordinators of one Arr instance: health checks and heal runs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, issue_registry as ir
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
    ProwlarrLink,
    SystemStatus,
    normalize_url,
)
from .const import (
    CONF_DRY_RUN,
    CONF_FAILURES_TO_DISABLE,
    CONF_HEAL_INTERVAL,
    CONF_HEALTH_INTERVAL,
    CONF_OUTAGE_PERCENT,
    DEFAULT_FAILURES_TO_DISABLE,
    DEFAULT_HEAL_INTERVAL,
    DEFAULT_HEALTH_INTERVAL,
    DEFAULT_OUTAGE_PERCENT,
    DOMAIN,
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
    EVENT_INDEXER_FAILED,
    EVENT_INDEXER_RECOVERED,
    ISSUE_AUTO_DISABLED,
    ISSUE_OUTAGE,
    ISSUE_PROWLARR_UNCONFIGURED,
    LOGGER,
    OUTAGE_MIN_FAILING,
    STATS_WINDOW,
    TEST_CONCURRENCY,
)
from .data import HealRun, IndexerHealth, InstanceHealth
from .heal import (
    Action,
    Decision,
    HealPlan,
    HealSettings,
    IndexerFacts,
    Owned,
    SkipReason,
    plan_heal,
)
from .store import IndexerLedger


@dataclass(kw_only=True, slots=True)
class ArrRuntimeData:
    """What one config entry (one Arr instance) holds while loaded."""

    client: ArrClient
    status: SystemStatus
    health: ArrHealthCoordinator
    heal: ArrHealCoordinator
    ledger: IndexerLedger


type ArrConfigEntry = ConfigEntry[ArrRuntimeData]


def fire_indexer_event(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    event: str,
    indexer: Indexer,
    reason: str | None,
    **extra: object,
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
            **extra,
        },
    )


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
        ledger: IndexerLedger,
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
        self.ledger = ledger
        # Flag writes, numbered, so that a health check that was already running
        # does not show an indexer as it was before a write.
        self._writes_made = 0
        self._written: dict[int, tuple[int, Indexer]] = {}

    @override
    async def _async_update_data(self) -> InstanceHealth:
        previous = self.data.indexers if self.data else {}
        started = self._writes_made
        try:
            indexers = await self.client.indexers()
            results = await self._test(
                [i for i in indexers if i.enabled], TEST_CONCURRENCY
            )
            # Read after the tests, which move the app's back-off and health.
            checks = tuple(await self.client.health())
            blocked, stats, prowlarr_urls = await self._prowlarr_extras()
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
            prowlarr_urls=prowlarr_urls,
        )
        self._remove_stale_devices(set(health.indexers))
        self._fire_transitions(previous, health.indexers)
        return health

    async def _prowlarr_extras(
        self,
    ) -> tuple[dict[int, IndexerStatus], dict[int, IndexerStats], frozenset[str]]:
        """Prowlarr's own back-off, counters and the URLs its apps know it by."""
        status = self.client.status
        if status is None or status.app is not ArrApp.PROWLARR:
            return {}, {}, frozenset()
        blocked = {s.indexer_id: s for s in await self.client.indexer_status()}
        stats = {
            s.indexer_id: s
            for s in await self.client.indexer_stats(
                start=dt_util.utcnow() - STATS_WINDOW
            )
        }
        urls = {self.client.url}
        for application in await self.client.prowlarr_applications():
            if application.prowlarr_url:
                with suppress(ValueError):
                    urls.add(normalize_url(application.prowlarr_url))
        return blocked, stats, frozenset(urls)

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
                self.ledger.forget(indexer_id)

    async def async_test_indexers(self, indexer_ids: Iterable[int]) -> None:
        """Test some indexers now (also disabled ones) and fold in the verdicts.

        The heal run's fresh tests of suspects and of the indexers it disabled.
        Losing the instance raises, as in a health check.
        """
        indexers = [
            self.data.indexers[i].indexer
            for i in indexer_ids
            if i in self.data.indexers
        ]
        results = await self._test(indexers, TEST_CONCURRENCY)
        now = dt_util.utcnow()
        merged = dict(self.data.indexers)
        for indexer in indexers:
            current = merged[indexer.id]
            merged[indexer.id] = _merge(
                current,
                indexer,
                result=results.get(indexer.id),
                blocked=None,
                stats=current.stats,
                now=now,
            )
            # Keep Prowlarr's block as the last health check read it.
            merged[indexer.id] = replace(
                merged[indexer.id], blocked_until=current.blocked_until
            )
        self._fire_transitions(self.data.indexers, merged)
        self.data = replace(self.data, indexers=merged)
        self.async_update_listeners()

    @callback
    def reset_failures(self, indexer_id: int) -> None:
        """Start counting failures afresh (the user turned the indexer back on)."""
        if self.data is not None and indexer_id in self.data.indexers:
            indexers = dict(self.data.indexers)
            indexers[indexer_id] = replace(indexers[indexer_id], consecutive_failures=0)
            self.data = replace(self.data, indexers=indexers)

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
                self.hass, self.config_entry, event, health.indexer, health.message
            )

    async def async_set_indexer_flags(
        self, indexer_id: int, flags: Mapping[str, bool]
    ) -> None:
        """Set an indexer's enable flags and show the change without a test cycle."""
        updated = await self.client.set_indexer_flags(indexer_id, flags)
        self._writes_made += 1
        self._written[indexer_id] = (self._writes_made, updated)
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


class ArrHealCoordinator(DataUpdateCoordinator[HealRun | None]):
    """Every heal interval: fresh tests of suspects and of the indexers it
    disabled, then the heal policy's plan, carried out (or only reported).
    """

    config_entry: ArrConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ArrConfigEntry,
        health: ArrHealthCoordinator,
        ledger: IndexerLedger,
    ) -> None:
        """Set up the coordinator with the interval from the entry's options."""
        minutes = entry.options.get(CONF_HEAL_INTERVAL, DEFAULT_HEAL_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} heal {entry.title}",
            update_interval=timedelta(minutes=minutes),
        )
        self.health = health
        self.ledger = ledger
        self._lock = asyncio.Lock()
        self.data = None

    @property
    def settings(self) -> HealSettings:
        """The heal options."""
        options = self.config_entry.options
        return HealSettings(
            failures_to_disable=options.get(
                CONF_FAILURES_TO_DISABLE, DEFAULT_FAILURES_TO_DISABLE
            ),
            outage_percent=options.get(CONF_OUTAGE_PERCENT, DEFAULT_OUTAGE_PERCENT),
            outage_min_failing=OUTAGE_MIN_FAILING,
        )

    @override
    async def _async_update_data(self) -> HealRun | None:
        if not self.ledger.auto_heal:
            return self.data
        return await self._async_heal(
            dry_run=self.config_entry.options.get(CONF_DRY_RUN, False)
        )

    async def async_heal_now(self, *, dry_run: bool | None = None) -> HealRun:
        """Run the heal now (the button and the action), also with auto-heal off."""
        if dry_run is None:
            dry_run = self.config_entry.options.get(CONF_DRY_RUN, False)
        run = await self._async_heal(dry_run=dry_run)
        self.async_set_updated_data(run)
        return run

    async def _async_heal(self, *, dry_run: bool) -> HealRun:
        async with self._lock:
            reachable = self.health.last_update_success
            if reachable:
                try:
                    await self.health.async_test_indexers(self._to_test())
                except ArrAuthenticationError:
                    self.config_entry.async_start_reauth(self.hass)
                    reachable = False
                except ArrError as err:
                    LOGGER.debug(
                        "%s unreachable during the heal run: %s", self.name, err
                    )
                    reachable = False
            self._release_handed_back()
            plan = plan_heal(
                self._facts() if reachable else [],
                self.ledger.owned,
                self.ledger.holds,
                self.settings,
                reachable=reachable,
            )
            if dry_run:
                for decision in plan.decisions:
                    LOGGER.info(
                        "Dry run for %s: would %s indexer %s (%s)",
                        self.config_entry.title,
                        decision.action,
                        decision.name,
                        decision.reason,
                    )
            else:
                await self._apply(plan)
            self._update_issues(plan)
            return HealRun(at=dt_util.utcnow(), plan=plan, dry_run=dry_run)

    def _to_test(self) -> set[int]:
        """Suspects (enabled and failing) and the indexers the heal run disabled."""
        holds = self.ledger.holds
        suspects = {
            indexer_id
            for indexer_id, health in self.health.data.indexers.items()
            if health.indexer.enabled and health.failing and indexer_id not in holds
        }
        return suspects | (set(self.ledger.owned) - holds)

    def _release_handed_back(self) -> None:
        """A held indexer the user turned back on (anywhere) is handed back."""
        for indexer_id in self.ledger.holds:
            health = self.health.data.indexers.get(indexer_id)
            if health is None or health.indexer.enabled:
                self.ledger.unhold(indexer_id)

    def _facts(self) -> list[IndexerFacts]:
        facts = []
        is_app = self.config_entry.runtime_data.status.app is not ArrApp.PROWLARR
        for health in self.health.data.indexers.values():
            indexer = health.indexer
            link = indexer.prowlarr_link if is_app else None
            prowlarr_indexer_id = None
            source = self._prowlarr_for(link) if link is not None else None
            if (
                link is not None
                and source is not None
                and link.indexer_id in source.runtime_data.health.data.indexers
            ):
                prowlarr_indexer_id = link.indexer_id
            facts.append(
                IndexerFacts(
                    id=indexer.id,
                    name=indexer.name,
                    flags=indexer.flags,
                    consecutive_failures=health.consecutive_failures,
                    passed=health.passed,
                    message=health.message,
                    synced=link is not None,
                    prowlarr_indexer_id=prowlarr_indexer_id,
                )
            )
        return facts

    def _prowlarr_for(self, link: ProwlarrLink) -> ArrConfigEntry | None:
        """The loaded Prowlarr entry a synced indexer comes from, if configured."""
        try:
            url = normalize_url(link.prowlarr_url)
        except ValueError:
            return None
        entries: list[ArrConfigEntry] = self.hass.config_entries.async_loaded_entries(
            DOMAIN
        )
        for entry in entries:
            runtime = entry.runtime_data
            if runtime.status.app is ArrApp.PROWLARR and (
                url in runtime.health.data.prowlarr_urls or url == runtime.client.url
            ):
                return entry
        return None

    async def _apply(self, plan: HealPlan) -> None:
        for indexer_id in plan.released:
            self.ledger.release(indexer_id)
        for decision in plan.decisions:
            try:
                await self._apply_one(decision)
            except ArrError as err:
                LOGGER.warning(
                    "Could not %s indexer %s of %s: %s",
                    decision.action,
                    decision.name,
                    self.config_entry.title,
                    err,
                )

    async def _apply_one(self, decision: Decision) -> None:
        indexer_id = decision.indexer_id
        indexer = self.health.data.indexers[indexer_id].indexer
        if decision.action is Action.DISABLE:
            await self._disable(indexer, decision.reason)
        elif decision.action is Action.ENABLE:
            await self.health.async_set_indexer_flags(indexer_id, decision.flags)
            self.ledger.release(indexer_id)
            fire_indexer_event(
                self.hass, self.config_entry, EVENT_INDEXER_ENABLED, indexer, "passed"
            )
        else:
            link = indexer.prowlarr_link
            source = self._prowlarr_for(link) if link is not None else None
            if source is None or decision.prowlarr_indexer_id is None:
                # Its Prowlarr was unloaded since the plan was made.
                return
            await source.runtime_data.heal.async_disable_for_app(
                decision.prowlarr_indexer_id, self.config_entry.title, decision.reason
            )

    async def _disable(self, indexer: Indexer, reason: str) -> None:
        """Disable an indexer and own it, so that it is put back once it passes."""
        self.ledger.own(
            indexer.id, indexer.name, Owned(flags=indexer.flags, reason=reason)
        )
        try:
            await self.health.async_set_indexer_flags(
                indexer.id, dict.fromkeys(indexer.flags, False)
            )
        except ArrError:
            self.ledger.release(indexer.id)
            raise
        fire_indexer_event(
            self.hass, self.config_entry, EVENT_INDEXER_DISABLED, indexer, reason
        )
        self._update_auto_disabled_issue()

    async def async_disable_for_app(
        self, indexer_id: int, app_title: str, reason: str
    ) -> None:
        """Disable, in this Prowlarr, an indexer that keeps failing in an app."""
        health = self.health.data.indexers.get(indexer_id)
        if (
            health is None
            or not health.indexer.enabled
            or indexer_id in self.ledger.owned
            or indexer_id in self.ledger.holds
        ):
            return
        await self._disable(health.indexer, f"{app_title}: {reason}")

    async def async_reenable_all(self) -> None:
        """Put back every indexer the heal run disabled (the repair's fix)."""
        async with self._lock:
            for indexer_id, owned in self.ledger.owned.items():
                health = self.health.data.indexers.get(indexer_id)
                if health is None:
                    self.ledger.release(indexer_id)
                    continue
                await self.health.async_set_indexer_flags(indexer_id, owned.flags)
                self.ledger.release(indexer_id)
                self.health.reset_failures(indexer_id)
                fire_indexer_event(
                    self.hass,
                    self.config_entry,
                    EVENT_INDEXER_ENABLED,
                    health.indexer,
                    "re-enabled by the user",
                )
            self._update_auto_disabled_issue()

    def _update_issues(self, plan: HealPlan) -> None:
        entry = self.config_entry
        outage_id = f"{ISSUE_OUTAGE}_{entry.entry_id}"
        if plan.outage:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                outage_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_OUTAGE if plan.reachable else "unreachable",
                translation_placeholders={
                    "instance": entry.title,
                    "failing": str(plan.failing),
                    "enabled": str(plan.enabled),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, outage_id)
        unconfigured = plan.skipped_for(SkipReason.NO_PROWLARR)
        prowlarr_id = f"{ISSUE_PROWLARR_UNCONFIGURED}_{entry.entry_id}"
        if unconfigured:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                prowlarr_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_PROWLARR_UNCONFIGURED,
                translation_placeholders={
                    "instance": entry.title,
                    "indexers": _bullets(s.name for s in unconfigured),
                },
            )
        elif plan.reachable:
            ir.async_delete_issue(self.hass, DOMAIN, prowlarr_id)
        self._update_auto_disabled_issue()

    def _update_auto_disabled_issue(self) -> None:
        entry = self.config_entry
        issue_id = f"{ISSUE_AUTO_DISABLED}_{entry.entry_id}"
        owned = self.ledger.owned
        if not owned:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_AUTO_DISABLED,
            translation_placeholders={
                "instance": entry.title,
                "indexers": _bullets(
                    f"{self.ledger.name_of(i)}: {o.reason}" for i, o in owned.items()
                ),
            },
            data={"entry_id": entry.entry_id},
        )


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
