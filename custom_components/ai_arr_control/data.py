"""What the health checks found, and how one check's findings are folded in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from .arr import (
    Cause,
    HealthCheck,
    Indexer,
    IndexerStats,
    IndexerStatus,
    ProwlarrApplication,
    TestVerdict,
)
from .evidence import Budget, Check, Traffic
from .heal import HealPlan, policy_of

# A test that hit a quota is not repeated until the quota resets. Where nothing
# says when that is, wait longer each time: 1 h, 2 h, 4 h ... at most a day.
QUOTA_PAUSE_FIRST = timedelta(hours=1)
QUOTA_PAUSE_MAX = timedelta(hours=24)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexerHealth:
    """One indexer as of the last health check."""

    indexer: Indexer
    # The verdict of its last test; None until it has been tested once. A test
    # with warnings only passes, its warning kept in ``warning``.
    passed: bool | None = None
    # The app's failure message (secrets removed) and its cause.
    message: str | None = None
    cause: Cause | None = None
    # The setting a ``config`` failure names, as the app labels it.
    setting: str | None = None
    # A copy's failure that is its source site's, seen through Prowlarr.
    at_source: bool = False
    warning: str | None = None
    # Milliseconds the Arr app took to answer the last test.
    response_time: float | None = None
    consecutive_failures: int = 0
    # Failures in a row of causes that disable (see heal.POLICIES).
    strikes: int = 0
    last_tested: datetime | None = None
    last_success: datetime | None = None
    # When it started failing, if that was seen: the first failed verdict after
    # a passing one. Unknown (None) when it already failed at its first verdict
    # here, e.g. since Home Assistant started.
    failing_since: datetime | None = None
    # After a quota was hit: not tested again before this.
    paused_until: datetime | None = None
    # Prowlarr's own back-off (indexerstatus): skipped by Prowlarr until then.
    blocked_until: datetime | None = None
    # Prowlarr's counters over the last 24 hours (indexerstats).
    stats: IndexerStats | None = None
    # Prowlarr: what is left of its query and grab limits, and its real traffic
    # per app (and ALL_SOURCES), from Prowlarr's history.
    queries: Budget | None = None
    grabs: Budget | None = None
    traffic: Mapping[str, Traffic] = field(default_factory=dict)
    # How the last verdict was reached (a test, real traffic, the source's).
    checked_by: Check | None = None

    @property
    def failing(self) -> bool | None:
        """True when its last test failed; None when never tested."""
        return None if self.passed is None else not self.passed

    def paused(self, now: datetime) -> bool:
        """Whether its tests wait for a quota to reset."""
        return self.paused_until is not None and self.paused_until > now


class IndexerState(StrEnum):
    """Where an indexer stands, in one word (the State sensor)."""

    PASSING = "passing"
    FAILING = "failing"
    # Failing on a quota or query limit: it resets by itself.
    RATE_LIMITED = "rate_limited"
    AUTO_DISABLED = "auto_disabled"
    # Off, and not by auto-heal (the user, or Prowlarr's sync of a copy).
    USER_DISABLED = "user_disabled"
    UNTESTED = "untested"


# The states the problem binary sensor and the Failing indexers count call a
# problem: the indexer does not work as configured. One the user turned off is not.
PROBLEM_STATES = frozenset(
    {IndexerState.FAILING, IndexerState.RATE_LIMITED, IndexerState.AUTO_DISABLED}
)


def indexer_state(health: IndexerHealth, *, auto_disabled: bool) -> IndexerState:
    """An indexer's state; ``auto_disabled``: auto-heal turned it off (here, or
    in Prowlarr for a synced copy)."""
    if not health.indexer.enabled:
        return (
            IndexerState.AUTO_DISABLED if auto_disabled else IndexerState.USER_DISABLED
        )
    if health.passed is None:
        return IndexerState.UNTESTED
    if health.passed:
        return IndexerState.PASSING
    if health.cause is Cause.QUOTA:
        return IndexerState.RATE_LIMITED
    return IndexerState.FAILING


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceHealth:
    """One Arr instance as of the last health check."""

    indexers: dict[int, IndexerHealth] = field(default_factory=dict)
    # The app's own failing health checks (GET /health).
    checks: tuple[HealthCheck, ...] = ()
    last_checked: datetime | None = None
    # Prowlarr only: the apps it syncs into, with their sync levels.
    applications: tuple[ProwlarrApplication, ...] = ()

    @property
    def disabled(self) -> list[IndexerHealth]:
        """Indexers with every enable flag off."""
        return [i for i in self.indexers.values() if not i.indexer.enabled]


@dataclass(frozen=True, slots=True)
class HealRun:
    """What the last heal run decided, and whether it carried it out."""

    at: datetime
    plan: HealPlan
    dry_run: bool


def merge_indexer(
    previous: IndexerHealth | None,
    indexer: Indexer,
    *,
    verdict: TestVerdict | None,
    now: datetime,
    blocked: IndexerStatus | None = None,
    stats: IndexerStats | None = None,
    keep_prowlarr: bool = False,
) -> IndexerHealth:
    """Fold one test's verdict (None: not tested) into what was known.

    ``keep_prowlarr`` keeps the back-off and counters Prowlarr reported at the
    last health check (a heal run's re-test reads neither).
    """
    health = previous or IndexerHealth(indexer=indexer)
    if keep_prowlarr:
        blocked_until = health.blocked_until
        stats = health.stats
    else:
        blocked_until = blocked.disabled_till if blocked else None
    health = replace(
        health,
        indexer=indexer,
        blocked_until=blocked_until if blocked_until and blocked_until > now else None,
        stats=stats,
    )
    if verdict is None:
        # Disabled and paused indexers are not tested: their last verdict stands.
        return health
    response_time = (
        round(verdict.response_time * 1000, 1)
        if verdict.response_time is not None
        else None
    )
    tested = now if verdict.tested else health.last_tested
    if not verdict.tested:
        response_time = health.response_time
    if verdict.passed:
        return replace(
            health,
            passed=True,
            message=None,
            cause=None,
            setting=None,
            at_source=False,
            # Evidence without a test says nothing of the settings' warnings.
            warning=verdict.warning if verdict.tested else health.warning,
            response_time=response_time,
            consecutive_failures=0,
            strikes=0,
            last_tested=tested,
            last_success=now,
            failing_since=None,
            paused_until=None,
        )
    failures = health.consecutive_failures + 1
    # The source's failure is Prowlarr's to act on, not a strike of the copy's.
    strikes = health.strikes + (
        1 if policy_of(verdict.cause).disables and not verdict.at_source else 0
    )
    return replace(
        health,
        passed=False,
        message=verdict.message,
        cause=verdict.cause,
        setting=verdict.setting,
        at_source=verdict.at_source,
        warning=None,
        response_time=response_time,
        consecutive_failures=failures,
        strikes=strikes,
        last_tested=tested,
        failing_since=now if health.passed else health.failing_since,
        paused_until=_pause(health, now) if verdict.limited else None,
    )


def _pause(health: IndexerHealth, now: datetime) -> datetime:
    """Until when a quota keeps the indexer from being tested.

    The apps do not say when a site's limit resets, so wait longer each time.
    """
    # Each quota failure in a row doubles the previous wait.
    pause = QUOTA_PAUSE_FIRST
    if health.paused_until is not None and health.last_tested is not None:
        pause = max(pause, 2 * (health.paused_until - health.last_tested))
    return now + min(pause, QUOTA_PAUSE_MAX)
