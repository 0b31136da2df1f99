"""The stack: how the configured Arr instances relate to each other.

One object for the whole integration (behind a typed ``HassKey``); every loaded
entry registers with it. It knows what no single entry can: which Prowlarr
indexer a synced copy in an app belongs to and at which sync level (from the
Prowlarr's applications and the app's indexer list), Prowlarr's own verdict on
that indexer, and one lock per indexer so that writes to it never interleave.

Entries ask the stack; they never reach into each other's runtime data. The
coordinators import the stack, not the other way round.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from yarl import URL

from homeassistant.util.hass_dict import HassKey

from .arr import (
    ArrApp,
    Cause,
    Indexer,
    ProwlarrApplication,
    SyncLevel,
    TestVerdict,
    normalize_url,
)
from .const import DOMAIN
from .data import IndexerHealth, InstanceHealth
from .evidence import ProwlarrView
from .heal import Route

DATA_STACK: HassKey[ArrStack] = HassKey(DOMAIN)

# Prowlarr names the copies it pushes "{name} (Prowlarr)": a hint, for when no
# configured Prowlarr can confirm where a copy comes from.
SYNCED_NAME_SUFFIX = "(Prowlarr)"


class StackMember(Protocol):
    """What an entry tells the stack about its instance."""

    @property
    def entry_id(self) -> str:
        """The config entry."""

    @property
    def title(self) -> str:
        """The instance's name in Home Assistant."""

    @property
    def app(self) -> ArrApp:
        """Which Arr app it is."""

    @property
    def url(self) -> str:
        """The URL Home Assistant reaches it at."""

    @property
    def health(self) -> InstanceHealth | None:
        """What its last health check found; None while it cannot be reached."""

    def request_check(self, indexer_ids: Iterable[int]) -> None:
        """Check some of its indexers soon."""

    async def async_fresh_view(self) -> ProwlarrView | None:
        """Prowlarr: its history read on to now, as traffic and budgets."""

    def owns(self, indexer_id: int) -> bool:
        """Whether auto-heal disabled this indexer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceLink:
    """Where a synced copy comes from: a Prowlarr indexer, and how it is synced."""

    prowlarr_entry_id: str
    prowlarr_title: str
    indexer_id: int
    sync_level: SyncLevel
    # The application's name in Prowlarr (how Prowlarr knows the app).
    application: str
    # Prowlarr's own view of the indexer (None while Prowlarr cannot be reached).
    health: IndexerHealth | None

    @property
    def route(self) -> Route:
        """Who decides about the copy: Prowlarr under Full Sync, else the app."""
        return Route.SOURCE if self.sync_level is SyncLevel.FULL_SYNC else Route.APP

    def copy_verdict(self) -> TestVerdict | None:
        """Prowlarr's verdict on the indexer, standing for a copy's (no test).

        None while Prowlarr has no verdict (not tested yet, or unreachable).
        """
        health = self.health
        if health is None:
            return None
        if not health.indexer.enabled:
            return TestVerdict(
                passed=False,
                message=f"Disabled in {self.prowlarr_title}",
                cause=Cause.UPSTREAM,
                tested=False,
            )
        if health.passed is None:
            return None
        if health.passed:
            return TestVerdict(passed=True, tested=False)
        return TestVerdict(
            passed=False,
            message=f"{self.prowlarr_title}: {health.message or 'failing'}",
            cause=health.cause,
            setting=health.setting,
            tested=False,
        )

    def site_failure_verdict(self, verdict: TestVerdict) -> TestVerdict:
        """A copy's test that failed at the site behind Prowlarr (see
        ``evidence.failed_at_source``): the source's failure, not a setting."""
        return replace(
            verdict,
            message=(
                f"{self.prowlarr_title}: the site failed this query "
                f"({verdict.message or 'no results'})"
            ),
            cause=Cause.SITE_ERROR,
            setting=None,
            at_source=True,
        )

    def limit_verdict(self) -> TestVerdict:
        """A copy the app blocks because Prowlarr's query limit is reached.

        Prowlarr answers the app 429 for it until the limit's window moves on;
        the indexer itself is fine, and testing it again would change nothing.
        """
        queries = self.health.queries if self.health else None
        limit = f" of {queries.limit}" if queries else ""
        return TestVerdict(
            passed=False,
            message=(
                f"{self.prowlarr_title}: query limit{limit} reached; "
                "searches through it are refused until it resets"
            ),
            cause=Cause.QUOTA,
            tested=False,
        )

    def source_failing(self, now: datetime) -> bool | None:
        """Prowlarr's own verdict on the indexer; None when unknown.

        Failing there means failing its test, blocked by Prowlarr's back-off, or
        disabled in Prowlarr.
        """
        health = self.health
        if health is None:
            return None
        if not health.indexer.enabled:
            return True
        if health.blocked_until is not None and health.blocked_until > now:
            return True
        return None if health.passed is None else not health.passed


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncedCopy:
    """One app's copy of a Prowlarr indexer."""

    entry_id: str
    title: str
    indexer_id: int
    sync_level: SyncLevel
    health: IndexerHealth


class ArrStack:
    """The configured Arr instances and what links them."""

    def __init__(self) -> None:
        """Start with no instances."""
        self._members: dict[str, StackMember] = {}
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}

    def register(self, member: StackMember) -> Callable[[], None]:
        """Add an instance; returns the function that removes it again."""
        self._members[member.entry_id] = member

        def unregister() -> None:
            if self._members.get(member.entry_id) is member:
                del self._members[member.entry_id]
            for key in [key for key in self._locks if key[0] == member.entry_id]:
                if not self._locks[key].locked():
                    del self._locks[key]

        return unregister

    def has_health(self, entry_id: str) -> bool:
        """Whether an entry's instance is registered and has been checked."""
        member = self._members.get(entry_id)
        return member is not None and member.health is not None

    def request_check(self, entry_id: str, indexer_ids: Iterable[int]) -> None:
        """Ask an instance to check some of its indexers soon (if it is loaded)."""
        member = self._members.get(entry_id)
        if member is not None:
            member.request_check(indexer_ids)

    async def async_prowlarr_view(self, prowlarr_entry_id: str) -> ProwlarrView | None:
        """A configured Prowlarr's history read on to now (no query to any
        site): its indexers' real traffic and budgets; None if not loaded."""
        member = self._members.get(prowlarr_entry_id)
        if member is None:
            return None
        return await member.async_fresh_view()

    def request_copies_check(
        self, prowlarr_entry_id: str, indexer_ids: Iterable[int]
    ) -> None:
        """Ask the apps to check their copies of some Prowlarr indexers soon."""
        for indexer_id in indexer_ids:
            for copy in self.copies_of(prowlarr_entry_id, indexer_id):
                self.request_check(copy.entry_id, [copy.indexer_id])

    def owns(self, entry_id: str, indexer_id: int) -> bool:
        """Whether auto-heal disabled an indexer of an instance."""
        member = self._members.get(entry_id)
        return member is not None and member.owns(indexer_id)

    def lock(self, entry_id: str, indexer_id: int) -> asyncio.Lock:
        """The lock that every write to one indexer of one instance holds."""
        return self._locks.setdefault((entry_id, indexer_id), asyncio.Lock())

    def route_of(
        self, entry_id: str, indexer: Indexer
    ) -> tuple[Route, SourceLink | None]:
        """Who decides about an indexer of an instance, and its source if synced."""
        member = self._members.get(entry_id)
        if member is None or member.app is ArrApp.PROWLARR:
            return Route.DIRECT, None
        source = self.source_of(entry_id, indexer)
        if source is not None:
            return source.route, source
        if indexer.prowlarr_link is not None and indexer.name.endswith(
            SYNCED_NAME_SUFFIX
        ):
            return Route.UNKNOWN_SOURCE, None
        return Route.DIRECT, None

    def source_of(self, entry_id: str, indexer: Indexer) -> SourceLink | None:
        """The Prowlarr indexer a synced copy in an app comes from, if configured.

        The app is matched to one of Prowlarr's applications, and the copy's
        ``baseUrl`` to that application's Prowlarr address (Prowlarr recognises
        its copies the same way). Anything ambiguous is no match: better to leave
        a copy alone than to act on the wrong Prowlarr.
        """
        member = self._members.get(entry_id)
        link = indexer.prowlarr_link
        if member is None or link is None:
            return None
        found: list[SourceLink] = []
        for prowlarr in self._members.values():
            if prowlarr.app is not ArrApp.PROWLARR:
                continue
            data = prowlarr.health
            if data is None:
                continue
            application = application_for(member, data.applications)
            if application is None or not _same_url(
                link.prowlarr_url, application.prowlarr_url or prowlarr.url
            ):
                continue
            source = data.indexers.get(link.indexer_id)
            if source is None:
                continue
            found.append(
                SourceLink(
                    prowlarr_entry_id=prowlarr.entry_id,
                    prowlarr_title=prowlarr.title,
                    indexer_id=link.indexer_id,
                    sync_level=application.sync_level,
                    application=application.name,
                    health=source,
                )
            )
        return found[0] if len(found) == 1 else None

    def copies_of(self, prowlarr_entry_id: str, indexer_id: int) -> list[SyncedCopy]:
        """Every configured app's copy of one Prowlarr indexer."""
        copies: list[SyncedCopy] = []
        for member in self._members.values():
            data = member.health
            if member.app is ArrApp.PROWLARR or data is None:
                continue
            for health in data.indexers.values():
                source = self.source_of(member.entry_id, health.indexer)
                if (
                    source is not None
                    and source.prowlarr_entry_id == prowlarr_entry_id
                    and source.indexer_id == indexer_id
                ):
                    copies.append(
                        SyncedCopy(
                            entry_id=member.entry_id,
                            title=member.title,
                            indexer_id=health.indexer.id,
                            sync_level=source.sync_level,
                            health=health,
                        )
                    )
        return copies


def application_for(
    app: StackMember, applications: tuple[ProwlarrApplication, ...]
) -> ProwlarrApplication | None:
    """The application through which a Prowlarr syncs into an app, if exactly one.

    By the app's URL; failing that (Prowlarr often knows an app by a container
    name, Home Assistant by an address), by its port and URL base; failing that,
    the only application of that kind. Never a guess between several.
    """
    candidates = [a for a in applications if a.implementation == app.app.value]
    for same in (_same_url, _same_port_and_path):
        matches = [a for a in candidates if a.base_url and same(a.base_url, app.url)]
        if matches:
            return matches[0] if len(matches) == 1 else None
    return candidates[0] if len(candidates) == 1 else None


def _normalized(url: str | None) -> URL | None:
    if not url:
        return None
    try:
        return URL(normalize_url(url))
    except ValueError:
        return None


def _same_url(first: str | None, second: str | None) -> bool:
    a, b = _normalized(first), _normalized(second)
    return a is not None and b is not None and str(a).lower() == str(b).lower()


def _same_port_and_path(first: str | None, second: str | None) -> bool:
    a, b = _normalized(first), _normalized(second)
    return (
        a is not None
        and b is not None
        and a.port == b.port
        and a.path.rstrip("/").lower() == b.path.rstrip("/").lower()
    )
