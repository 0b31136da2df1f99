"""Health checks: the coordinator that tests an instance's indexers.

Also home of the entry's runtime data. The heal runs live in
``heal_coordinator.py``, the one write path in ``control.py``, and what links
the instances in ``stack.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, override

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later
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
    HealthCheck,
    HistoryRecord,
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
    CONF_APP,
    CONF_HEALTH_INTERVAL,
    CONF_QUERY_RESERVE,
    DEFAULT_HEALTH_INTERVAL,
    DEFAULT_QUERY_RESERVE,
    DOMAIN,
    EVENT_INDEXER_FAILED,
    EVENT_INDEXER_RECOVERED,
    HISTORY_WINDOW,
    LOGGER,
    PUSH_DEBOUNCE,
    STATS_WINDOW,
    TEST_CONCURRENCY,
)
from .data import (
    IndexerHealth,
    IndexerState,
    InstanceHealth,
    indexer_state,
    merge_indexer,
)
from .evidence import (
    ALL_SOURCES,
    Check,
    IndexerEvidence,
    ProwlarrView,
    blocked_in_health,
    failed_at_source,
    no_results,
    plan_check,
    prowlarr_view,
)
from .store import IndexerLedger

if TYPE_CHECKING:
    from .control import IndexerControl
    from .heal_coordinator import ArrHealCoordinator
    from .push import ArrPush
    from .stack import ArrStack, SourceLink


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
    push: ArrPush


type ArrConfigEntry = ConfigEntry[ArrRuntimeData]


def fire_indexer_event(
    hass: HomeAssistant,
    entry: ArrConfigEntry,
    event: str,
    indexer: Indexer,
    reason: str | None,
    *,
    code: str,
    cause: Cause | None = None,
) -> None:
    """Fire one of the integration's indexer events, for automations and the
    logbook (which shows it on the indexer's device page, by ``device_id``).

    ``reason`` is for people (often the app's own text); ``code`` and ``cause``
    are for automations.
    """
    device = dr.async_get(hass).async_get_child_device_by_identifier(
        indexer_identifier(entry.entry_id, indexer.id), entry.entry_id
    )
    hass.bus.async_fire(
        event,
        {
            "config_entry_id": entry.entry_id,
            "device_id": device.id if device else None,
            "instance": entry.title,
            "indexer_id": indexer.id,
            "indexer": indexer.name,
            "code": code,
            "reason": reason,
            "cause": cause.value if cause is not None else None,
        },
    )


def indexer_identifier(entry_id: str, indexer_id: int) -> tuple[str, str]:
    """The device registry identifier of an indexer (a child of its instance)."""
    return (DOMAIN, f"{entry_id}_indexer_{indexer_id}")


type TestOutcome = IndexerTestResult | ArrError


def _settings(indexer: Indexer) -> tuple[object, ...]:
    """What a test of an indexer depends on (not its enable flags)."""
    return (indexer.implementation, indexer.resource.get("fields"))


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
        *,
        stack: ArrStack,
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
        self.stack = stack
        self._testing = asyncio.Lock()
        # Prowlarr: its history over the last day, read on at each check.
        self._history: dict[int, HistoryRecord] = {}
        self._history_read: datetime | None = None
        self._last_view = ProwlarrView()
        # Test rounds finished, and the last round that tested each indexer.
        self._rounds = 0
        self._tested_in: dict[int, int] = {}
        # Indexers to check soon (the app's health named them), and the rounds
        # finished when each was asked for.
        self._requested: dict[int, int] = {}
        self._requested_timer: CALLBACK_TYPE | None = None
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

    @property
    def today(self) -> str:
        """Today's date where Home Assistant is (our tests are counted per day)."""
        return dt_util.now().date().isoformat()

    def owns(self, indexer_id: int) -> bool:
        """Whether auto-heal disabled this indexer."""
        return indexer_id in self.config_entry.runtime_data.ledger.owned

    def indexer_state(self, indexer_id: int) -> IndexerState:
        """Where one indexer stands. A copy Full Sync turned off because
        auto-heal disabled its Prowlarr indexer is auto-disabled too."""
        health = self.data.indexers[indexer_id]
        auto = self.owns(indexer_id)
        if not auto and not health.indexer.enabled:
            source = self.stack.source_of(self.entry_id, health.indexer)
            auto = (
                source is not None
                and source.health is not None
                and not source.health.indexer.enabled
                and self.stack.owns(source.prowlarr_entry_id, source.indexer_id)
            )
        return indexer_state(health, auto_disabled=auto)

    def states(self) -> list[IndexerState]:
        """Every indexer's state."""
        return [self.indexer_state(i) for i in self.data.indexers]

    def tests_today(self) -> dict[int, int]:
        """Our own tests per indexer today."""
        return self.config_entry.runtime_data.ledger.tests_on(self.today)

    # -- health checks -----------------------------------------------------------

    @override
    async def _async_update_data(self) -> InstanceHealth:
        try:
            async with self._testing:
                # Read once a running re-test is over: what it found is news.
                previous = self.data.indexers if self.data else {}
                last_checked = self.data.last_checked if self.data else None
                started = self._writes_made
                indexers = await self.client.indexers()
                now = dt_util.utcnow()
                prowlarr = await self._prowlarr_view(indexers, now)
                # What the app says of the copies it blocks, before testing.
                before = await self._health_before_tests(indexers)
                sources = await self._source_views(indexers)
                plan = self._plan(
                    indexers,
                    previous,
                    prowlarr,
                    checks=before,
                    last_checked=last_checked,
                    now=now,
                    sources=sources,
                )
                tested = [i for i in indexers if plan.get(i.id) is Check.TEST]
                outcomes = await self._test(tested)
                at_source = await self._failed_at_source(tested, outcomes, sources)
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

        self._last_view = prowlarr
        # A write made while this check ran is newer than the list it read.
        indexers = [
            self._written[i.id][1]
            if i.id in self._written and self._written[i.id][0] > started
            else i
            for i in indexers
        ]
        self._written.clear()
        now = dt_util.utcnow()
        merged: dict[int, IndexerHealth] = {}
        for indexer in indexers:
            check = plan.get(indexer.id)
            health = merge_indexer(
                previous.get(indexer.id),
                indexer,
                verdict=self._verdict_for(
                    check,
                    outcomes.get(indexer.id),
                    indexer,
                    previous.get(indexer.id),
                    at_source=indexer.id in at_source,
                ),
                blocked=blocked.get(indexer.id),
                stats=stats.get(indexer.id),
                now=now,
            )
            merged[indexer.id] = replace(
                health,
                queries=prowlarr.queries.get(indexer.id),
                grabs=prowlarr.grabs.get(indexer.id),
                traffic=prowlarr.traffic.get(indexer.id, {}),
                checked_by=check if check is not None else health.checked_by,
            )
        instance = InstanceHealth(
            indexers=merged,
            checks=checks,
            last_checked=now,
            applications=applications,
        )
        self._remove_stale_devices(set(instance.indexers))
        self._release_turned_on(merged)
        self._fire_transitions(previous, instance.indexers)
        return instance

    def _release_turned_on(self, indexers: Mapping[int, IndexerHealth]) -> None:
        """Forget what auto-heal owns but the app has on: the user turned it on
        in the app, or our disable never reached it (Home Assistant stopped while
        it was on its way). Not while a write to it is running."""
        ledger = self.config_entry.runtime_data.ledger
        for indexer_id in list(ledger.owned):
            health = indexers.get(indexer_id)
            if (
                health is not None
                and health.indexer.enabled
                and not self.stack.lock(self.entry_id, indexer_id).locked()
            ):
                ledger.release(indexer_id)

    async def _prowlarr_view(
        self, indexers: list[Indexer], now: datetime
    ) -> ProwlarrView:
        """Prowlarr: its history, read on from where the last check stopped, and
        from it each indexer's real traffic and what is left of its limits."""
        if self.status.app is not ArrApp.PROWLARR:
            return ProwlarrView()
        since = self._history_read or now - HISTORY_WINDOW
        try:
            records = await self.client.history_since(since)
        except ArrNotFoundError:
            # A Prowlarr without /history/since: every indexer is tested.
            if self._history_read is None:
                LOGGER.info(
                    "%s has no history/since: no real-traffic evidence", self.title
                )
            self._history_read = now
            return ProwlarrView()
        for record in records:
            self._history[record.id] = record
        cutoff = now - HISTORY_WINDOW
        self._history = {i: r for i, r in self._history.items() if r.date >= cutoff}
        self._history_read = now
        return prowlarr_view(indexers, self._history.values(), now)

    async def _health_before_tests(
        self, indexers: list[Indexer]
    ) -> tuple[HealthCheck, ...]:
        """The app's health, when the plan depends on it: copies whose verdict
        comes from it."""
        if self.status.app is ArrApp.PROWLARR or not any(
            self.stack.source_of(self.entry_id, i) for i in indexers if i.enabled
        ):
            return ()
        return tuple(await self.client.health())

    async def _source_views(
        self, indexers: Iterable[Indexer]
    ) -> dict[str, ProwlarrView]:
        """Per configured Prowlarr this app's copies come from: its history read
        on to this moment (no query to any site), so that the copies' real
        traffic and their sources' budgets are current, whichever instance
        checks first."""
        views: dict[str, ProwlarrView] = {}
        for indexer in indexers:
            if not indexer.enabled:
                continue
            source = self.stack.source_of(self.entry_id, indexer)
            if source is None or source.prowlarr_entry_id in views:
                continue
            view = await self.stack.async_prowlarr_view(source.prowlarr_entry_id)
            if view is not None:
                views[source.prowlarr_entry_id] = view
        return views

    async def async_fresh_view(self) -> ProwlarrView | None:
        """Prowlarr: its history read on to now, as traffic and budgets."""
        if self.app is not ArrApp.PROWLARR or self.data is None:
            return None
        indexers = [h.indexer for h in self.data.indexers.values()]
        try:
            return await self._prowlarr_view(indexers, dt_util.utcnow())
        except ArrError as err:
            LOGGER.debug("%s: history not read: %s", self.title, err)
            return None

    def _plan(
        self,
        indexers: Iterable[Indexer],
        previous: Mapping[int, IndexerHealth],
        prowlarr: ProwlarrView,
        *,
        checks: tuple[HealthCheck, ...],
        last_checked: datetime | None,
        now: datetime,
        sources: Mapping[str, ProwlarrView],
        include_disabled: bool = False,
        confirm: bool = False,
    ) -> dict[int, Check]:
        """What to do about each indexer: test it, or trust other evidence.

        ``sources``: the copies' Prowlarrs' fresh views; ``confirm``: the heal
        run confirms its suspects.
        """
        reserve = self.config_entry.options.get(
            CONF_QUERY_RESERVE, DEFAULT_QUERY_RESERVE
        )
        blocked_names = blocked_in_health(checks)
        plan: dict[int, Check] = {}
        for indexer in indexers:
            if not (indexer.enabled or include_disabled):
                continue
            before = previous.get(indexer.id)
            source = self.stack.source_of(self.entry_id, indexer)
            if source is None and not previous and self._prowlarr_loading(indexer):
                # Start-up: its Prowlarr is configured but not loaded yet, and
                # will answer for the copy; a test now would cost a query.
                plan[indexer.id] = Check.SKIP
                continue
            if source is not None:
                view = sources.get(source.prowlarr_entry_id)
                if view is not None:
                    traffic = view.traffic.get(source.indexer_id, {}).get(
                        self.status.app.value
                    )
                    queries = view.queries.get(source.indexer_id)
                else:
                    traffic = (
                        source.health.traffic.get(self.status.app.value)
                        if source.health
                        else None
                    )
                    queries = source.health.queries if source.health else None
            else:
                traffic = prowlarr.traffic.get(indexer.id, {}).get(ALL_SOURCES)
                queries = prowlarr.queries.get(indexer.id)
            plan[indexer.id] = plan_check(
                IndexerEvidence(
                    enabled=indexer.enabled,
                    paused=before is not None and before.paused(now),
                    queries=queries,
                    traffic=traffic,
                    last_checked=last_checked,
                    source_failing=source.source_failing(now) if source else None,
                    is_copy_of_known_source=source is not None,
                    named_in_health=indexer.name in blocked_names,
                    suspect_tested=before is not None
                    and before.checked_by in (Check.TEST, Check.BLOCKED, Check.SKIP),
                    app_failing=before is not None and before.passed is False,
                    warned=before is not None
                    and before.passed is True
                    and before.warning is not None,
                    last_tested=before.last_tested if before else None,
                    settings_changed=before is not None
                    and _settings(before.indexer) != _settings(indexer),
                ),
                reserve_percent=reserve,
                now=now,
                confirm=confirm,
            )
        return plan

    def _prowlarr_loading(self, indexer: Indexer) -> bool:
        """Whether a copy's Prowlarr is configured here but still loading."""
        if indexer.prowlarr_link is None or self.status.app is ArrApp.PROWLARR:
            return False
        return any(
            entry.data.get(CONF_APP) == ArrApp.PROWLARR.value
            and entry.state
            in (ConfigEntryState.NOT_LOADED, ConfigEntryState.SETUP_IN_PROGRESS)
            and not entry.disabled_by
            and not self.stack.has_health(entry.entry_id)
            for entry in self.hass.config_entries.async_entries(DOMAIN)
        )

    def _verdict_for(
        self,
        check: Check | None,
        outcome: TestOutcome | None,
        indexer: Indexer,
        previous: IndexerHealth | None,
        *,
        at_source: bool = False,
    ) -> TestVerdict | None:
        """The verdict of a check: its test's, or the evidence's.

        ``at_source``: a copy's test failed at the site behind Prowlarr (see
        ``_failed_at_source``).
        """
        if check is Check.TRAFFIC:
            return TestVerdict(passed=True, tested=False)
        if check is Check.BLOCKED:
            if previous is None or previous.passed is not False:
                return None
            return TestVerdict(
                passed=False,
                message=previous.message,
                cause=previous.cause,
                setting=previous.setting,
                tested=False,
                at_source=previous.at_source,
            )
        if check in (Check.SOURCE, Check.LIMIT):
            source = self.stack.source_of(self.entry_id, indexer)
            if source is None:
                return None
            return (
                source.limit_verdict()
                if check is Check.LIMIT
                else source.copy_verdict()
            )
        verdict = self._verdict(outcome, indexer)
        if at_source and verdict is not None:
            source = self.stack.source_of(self.entry_id, indexer)
            if source is not None:
                return source.site_failure_verdict(verdict)
        return verdict

    async def _failed_at_source(
        self,
        tested: Iterable[Indexer],
        outcomes: Mapping[int, TestOutcome],
        sources: Mapping[str, ProwlarrView],
    ) -> set[int]:
        """The copies whose test just failed with "no results in the configured
        categories" because the site behind Prowlarr failed, not a setting:
        Prowlarr's history, read again, shows this app's query of the source
        failed since the plan's read (``evidence.failed_at_source``).

        Reading it costs one request to each such Prowlarr and no site query;
        it only follows the test of a suspect copy, once per episode.
        """
        app = self.status.app.value
        suspects: dict[int, tuple[SourceLink, TestVerdict]] = {}
        for indexer in tested:
            outcome = outcomes.get(indexer.id)
            source = self.stack.source_of(self.entry_id, indexer)
            verdict = self._verdict(outcome, indexer)
            if source is not None and verdict is not None and no_results(verdict):
                suspects[indexer.id] = (source, verdict)
        found: set[int] = set()
        after: dict[str, ProwlarrView | None] = {}
        for indexer_id, (source, verdict) in suspects.items():
            prowlarr_id = source.prowlarr_entry_id
            if prowlarr_id not in after:
                after[prowlarr_id] = await self.stack.async_prowlarr_view(prowlarr_id)
            # Without both reads, what is new in the history is not known.
            view, before = after[prowlarr_id], sources.get(prowlarr_id)
            if (
                view is not None
                and before is not None
                and failed_at_source(
                    verdict,
                    before.traffic.get(source.indexer_id, {}).get(app),
                    view.traffic.get(source.indexer_id, {}).get(app),
                )
            ):
                found.add(indexer_id)
        return found

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
        if indexers:
            self.config_entry.runtime_data.ledger.count_tests(
                (i.id for i in indexers), self.today
            )

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
        self._rounds += 1
        for indexer in indexers:
            self._tested_in[indexer.id] = self._rounds
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

    async def async_retest(
        self, indexer_ids: Iterable[int], *, confirm: bool = False
    ) -> None:
        """Read some indexers afresh and check exactly that (also disabled ones).

        The heal run's checks of suspects and of the indexers it disabled. The
        apps test the settings in the request, so a setting the user fixed since
        the last health check is what gets tested. Evidence stands in for a test
        as in a health check (a copy's source, real traffic). An indexer deleted
        meanwhile is dropped. Losing the instance raises, as in a health check.
        ``confirm``: the heal run's check (see ``plan_check``).
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
            now = dt_util.utcnow()
            checks = self.data.checks
            sources = await self._source_views(fresh)
            plan = self._plan(
                fresh,
                self.data.indexers,
                self._last_view,
                checks=checks,
                last_checked=self.data.last_checked,
                now=now,
                sources=sources,
                include_disabled=True,
                confirm=confirm,
            )
            to_test = [i for i in fresh if plan.get(i.id) is Check.TEST]
            outcomes = await self._test(to_test)
            at_source = await self._failed_at_source(to_test, outcomes, sources)
        now = dt_util.utcnow()
        merged = dict(self.data.indexers)
        for indexer_id in gone:
            merged.pop(indexer_id, None)
        for tested in fresh:
            written = self._written.get(tested.id)
            # A write made while the test ran is newer than the read.
            current = written[1] if written and written[0] > started else tested
            check = plan.get(tested.id)
            merged[tested.id] = replace(
                merge_indexer(
                    merged.get(tested.id),
                    current,
                    verdict=self._verdict_for(
                        check,
                        outcomes.get(tested.id),
                        tested,
                        merged.get(tested.id),
                        at_source=tested.id in at_source,
                    ),
                    now=now,
                    keep_prowlarr=True,
                ),
                checked_by=check,
            )
        self._fire_transitions(self.data.indexers, merged)
        self.data = replace(self.data, indexers=merged)
        self.async_update_listeners()

    async def async_check_now(self) -> None:
        """A health check the user asked for (button, action): a failure is
        raised as a translated error rather than only logged."""
        await self.async_refresh()
        if self.last_update_success:
            return
        err = self.last_exception
        if isinstance(err, ConfigEntryAuthFailed):
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        cause = err.__cause__ if err is not None and err.__cause__ else err
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="update_failed",
            translation_placeholders={"error": str(cause)},
        ) from err

    # -- checks pushed by the apps ----------------------------------------------

    @callback
    def apply_pushed_check(self, check: HealthCheck, *, restored: bool) -> None:
        """A health event the app pushed: its Health follows at once."""
        checks = [c for c in self.data.checks if c.source != check.source]
        if not restored:
            checks.append(check)
        self.apply_health(tuple(checks))

    async def async_watch_health(self, _: datetime | None = None) -> None:
        """Read the app's health between checks (no query to any site).

        The apps push only a check that starts or stops failing: an indexer
        added to "Indexers unavailable due to failures" while another is
        already named is news that only reading the health shows.
        """
        if self.data is None or not self.last_update_success or self._testing.locked():
            return
        try:
            checks = tuple(await self.client.health())
        except ArrError as err:
            LOGGER.debug("%s: health not read: %s", self.title, err)
            return
        self.apply_health(checks)

    @callback
    def apply_health(self, checks: tuple[HealthCheck, ...]) -> None:
        """Show the app's health now, and check soon the indexers it has news
        about: newly blocked while they pass here, or no longer blocked while
        they fail here. For a copy of a configured Prowlarr, Prowlarr checks its
        indexer, then the copies follow (as in a health check).
        """
        before = blocked_in_health(self.data.checks)
        after = blocked_in_health(checks)
        self.data = replace(self.data, checks=checks)
        self.async_update_listeners()
        ids: list[int] = []
        for health in self.data.indexers.values():
            indexer = health.indexer
            if not indexer.enabled or health.passed is None:
                continue
            named = indexer.name in after
            if named == (indexer.name in before) or named != health.passed:
                continue
            source = self.stack.source_of(self.entry_id, indexer)
            if source is None:
                ids.append(indexer.id)
            else:
                # Prowlarr checks its indexer first; its copies follow.
                self.stack.request_check(source.prowlarr_entry_id, [source.indexer_id])
        self.request_check(ids)

    @callback
    def request_check(self, indexer_ids: Iterable[int]) -> None:
        """Check these indexers soon: requests within a few seconds are one check."""
        for indexer_id in indexer_ids:
            self._requested.setdefault(indexer_id, self._rounds)
        if not self._requested or self._requested_timer is not None:
            return
        self._requested_timer = async_call_later(
            self.hass, PUSH_DEBOUNCE, self._requested_check_due
        )

    @callback
    def _requested_check_due(self, _: datetime) -> None:
        self._requested_timer = None
        requested, self._requested = self._requested, {}
        self.config_entry.async_create_background_task(
            self.hass, self._run_requested_check(requested), f"{self.name} pushed check"
        )

    async def _run_requested_check(self, requested: Mapping[int, int]) -> None:
        """Check what was asked for, once the running check (if any) is over;
        an indexer tested in a round that ended after it was asked for (its
        test was running then) is not tested again."""
        async with self._testing:
            pass
        ids = {
            indexer_id
            for indexer_id, rounds in requested.items()
            if indexer_id in self.data.indexers
            and self._tested_in.get(indexer_id, 0) <= rounds
        }
        try:
            if ids:
                await self.async_retest(ids)
        except ArrError as err:
            LOGGER.debug("%s: a pushed check failed: %s", self.title, err)
        if self.app is ArrApp.PROWLARR:
            # The apps' copies take the fresh verdict (a copy this app blocks
            # while Prowlarr passes it is a suspect, tested there).
            self.stack.request_copies_check(self.entry_id, requested)

    @callback
    def joined_stack(self) -> None:
        """Just registered with the stack: copies take their configured
        Prowlarr's verdict within seconds (no test), not at the next check."""
        if self.app is ArrApp.PROWLARR:
            self.stack.request_copies_check(self.entry_id, list(self.data.indexers))
            return
        self.request_check(
            health.indexer.id
            for health in self.data.indexers.values()
            if health.indexer.enabled
            and health.passed is None
            and self.stack.source_of(self.entry_id, health.indexer) is not None
        )

    @callback
    def cancel_requested_check(self) -> None:
        """Forget a pending check (the entry unloads)."""
        if self._requested_timer is not None:
            self._requested_timer()
            self._requested_timer = None

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
        if self.app is ArrApp.PROWLARR:
            # Full Sync carries the change into the apps at once: their copies
            # are read again within seconds (no test), not at their next check.
            self.stack.request_copies_check(self.entry_id, [indexer_id])
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
                event, code = EVENT_INDEXER_FAILED, "failing"
            elif not previous.passed and health.passed:
                event, code = EVENT_INDEXER_RECOVERED, "passing"
            else:
                continue
            fire_indexer_event(
                self.hass,
                self.config_entry,
                event,
                health.indexer,
                health.message,
                code=code,
                cause=health.cause,
            )
