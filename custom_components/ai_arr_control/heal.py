"""The heal policy: which indexers to disable, which to put back, what to report.

Pure logic over plain data, without Home Assistant: the heal coordinator gathers
the facts (including what other instances know, through the stack), asks
``plan_heal`` what to do, and carries the plan out (or, in a dry run, only
reports it). Every entry decides only about its own indexers, and only where a
change lasts:

- a direct indexer, or a Prowlarr indexer, is decided by its own instance;
- a copy synced from Prowlarr under *Add and Remove Only* (or with sync off) is
  decided by the app, where Prowlarr never changes it again;
- a copy under *Full Sync* is decided by Prowlarr, from Prowlarr's own test: the
  app only reports a failure that is local to it, since Full Sync would undo a
  change made there;
- a copy whose Prowlarr is not configured in Home Assistant is left alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .arr import Cause


class Action(StrEnum):
    """What the heal run does to an indexer of its own instance."""

    DISABLE = "disable"
    ENABLE = "enable"


class Route(StrEnum):
    """Who decides about an indexer."""

    # The instance's own indexer (or, in Prowlarr, any indexer).
    DIRECT = "direct"
    # A copy synced from Prowlarr under Add and Remove Only, or with sync off:
    # Prowlarr never changes it again, so the app decides.
    APP = "app"
    # A copy under Full Sync: Prowlarr decides, from its own test.
    SOURCE = "source"
    # A synced copy whose Prowlarr is not configured in Home Assistant.
    UNKNOWN_SOURCE = "unknown_source"


class SkipReason(StrEnum):
    """Why a failing indexer is left alone."""

    OUTAGE = "outage"
    LAST_ENABLED = "last_enabled"
    USER_HOLD = "user_hold"
    # Its cause never disables (a quota, a setting to fix).
    CAUSE = "cause"
    # A Full Sync copy: Prowlarr decides.
    MANAGED_BY_PROWLARR = "managed_by_prowlarr"
    NO_PROWLARR = "no_prowlarr"


class NoticeKind(StrEnum):
    """A problem the user should know about (one repairs issue each)."""

    # A setting to fix (the indexer is never disabled for it).
    CONFIG = "config"
    # The site refuses the credentials: renew the key or the account.
    AUTH = "auth"
    # The site is behind Cloudflare: a FlareSolverr/Byparr proxy helps.
    CLOUDFLARE = "cloudflare"
    # A Full Sync copy fails in this app while Prowlarr's own test passes.
    APP_LOCAL = "app_local"


@dataclass(frozen=True, slots=True, kw_only=True)
class CausePolicy:
    """How the heal treats the failures of one cause."""

    # Whether consecutive failures of this cause lead to a disable.
    disables: bool
    # Whether these failures count toward the outage rule (correlated failures).
    outage: bool
    # The repairs issue raised while an indexer keeps failing with this cause.
    notice: NoticeKind | None = None


POLICIES: Mapping[Cause, CausePolicy] = {
    Cause.AUTH: CausePolicy(disables=True, outage=False, notice=NoticeKind.AUTH),
    # Retesting can only burn more of the quota: paused until it resets.
    Cause.QUOTA: CausePolicy(disables=False, outage=False),
    Cause.CLOUDFLARE: CausePolicy(
        disables=True, outage=False, notice=NoticeKind.CLOUDFLARE
    ),
    Cause.NETWORK: CausePolicy(disables=True, outage=True),
    Cause.SITE_ERROR: CausePolicy(disables=True, outage=True),
    Cause.CONFIG: CausePolicy(disables=False, outage=False, notice=NoticeKind.CONFIG),
    # Prowlarr refused the app's copy. Under Full Sync Prowlarr decides (see
    # Route); an Add-Only copy is useless while Prowlarr refuses it.
    Cause.UPSTREAM: CausePolicy(disables=True, outage=True),
    Cause.UNKNOWN: CausePolicy(disables=True, outage=True),
}


def policy_of(cause: Cause | None) -> CausePolicy:
    """The policy of a cause (a failure without one is ``unknown``)."""
    return POLICIES[cause or Cause.UNKNOWN]


@dataclass(frozen=True, slots=True, kw_only=True)
class HealSettings:
    """The heal options."""

    # Consecutive failed tests, across health checks, before an indexer is disabled.
    failures_to_disable: int = 2
    # Failures look correlated (a network, VPN or DNS problem) when at least this
    # share of the enabled indexers, and at least ``outage_min_failing`` of them,
    # fail in the same check.
    outage_percent: float = 50.0
    outage_min_failing: int = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexerFacts:
    """What is known about one indexer when the heal run decides."""

    id: int
    name: str
    flags: Mapping[str, bool]
    # Failed tests in a row, whatever their cause (repairs notices wait for
    # ``failures_to_disable`` of them).
    consecutive_failures: int = 0
    # Of those, the ones whose cause disables (a quota or a setting to fix
    # neither adds to them nor resets them): what a disable waits for.
    strikes: int = 0
    # The latest test verdict (None: never tested). Warning-only results pass.
    passed: bool | None = None
    message: str | None = None
    cause: Cause | None = None
    # The setting a ``config`` failure names (the app's own label), if any.
    setting: str | None = None
    route: Route = Route.DIRECT
    # A synced copy (SOURCE, APP): Prowlarr's own verdict on the indexer it comes
    # from (True: it fails there too; False: it passes there; None: unknown).
    source_failing: bool | None = None
    # Its verdict is Prowlarr's, not this app's own (a copy not tested here).
    borrowed: bool = False
    # A copy whose failure is its source site's, seen through Prowlarr (the
    # app's query failed there while Prowlarr's own test may pass): Prowlarr
    # decides about the source; the copy is neither changed nor reported here.
    at_source: bool = False

    @property
    def enabled(self) -> bool:
        """Whether any enable flag is on."""
        return any(self.flags.values())

    @property
    def failing(self) -> bool:
        """Whether its latest test failed."""
        return self.passed is False


@dataclass(frozen=True, slots=True, kw_only=True)
class Owned:
    """An indexer the heal run disabled: the flags to put back and why."""

    flags: Mapping[str, bool]
    reason: str
    cause: Cause | None = None
    # When it was disabled (None in a ledger written before this was kept).
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """One change the heal run makes."""

    indexer_id: int
    name: str
    action: Action
    reason: str
    # DISABLE: the flags it had (to restore later); ENABLE: the flags to set.
    flags: Mapping[str, bool]
    cause: Cause | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """A failing indexer the heal run leaves alone, and why."""

    indexer_id: int
    name: str
    reason: SkipReason
    cause: Cause | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A problem to report as a repairs issue."""

    kind: NoticeKind
    indexer_id: int
    name: str
    cause: Cause | None
    message: str | None
    setting: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealPlan:
    """What one heal run decided."""

    decisions: tuple[Decision, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[Notice, ...] = ()
    # Indexers the ledger no longer owns: deleted, or turned back on by the user.
    released: tuple[int, ...] = ()
    outage: bool = False
    reachable: bool = True
    failing: int = 0
    enabled: int = 0

    def of(self, action: Action) -> list[Decision]:
        """The decisions of one kind."""
        return [d for d in self.decisions if d.action is action]

    def skipped_for(self, reason: SkipReason) -> list[Skipped]:
        """The indexers left alone for one reason."""
        return [s for s in self.skipped if s.reason is reason]

    def notices_of(self, kind: NoticeKind) -> list[Notice]:
        """The notices of one kind."""
        return [n for n in self.notices if n.kind is kind]


def is_outage(failing: int, enabled: int, settings: HealSettings) -> bool:
    """Whether this many failures at once look like a local network problem."""
    return (
        enabled > 0
        and failing >= settings.outage_min_failing
        and failing * 100 >= settings.outage_percent * enabled
    )


def plan_heal(
    indexers: Iterable[IndexerFacts],
    owned: Mapping[int, Owned],
    holds: Collection[int],
    settings: HealSettings,
    *,
    reachable: bool = True,
) -> HealPlan:
    """Decide which indexers to disable and which to put back, and what to report.

    - An enabled indexer with ``failures_to_disable`` strikes (failures in a row
      of causes that disable) is disabled, unless its latest failure's cause
      never disables (a quota, a setting to fix), the user holds it, it is the
      last enabled one, or the failures look like an outage (then nothing is
      disabled at all).
    - A Full Sync copy is never changed in the app: Prowlarr decides from its own
      test. If it fails here while Prowlarr's test passes, that is reported.
    - A copy whose failure is its source site's, seen through Prowlarr, is
      never changed in the app nor reported there: Prowlarr decides.
    - A synced copy whose Prowlarr is not configured is left alone (and reported).
    - An indexer this integration disabled is put back, with exactly the flags it
      had, as soon as it passes a test again.
    - Indexers the user disabled or holds are never touched.
    """
    if not reachable:
        return HealPlan(reachable=False, outage=True)
    by_id = {indexer.id: indexer for indexer in indexers}
    enabled = [i for i in by_id.values() if i.enabled]
    outage, failing, counted = _outage(enabled, settings)

    decisions: list[Decision] = []
    skipped: list[Skipped] = []
    released: list[int] = []

    for indexer_id, own in sorted(owned.items()):
        indexer = by_id.get(indexer_id)
        if indexer is None or indexer.enabled:
            # Deleted in the app, or turned back on there by the user.
            released.append(indexer_id)
        elif indexer_id not in holds and indexer.passed is True:
            decisions.append(
                Decision(
                    indexer_id=indexer_id,
                    name=indexer.name,
                    action=Action.ENABLE,
                    reason="passed",
                    flags=dict(own.flags),
                    cause=own.cause,
                )
            )

    candidates = sorted(
        (
            i
            for i in enabled
            if i.id not in owned
            and i.failing
            and i.strikes >= settings.failures_to_disable
        ),
        key=lambda i: (-i.strikes, i.id),
    )
    remaining = len(enabled)
    for indexer in candidates:
        reason = _skip_reason(indexer, holds, outage=outage, remaining=remaining)
        if reason is not None:
            skipped.append(
                Skipped(
                    indexer_id=indexer.id,
                    name=indexer.name,
                    reason=reason,
                    cause=indexer.cause,
                )
            )
            continue
        remaining -= 1
        decisions.append(
            Decision(
                indexer_id=indexer.id,
                name=indexer.name,
                action=Action.DISABLE,
                reason=indexer.message or "failing",
                flags=dict(indexer.flags),
                cause=indexer.cause,
            )
        )

    return HealPlan(
        decisions=tuple(decisions),
        skipped=tuple(skipped),
        notices=tuple(plan_notices(by_id.values(), owned, holds, settings)),
        released=tuple(released),
        outage=outage,
        failing=failing,
        enabled=counted,
    )


def _outage(
    enabled: list[IndexerFacts], settings: HealSettings
) -> tuple[bool, int, int]:
    """Whether the failures look correlated, and how many of how many fail.

    The verdicts this app found itself and the ones borrowed from Prowlarr are
    two views: copies that pass in Prowlarr say nothing about this app's own
    network, and the other way round. Either view looking like an outage is one.
    """
    groups = [
        [i for i in enabled if not i.borrowed],
        [i for i in enabled if i.borrowed],
    ]
    for group in groups:
        failing = sum(1 for i in group if i.failing and policy_of(i.cause).outage)
        if is_outage(failing, len(group), settings):
            return True, failing, len(group)
    failing = sum(1 for i in enabled if i.failing and policy_of(i.cause).outage)
    return False, failing, len(enabled)


def plan_notices(
    indexers: Iterable[IndexerFacts],
    owned: Mapping[int, Owned],
    holds: Collection[int],
    settings: HealSettings,
) -> list[Notice]:
    """The problems to report: indexers that keep failing for a reason to act on.

    Only indexers in use (enabled, or disabled by auto-heal) that have failed
    ``failures_to_disable`` times in a row; never ones the user holds.
    """
    notices: list[Notice] = []
    for indexer in sorted(indexers, key=lambda i: i.id):
        if (
            indexer.id in holds
            or not (indexer.enabled or indexer.id in owned)
            or not indexer.failing
            or indexer.consecutive_failures < settings.failures_to_disable
        ):
            continue
        if indexer.source_failing is True or indexer.at_source:
            # A copy of an indexer that fails in Prowlarr too, or whose site
            # failed the app's query there: Prowlarr's own issues say why
            # (through Prowlarr a broken site even looks like "no results in
            # the configured categories").
            continue
        kind = policy_of(indexer.cause).notice
        if indexer.route is Route.SOURCE and kind is not NoticeKind.CONFIG:
            # Only a failure local to this app is this app's to report.
            kind = NoticeKind.APP_LOCAL if indexer.source_failing is False else None
        if kind is not None:
            notices.append(
                Notice(
                    kind=kind,
                    indexer_id=indexer.id,
                    name=indexer.name,
                    cause=indexer.cause,
                    message=indexer.message,
                    setting=indexer.setting,
                )
            )
    return notices


def _skip_reason(
    indexer: IndexerFacts, holds: Collection[int], *, outage: bool, remaining: int
) -> SkipReason | None:
    if indexer.id in holds:
        return SkipReason.USER_HOLD
    if indexer.route is Route.SOURCE or indexer.at_source:
        # Under Add and Remove Only too: the site behind Prowlarr failed, and
        # disabling the copy would not make it work.
        return SkipReason.MANAGED_BY_PROWLARR
    if not policy_of(indexer.cause).disables:
        return SkipReason.CAUSE
    if outage:
        return SkipReason.OUTAGE
    if indexer.route is Route.UNKNOWN_SOURCE:
        return SkipReason.NO_PROWLARR
    if remaining <= 1:
        return SkipReason.LAST_ENABLED
    return None
