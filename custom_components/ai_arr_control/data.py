"""Plain data the coordinators keep: what the last health check found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .arr import HealthCheck, Indexer, IndexerStats
from .heal import HealPlan


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexerHealth:
    """One indexer as of the last health check."""

    indexer: Indexer
    # The verdict of its last test; None until it has been tested once.
    passed: bool | None = None
    message: str | None = None
    # Milliseconds the Arr app took to answer the last test.
    response_time: float | None = None
    consecutive_failures: int = 0
    last_tested: datetime | None = None
    last_success: datetime | None = None
    # Prowlarr's own back-off (indexerstatus): skipped by Prowlarr until then.
    blocked_until: datetime | None = None
    # Prowlarr's counters over the last 24 hours (indexerstats).
    stats: IndexerStats | None = None

    @property
    def failing(self) -> bool | None:
        """True when its last test failed; None when never tested."""
        return None if self.passed is None else not self.passed


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceHealth:
    """One Arr instance as of the last health check."""

    indexers: dict[int, IndexerHealth] = field(default_factory=dict)
    # The app's own failing health checks (GET /health).
    checks: tuple[HealthCheck, ...] = ()
    last_checked: datetime | None = None
    # Prowlarr only: the URLs the apps reach this Prowlarr at (its applications'
    # "Prowlarr Server"), to recognise the indexers it synced into them.
    prowlarr_urls: frozenset[str] = frozenset()

    @property
    def failing(self) -> list[IndexerHealth]:
        """Enabled indexers whose last test failed."""
        return [i for i in self.indexers.values() if i.indexer.enabled and i.failing]

    @property
    def disabled(self) -> list[IndexerHealth]:
        """Indexers with every enable flag off."""
        return [i for i in self.indexers.values() if not i.indexer.enabled]


@dataclass(frozen=True, slots=True, kw_only=True)
class HealRun:
    """What the last heal run decided, and whether it carried it out."""

    at: datetime
    plan: HealPlan
    dry_run: bool
