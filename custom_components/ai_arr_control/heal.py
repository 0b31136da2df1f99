"""The heal policy: which indexers to disable and which to put back.

Pure logic over plain data, without Home Assistant: the heal coordinator gathers
the facts, asks ``plan_heal`` what to do, and carries the plan out (or, in a dry
run, only reports it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """What the heal run does to an indexer."""

    DISABLE = "disable"
    ENABLE = "enable"
    # A Prowlarr-synced indexer in an app: Prowlarr's Full Sync would undo an
    # app-side change, so the indexer is disabled at its source in Prowlarr.
    DISABLE_IN_PROWLARR = "disable_in_prowlarr"


class SkipReason(StrEnum):
    """Why a failing indexer is left alone."""

    OUTAGE = "outage"
    LAST_ENABLED = "last_enabled"
    USER_HOLD = "user_hold"
    NO_PROWLARR = "no_prowlarr"


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
    consecutive_failures: int = 0
    # The latest test verdict (None: never tested).
    passed: bool | None = None
    message: str | None = None
    # Synced from Prowlarr into this app.
    synced: bool = False
    # For a synced indexer: its id in Prowlarr, when that Prowlarr is configured in
    # Home Assistant (None otherwise, and for indexers that are not synced).
    prowlarr_indexer_id: int | None = None

    @property
    def enabled(self) -> bool:
        """Whether any enable flag is on."""
        return any(self.flags.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Owned:
    """An indexer the heal run disabled: the flags to put back and why."""

    flags: Mapping[str, bool]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """One change the heal run makes."""

    indexer_id: int
    name: str
    action: Action
    reason: str
    # DISABLE: the flags it had (to restore later); ENABLE: the flags to set.
    flags: Mapping[str, bool]
    prowlarr_indexer_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """A failing indexer the heal run leaves alone, and why."""

    indexer_id: int
    name: str
    reason: SkipReason


@dataclass(frozen=True, slots=True, kw_only=True)
class HealPlan:
    """What one heal run decided."""

    decisions: tuple[Decision, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    # Indexers the ledger no longer owns: deleted, or turned back on by the user.
    released: tuple[int, ...] = ()
    outage: bool = False
    reachable: bool = True
    failing: int = 0
    enabled: int = 0
    notes: tuple[str, ...] = field(default=())

    def of(self, action: Action) -> list[Decision]:
        """The decisions of one kind."""
        return [d for d in self.decisions if d.action is action]

    def skipped_for(self, reason: SkipReason) -> list[Skipped]:
        """The indexers left alone for one reason."""
        return [s for s in self.skipped if s.reason is reason]


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
    """Decide which indexers to disable and which to put back.

    - An enabled indexer with ``failures_to_disable`` consecutive failures is
      disabled, unless the user holds it, it is the last enabled one, or the
      failures look like an outage (then nothing is disabled at all).
    - A Prowlarr-synced one is disabled in Prowlarr when that Prowlarr is
      configured, otherwise left alone (and reported).
    - An indexer this integration disabled is put back, with exactly the flags it
      had, as soon as it passes a test again.
    - Indexers the user disabled or holds are never touched.
    """
    if not reachable:
        return HealPlan(reachable=False, outage=True)
    by_id = {indexer.id: indexer for indexer in indexers}
    enabled = [i for i in by_id.values() if i.enabled]
    failing = [i for i in enabled if i.passed is False]
    outage = is_outage(len(failing), len(enabled), settings)

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
                )
            )

    candidates = sorted(
        (
            i
            for i in enabled
            if i.id not in owned
            and i.passed is False
            and i.consecutive_failures >= settings.failures_to_disable
        ),
        key=lambda i: (-i.consecutive_failures, i.id),
    )
    remaining = len(enabled)
    for indexer in candidates:
        reason = _skip_reason(indexer, holds, outage=outage, remaining=remaining)
        if reason is not None:
            skipped.append(
                Skipped(indexer_id=indexer.id, name=indexer.name, reason=reason)
            )
            continue
        remaining -= 1
        decisions.append(
            Decision(
                indexer_id=indexer.id,
                name=indexer.name,
                action=Action.DISABLE_IN_PROWLARR if indexer.synced else Action.DISABLE,
                reason=indexer.message or "failing",
                flags=dict(indexer.flags),
                prowlarr_indexer_id=indexer.prowlarr_indexer_id,
            )
        )

    return HealPlan(
        decisions=tuple(decisions),
        skipped=tuple(skipped),
        released=tuple(released),
        outage=outage,
        failing=len(failing),
        enabled=len(enabled),
    )


def _skip_reason(
    indexer: IndexerFacts, holds: Collection[int], *, outage: bool, remaining: int
) -> SkipReason | None:
    if indexer.id in holds:
        return SkipReason.USER_HOLD
    if outage:
        return SkipReason.OUTAGE
    if indexer.synced and indexer.prowlarr_indexer_id is None:
        return SkipReason.NO_PROWLARR
    if remaining <= 1:
        return SkipReason.LAST_ENABLED
    return None
