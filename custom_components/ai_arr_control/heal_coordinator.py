"""Heal runs: the coordinator that disables what keeps failing and puts it back.

Every heal interval it re-tests (from a fresh read) the indexers it may act on
and those it disabled, asks the pure policy in ``heal.py`` for a plan, carries
it out through the one write path (``control.py``) and keeps the repairs issues
in line. Who decides about a synced copy comes from the stack (``stack.py``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import override

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .arr import ArrAuthenticationError, ArrError, Cause
from .const import (
    CONF_DRY_RUN,
    CONF_FAILURES_TO_DISABLE,
    CONF_HEAL_INTERVAL,
    CONF_OUTAGE_PERCENT,
    DEFAULT_FAILURES_TO_DISABLE,
    DEFAULT_HEAL_INTERVAL,
    DEFAULT_OUTAGE_PERCENT,
    DOMAIN,
    LOGGER,
    OUTAGE_MIN_FAILING,
)
from .control import IndexerControl
from .coordinator import ArrConfigEntry, ArrHealthCoordinator
from .data import HealRun
from .evidence import Check
from .heal import (
    Action,
    Decision,
    HealPlan,
    HealSettings,
    IndexerFacts,
    Route,
    plan_heal,
    policy_of,
)
from .issues import InstanceIssues, VipExpiry


class ArrHealCoordinator(DataUpdateCoordinator[HealRun | None]):
    """Every heal interval: fresh tests, the heal policy's plan, carried out."""

    config_entry: ArrConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ArrConfigEntry,
        health: ArrHealthCoordinator,
        control: IndexerControl,
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
        self.control = control
        self.ledger = control.ledger
        self.stack = control.stack
        self.issues = InstanceIssues(hass, entry.entry_id, entry.title)
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

    @property
    def dry_run_option(self) -> bool:
        """Whether the entry's options say to decide and report only."""
        return bool(self.config_entry.options.get(CONF_DRY_RUN, False))

    @override
    async def _async_update_data(self) -> HealRun | None:
        if not self.ledger.auto_heal:
            return self.data
        return await self._async_heal(dry_run=self.dry_run_option)

    async def async_heal_now(self, *, dry_run: bool | None = None) -> HealRun:
        """Run the heal now (the button and the action), also with auto-heal off.

        ``dry_run`` None follows the entry's Dry run option. An instance that
        cannot be reached is the user's error: nothing was healed.
        """
        run = await self._async_heal(
            dry_run=self.dry_run_option if dry_run is None else dry_run
        )
        self.async_set_updated_data(run)
        if not run.plan.reachable:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="heal_unreachable",
                translation_placeholders={"instance": self.config_entry.title},
            )
        return run

    async def _async_heal(self, *, dry_run: bool) -> HealRun:
        async with self._lock:
            reachable = self.health.last_update_success
            if reachable:
                try:
                    await self.health.async_retest(self._to_test(), confirm=True)
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
                self.facts() if reachable else [],
                self.ledger.owned,
                self.ledger.holds,
                self.settings,
                reachable=reachable,
            )
            # Releases only forget what no longer holds, so even a dry run
            # applies them: otherwise a later run might override the user.
            for indexer_id in plan.released:
                self.ledger.release(indexer_id)
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
            self._update_issues(plan, create_outage=True)
            return HealRun(at=dt_util.utcnow(), plan=plan, dry_run=dry_run)

    @callback
    def async_health_updated(self) -> None:
        """After each health check: issues appear and clear without waiting.

        Recomputes the plan (pure, no tests, nothing carried out) from what the
        check found. It never raises the outage issue (only a heal run that held
        back does), but clears it once the check no longer sees an outage.
        """
        if not self.health.last_update_success or self.health.data is None:
            return
        plan = plan_heal(
            self.facts(), self.ledger.owned, self.ledger.holds, self.settings
        )
        self._update_issues(plan, create_outage=False)

    def _to_test(self) -> set[int]:
        """What the plan may act on: suspects this instance decides, and the
        indexers auto-heal disabled (to put them back once they pass)."""
        holds = self.ledger.holds
        now = dt_util.utcnow()
        suspects = set()
        for indexer_id, health in self.health.data.indexers.items():
            if (
                not health.indexer.enabled
                or not health.failing
                or indexer_id in holds
                or health.paused(now)
                or not policy_of(health.cause).disables
                or health.at_source
            ):
                continue
            route, _ = self.stack.route_of(self.config_entry.entry_id, health.indexer)
            if route in (Route.DIRECT, Route.APP):
                suspects.add(indexer_id)
        return suspects | (set(self.ledger.owned) - holds)

    def _release_handed_back(self) -> None:
        """A held indexer the user turned back on in the app is handed back.

        Not a Full Sync copy: there Prowlarr turns it back on, not the user.
        """
        for indexer_id in self.ledger.holds:
            health = self.health.data.indexers.get(indexer_id)
            if health is None:
                self.ledger.unhold(indexer_id)
                continue
            route, _ = self.stack.route_of(self.config_entry.entry_id, health.indexer)
            if health.indexer.enabled and route not in (
                Route.SOURCE,
                Route.UNKNOWN_SOURCE,
            ):
                self.ledger.unhold(indexer_id)

    def facts(self) -> list[IndexerFacts]:
        """What the heal policy is told about each indexer, as of now."""
        now = dt_util.utcnow()
        facts = []
        for health in self.health.data.indexers.values():
            indexer = health.indexer
            route, source = self.stack.route_of(self.config_entry.entry_id, indexer)
            facts.append(
                IndexerFacts(
                    id=indexer.id,
                    name=indexer.name,
                    flags=indexer.flags,
                    consecutive_failures=health.consecutive_failures,
                    strikes=health.strikes,
                    passed=health.passed,
                    message=health.message,
                    cause=health.cause,
                    setting=health.setting,
                    route=route,
                    source_failing=source.source_failing(now) if source else None,
                    # A source's failure seen through Prowlarr is Prowlarr's
                    # view, not this app's own.
                    borrowed=health.checked_by is Check.SOURCE or health.at_source,
                    at_source=health.at_source,
                )
            )
        return facts

    def _source_titles(self) -> dict[int, str]:
        """The Prowlarr each synced copy comes from, by copy id."""
        titles: dict[int, str] = {}
        for health in self.health.data.indexers.values():
            _, source = self.stack.route_of(self.config_entry.entry_id, health.indexer)
            if source is not None:
                titles[health.indexer.id] = source.prowlarr_title
        return titles

    async def _apply(self, plan: HealPlan) -> None:
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
        if decision.action is Action.DISABLE:
            await self.control.async_disable(
                decision.indexer_id, reason=decision.reason, cause=decision.cause
            )
        else:
            await self.control.async_restore(decision.indexer_id, reason="passed")

    async def async_reenable_all(self) -> None:
        """Put back every indexer the heal run disabled (the repair's fix)."""
        async with self._lock:
            for indexer_id in list(self.ledger.owned):
                await self.control.async_restore(
                    indexer_id, reason="re-enabled by the user", code="user"
                )
            self.issues.update_auto_disabled(self.ledger)

    def _update_issues(self, plan: HealPlan, *, create_outage: bool) -> None:
        self.issues.update_from_plan(
            plan, source_titles=self._source_titles(), create_outage=create_outage
        )
        self.issues.update_auto_disabled(self.ledger)
        self.issues.update_vip(
            (
                VipExpiry(
                    indexer_id=health.indexer.id,
                    name=health.indexer.name,
                    expires=expires,
                    failing_auth=health.failing is True and health.cause is Cause.AUTH,
                )
                for health in self.health.data.indexers.values()
                if (expires := health.indexer.vip_expiration) is not None
            ),
            dt_util.now().date(),
        )
