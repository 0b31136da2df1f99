"""The one write path of an instance: every change of an indexer's enable flags.

Auto-heal, the switches and the repairs fix all come here. Each write holds that
indexer's lock (from the stack) and starts from a fresh read, so two writers
never interleave, the flags kept for restoring are the indexer's real ones, and
an indexer that is already off is never owned again with off flags.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .arr import ArrNotFoundError, Cause, Indexer
from .const import DOMAIN, EVENT_INDEXER_DISABLED, EVENT_INDEXER_ENABLED, LOGGER
from .coordinator import ArrConfigEntry, ArrHealthCoordinator, fire_indexer_event
from .heal import Owned, Route
from .stack import ArrStack
from .store import IndexerLedger


class IndexerControl:
    """Writes to one instance's indexers."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ArrConfigEntry,
        health: ArrHealthCoordinator,
        ledger: IndexerLedger,
        stack: ArrStack,
    ) -> None:
        """Bind the write path to the instance's coordinator and ledger."""
        self.hass = hass
        self.entry = entry
        self.client = health.client
        self.health = health
        self.ledger = ledger
        self.stack = stack

    def _lock(self, indexer_id: int) -> asyncio.Lock:
        return self.stack.lock(self.entry.entry_id, indexer_id)

    async def _read(self, indexer_id: int) -> Indexer | None:
        """The indexer as the app has it now; None (and forgotten) if deleted."""
        try:
            return await self.client.indexer(indexer_id)
        except ArrNotFoundError:
            LOGGER.debug("Indexer %s of %s is gone", indexer_id, self.entry.title)
            self.ledger.forget(indexer_id)
            return None

    # -- auto-heal ---------------------------------------------------------------

    async def async_disable(
        self, indexer_id: int, *, reason: str, cause: Cause | None
    ) -> bool:
        """Disable an indexer that keeps failing, owning it to put it back later.

        Returns False when there was nothing to do: deleted, already off, held by
        the user, or already owned.
        """
        async with self._lock(indexer_id):
            if indexer_id in self.ledger.owned or indexer_id in self.ledger.holds:
                return False
            current = await self._read(indexer_id)
            if current is None or not current.enabled:
                return False
            self.ledger.own(
                indexer_id,
                current.name,
                Owned(
                    flags=dict(current.flags),
                    reason=reason,
                    cause=cause,
                    disabled_at=dt_util.utcnow(),
                ),
            )
            try:
                await self.health.async_set_indexer_flags(
                    indexer_id, dict.fromkeys(current.flags, False)
                )
            except Exception:
                self.ledger.release(indexer_id)
                raise
        fire_indexer_event(
            self.hass,
            self.entry,
            EVENT_INDEXER_DISABLED,
            current,
            reason,
            code="kept_failing",
            cause=cause,
        )
        return True

    async def async_restore(
        self, indexer_id: int, *, reason: str, code: str = "passed"
    ) -> bool:
        """Put back an indexer auto-heal disabled, with exactly the flags it had.

        Returns False when auto-heal no longer owns it (deleted, or the user
        turned it back on meanwhile: then it is just released).
        """
        async with self._lock(indexer_id):
            owned = self.ledger.owned.get(indexer_id)
            if owned is None:
                return False
            current = await self._read(indexer_id)
            if current is None:
                return False
            if current.enabled:
                self.ledger.release(indexer_id)
                return False
            # A ledger from before the flags were read afresh may hold all-off
            # flags; then "on" means what the indexer supports.
            flags = (
                dict(owned.flags)
                if any(owned.flags.values())
                else current.all_on_flags()
            )
            updated = await self.health.async_set_indexer_flags(indexer_id, flags)
            self.ledger.release(indexer_id)
            self.health.reset_failures(indexer_id)
        fire_indexer_event(
            self.hass,
            self.entry,
            EVENT_INDEXER_ENABLED,
            updated,
            reason,
            code=code,
            cause=owned.cause,
        )
        return True

    # -- the user's switch -------------------------------------------------------

    def user_may_switch(self, indexer: Indexer) -> bool:
        """Whether the user's switch of an indexer lasts (see below)."""
        route, _ = self.stack.route_of(self.entry.entry_id, indexer)
        return route not in (Route.SOURCE, Route.UNKNOWN_SOURCE)

    def check_user_may_switch(self, indexer: Indexer) -> None:
        """Refuse to switch a synced copy where the change would not last.

        Under Full Sync, Prowlarr puts its own enable state back into the copy on
        every update of the indexer and every 6 hours; without its Prowlarr in
        Home Assistant, the sync level is unknown.
        """
        route, source = self.stack.route_of(self.entry.entry_id, indexer)
        if route is Route.SOURCE and source is not None:
            name = (
                source.health.indexer.name
                if source.health is not None
                else str(source.indexer_id)
            )
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="switch_full_sync",
                translation_placeholders={
                    "indexer": indexer.name,
                    "instance": self.entry.title,
                    "prowlarr": source.prowlarr_title,
                    "prowlarr_indexer": name,
                },
            )
        if route is Route.UNKNOWN_SOURCE:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="switch_unknown_source",
                translation_placeholders={
                    "indexer": indexer.name,
                    "instance": self.entry.title,
                },
            )

    async def async_user_off(self, indexer_id: int) -> None:
        """The user turns an indexer off: hold it, remember the flags it had."""
        async with self._lock(indexer_id):
            current = await self._read(indexer_id)
            if current is None:
                return
            owned = self.ledger.owned.get(indexer_id)
            remember = (
                owned.flags if owned else (current.flags if current.enabled else None)
            )
            if current.enabled:
                await self.health.async_set_indexer_flags(
                    indexer_id, dict.fromkeys(current.flags, False)
                )
            self.ledger.release(indexer_id)
            if remember is not None:
                self.ledger.remember(indexer_id, remember)
            self.ledger.hold(indexer_id)

    def flags_for_on(self, indexer: Indexer) -> dict[str, bool]:
        """The flags turning an indexer on gives it: those auto-heal keeps for
        it, else those it had before the user turned it off, else every flag
        its implementation supports."""
        owned = self.ledger.owned.get(indexer.id)
        return (
            (dict(owned.flags) if owned else None)
            or self.ledger.flags_before_off(indexer.id)
            or indexer.all_on_flags()
        )

    async def async_user_on(self, indexer_id: int) -> None:
        """The user turns an indexer on: the flags it had, handed back to auto-heal."""
        async with self._lock(indexer_id):
            current = await self._read(indexer_id)
            if current is None:
                return
            flags = self.flags_for_on(current)
            if not current.enabled or dict(current.flags) != flags:
                await self.health.async_set_indexer_flags(indexer_id, flags)
            self.ledger.forget(indexer_id)
            # Auto-heal counts its failures afresh from here.
            self.health.reset_failures(indexer_id)
        # The repairs issue listing what auto-heal disabled follows at once.
        self.health.async_update_listeners()
