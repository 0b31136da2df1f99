"""What a health check does about each indexer: test it, or trust other evidence.

Every test makes the indexer's site answer a real query, counted against the
user's quota, so a test is the last resort. Pure logic over plain data:

- A Prowlarr indexer that served a real query successfully since the last check
  (Prowlarr's history: every search and RSS sync the apps made) passes without a
  test; one whose latest real query failed is a suspect, tested now; one with
  no traffic is tested. One at or below its query reserve is not tested.
- A copy synced from a Prowlarr that is configured here is not tested in the
  app: its indexer's verdict is Prowlarr's. What the app itself says about the
  copy comes from its health (its back-off names the indexers it blocks) and
  from its real queries in Prowlarr's history. A copy this app blocks while
  Prowlarr's test passes is a suspect, tested in the app once to learn why,
  unless Prowlarr's query limit explains it (Prowlarr answers the apps 429 once
  the limit is reached) or only the reserve is left (the app's test would
  spend it).
- Everything else (the apps' own indexers, copies whose Prowlarr is not
  configured) is tested at each check, except an indexer whose test passes
  with a warning only (Jackett's "all" endpoint): the apps record such a test
  as a failure on their back-off, so each test would keep RSS from using a
  working indexer. It is tested again once a day, or when its settings change
  (the app's health is no evidence here: our own test makes it name the
  indexer, until its next successful query).

A suspect copy's test can fail with "no results in the configured categories"
for two reasons: its categories (a setting to fix), or the site behind
Prowlarr failing (Prowlarr answers the app with an empty feed then). Prowlarr's
history tells them apart: the app's query is recorded as failed in the second
case only (``failed_at_source``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import math

from .arr import Cause, HealthCheck, HistoryRecord, Indexer, TestVerdict


class Check(StrEnum):
    """What a health check does about one indexer."""

    # Test it now.
    TEST = "test"
    # Leave it: its last verdict stands (a quota pause, at its query reserve).
    SKIP = "skip"
    # A real query succeeded since the last check: it passes without a test.
    TRAFFIC = "traffic"
    # A copy: Prowlarr's verdict on the indexer it comes from stands for it.
    SOURCE = "source"
    # A copy the app blocks because its Prowlarr's query limit is reached
    # (Prowlarr answers the app 429 until it resets): failing, not tested.
    LIMIT = "limit"
    # A copy the app still blocks, tested since it began blocking it: the
    # failure that test found stands (and counts again), without a new test.
    BLOCKED = "blocked"


# How long a test that passed with a warning only stands (see the module).
WARNING_RETEST = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Traffic:
    """The newest real queries of an indexer, from Prowlarr's history."""

    last_success: datetime | None = None
    last_failure: datetime | None = None

    def since(self, moment: datetime | None) -> bool | None:
        """The verdict of the real traffic after ``moment``: True if its newest
        query succeeded, False if it failed, None without traffic since."""
        newest = max(
            (t for t in (self.last_success, self.last_failure) if t is not None),
            default=None,
        )
        if newest is None or (moment is not None and newest <= moment):
            return None
        return newest == self.last_success


# The key of the traffic of every app together.
ALL_SOURCES = "*"


def summarise_traffic(
    records: Iterable[HistoryRecord],
) -> dict[int, dict[str, Traffic]]:
    """Per indexer and per app (``source``, and ``ALL_SOURCES``): the newest
    successful and failed real queries."""
    newest: dict[int, dict[str, list[datetime | None]]] = {}
    for record in records:
        if not record.is_query:
            continue
        per_source = newest.setdefault(record.indexer_id, {})
        for key in {record.source, ALL_SOURCES}:
            times = per_source.setdefault(key, [None, None])
            slot = 0 if record.successful else 1
            current = times[slot]
            if current is None or record.date > current:
                times[slot] = record.date
    return {
        indexer_id: {key: Traffic(*times) for key, times in per_source.items()}
        for indexer_id, per_source in newest.items()
    }


@dataclass(frozen=True, slots=True)
class Budget:
    """How much of a Prowlarr limit is left in its rolling window."""

    limit: int
    used: int
    window: timedelta
    # When the oldest counted use leaves the window (one more is then free).
    resets_at: datetime | None

    @property
    def left(self) -> int:
        """Uses left before Prowlarr refuses (it refuses at ``used >= limit``)."""
        return max(0, self.limit - self.used)

    def reserve(self, percent: float) -> int:
        """The uses kept for real searches: ``percent`` of the limit, at least 1."""
        return max(1, math.ceil(self.limit * percent / 100))


def budget(
    limit: int, window: timedelta, uses: Iterable[datetime], now: datetime
) -> Budget:
    """A limit's budget from its uses (IndexerLimitService: a rolling window)."""
    counted = sorted(t for t in uses if now - window <= t <= now)
    return Budget(
        limit=limit,
        used=len(counted),
        window=window,
        resets_at=counted[0] + window if counted else None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProwlarrView:
    """What Prowlarr's history says, per indexer."""

    traffic: Mapping[int, Mapping[str, Traffic]] = field(default_factory=dict)
    queries: Mapping[int, Budget] = field(default_factory=dict)
    grabs: Mapping[int, Budget] = field(default_factory=dict)


def prowlarr_view(
    indexers: Iterable[Indexer], records: Iterable[HistoryRecord], now: datetime
) -> ProwlarrView:
    """Real traffic and limit budgets of Prowlarr's indexers from its history."""
    rows = list(records)
    queries: dict[int, Budget] = {}
    grabs: dict[int, Budget] = {}
    for indexer in indexers:
        limits = indexer.limits
        own = [r for r in rows if r.indexer_id == indexer.id]
        if limits.queries is not None:
            queries[indexer.id] = budget(
                limits.queries, limits.window, (r.date for r in own if r.is_query), now
            )
        if limits.grabs is not None:
            grabs[indexer.id] = budget(
                limits.grabs, limits.window, (r.date for r in own if r.is_grab), now
            )
    return ProwlarrView(traffic=summarise_traffic(rows), queries=queries, grabs=grabs)


# The apps' health checks that name the indexers their back-off blocks
# ("Indexers unavailable due to failures: A, B"; all of them: "All indexers...").
_BLOCKING_CHECKS = frozenset({"IndexerStatusCheck", "IndexerLongTermStatusCheck"})


def blocked_in_health(checks: Iterable[HealthCheck]) -> BlockedNames:
    """The indexers an app's health says its back-off blocks."""
    lists: list[str] = []
    everything = False
    for check in checks:
        if check.source not in _BLOCKING_CHECKS or check.type not in (
            "warning",
            "error",
        ):
            continue
        _, _, names = check.message.partition(": ")
        if names:
            lists.append(names)
        elif check.type == "error":
            # "All indexers are unavailable due to failures" (any language).
            everything = True
    return BlockedNames(tuple(lists), everything=everything)


@dataclass(frozen=True, slots=True)
class BlockedNames:
    """Names in the apps' "unavailable due to failures" messages.

    The names are joined with ", " and may contain commas themselves, so a name
    is looked for between separators rather than split out.
    """

    lists: tuple[str, ...] = ()
    everything: bool = False

    def __contains__(self, name: object) -> bool:
        """Whether the health names this indexer."""
        if self.everything:
            return True
        if not self.lists or not isinstance(name, str):
            return False
        return any(
            names == name
            or names.startswith(f"{name}, ")
            or names.endswith(f", {name}")
            or f", {name}, " in names
            for names in self.lists
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexerEvidence:
    """What is known of one indexer when a check decides whether to test it."""

    enabled: bool
    # A quota pause not over yet.
    paused: bool = False
    # Prowlarr: its query budget (None without a query limit).
    queries: Budget | None = None
    # The real traffic: Prowlarr's for its own indexer; for an app's copy, that
    # app's queries of the source in Prowlarr's history.
    traffic: Traffic | None = None
    # The previous check (None: the first one).
    last_checked: datetime | None = None
    # A copy whose Prowlarr is configured: Prowlarr's verdict on the source
    # (True: failing there; False: passing; None: not known yet).
    source_failing: bool | None = None
    is_copy_of_known_source: bool = False
    # The app's own health names it among the indexers it blocks.
    named_in_health: bool = False
    # A copy this app fails while Prowlarr passes it, already tested in this
    # app since (see Check.BLOCKED), and whether that test failed.
    suspect_tested: bool = False
    app_failing: bool = False
    # The last test passed with warnings only, and when it was made.
    warned: bool = False
    last_tested: datetime | None = None
    # Its settings changed since the previous check.
    settings_changed: bool = False


def _at_reserve(queries: Budget | None, reserve_percent: float) -> bool:
    return queries is not None and queries.left <= queries.reserve(reserve_percent)


def plan_check(
    evidence: IndexerEvidence,
    *,
    reserve_percent: float,
    now: datetime,
    confirm: bool = False,
) -> Check:
    """What to do about one enabled indexer in a health check.

    ``confirm``: the heal run confirms a suspect before acting on it, so a
    blocked copy is tested again even if it already was.
    """
    if evidence.paused:
        return Check.SKIP
    traffic = (
        evidence.traffic.since(evidence.last_checked) if evidence.traffic else None
    )
    if evidence.is_copy_of_known_source:
        return _plan_copy(
            evidence, traffic, reserve_percent=reserve_percent, confirm=confirm
        )
    if traffic is True:
        return Check.TRAFFIC
    if (
        evidence.warned
        and not evidence.settings_changed
        and evidence.last_tested is not None
        and now - evidence.last_tested < WARNING_RETEST
    ):
        return Check.SKIP
    if _at_reserve(evidence.queries, reserve_percent):
        # What is left is for real searches, suspect or not.
        return Check.SKIP
    return Check.TEST


def _plan_copy(
    evidence: IndexerEvidence,
    traffic: bool | None,
    *,
    reserve_percent: float,
    confirm: bool,
) -> Check:
    """A copy whose Prowlarr is configured (``evidence.queries``: the source's)."""
    named = evidence.named_in_health
    if traffic is True and not named:
        # This app just used it successfully.
        return Check.TRAFFIC
    if evidence.source_failing is not False:
        return Check.SOURCE
    if not named and traffic is not False:
        if evidence.suspect_tested and evidence.app_failing:
            # The app's back-off ran out, but nothing says the failure this app
            # had is over (no successful query of it since): it stands.
            return Check.SKIP
        return Check.SOURCE
    # This app fails it while Prowlarr's test passes.
    queries = evidence.queries
    if named and queries is not None and queries.left == 0:
        return Check.LIMIT
    if _at_reserve(queries, reserve_percent):
        # The app's test is a query through Prowlarr: it would spend the reserve.
        return Check.SOURCE
    if evidence.suspect_tested and not confirm:
        return Check.BLOCKED
    return Check.TEST


def no_results(verdict: TestVerdict) -> bool:
    """Whether a copy's test failed with "no results in the configured
    categories": through Prowlarr, a site that fails reaches the app as an
    empty feed, which the app reports just like categories the indexer does
    not serve (``config``, Categories)."""
    return (
        not verdict.passed
        and verdict.cause is Cause.CONFIG
        and verdict.setting == "Categories"
    )


def failed_at_source(
    verdict: TestVerdict, before: Traffic | None, after: Traffic | None
) -> bool:
    """Whether a copy's failed test is its source site's failure, not a setting.

    For a ``no_results`` failure, the query the test made is in Prowlarr's
    history: failed when the site failed, successful (without results) when
    the categories are wrong. ``before`` and ``after``: this app's queries of
    the source there, read before and after the test (both Prowlarr's times,
    so no clock is compared with another).
    """
    if not no_results(verdict) or after is None or after.last_failure is None:
        return False
    return (
        before is None
        or before.last_failure is None
        or after.last_failure > before.last_failure
    )


def tests_to_make(checks: Mapping[int, Check]) -> list[int]:
    """The indexers to test, in id order."""
    return sorted(i for i, check in checks.items() if check is Check.TEST)
