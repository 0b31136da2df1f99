"""Which Prowlarr indexer a synced copy comes from, and how it is synced.

The stack over plain members, without Home Assistant or the network: how apps
are matched to Prowlarr's applications (by URL, by port and URL base when
Prowlarr knows the app by a container name, or the only one of its kind), and
that anything ambiguous is no match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from custom_components.ai_arr_control.arr import (
    ArrApp,
    Indexer,
    ProwlarrApplication,
    SyncLevel,
)
from custom_components.ai_arr_control.arr.const import FAMILY_FLAGS, PROWLARR_FLAGS
from custom_components.ai_arr_control.data import IndexerHealth, InstanceHealth
from custom_components.ai_arr_control.evidence import ProwlarrView
from custom_components.ai_arr_control.heal import Route
from custom_components.ai_arr_control.stack import ArrStack

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class Member:
    """A registered instance."""

    entry_id: str
    title: str
    app: ArrApp
    url: str
    health: InstanceHealth | None = field(default_factory=InstanceHealth)
    requested: list[int] = field(default_factory=list)

    def request_check(self, indexer_ids: Iterable[int]) -> None:
        """Remember what was asked."""
        self.requested.extend(indexer_ids)

    async def async_fresh_view(self) -> ProwlarrView | None:
        """No history here."""
        return None

    def owns(self, indexer_id: int) -> bool:
        """Auto-heal disabled nothing here."""
        return False


def copy(indexer_id: int, prowlarr_url: str, source_id: int, name: str) -> Indexer:
    """A copy Prowlarr pushed into an app."""
    return Indexer.from_json(
        {
            "id": indexer_id,
            "name": f"{name} (Prowlarr)",
            "implementation": "Torznab",
            "enableRss": True,
            "fields": [{"name": "baseUrl", "value": f"{prowlarr_url}/{source_id}/"}],
        },
        FAMILY_FLAGS,
    )


def prowlarr_indexer(indexer_id: int, name: str, **health: object) -> IndexerHealth:
    """A Prowlarr indexer as a health check found it."""
    return IndexerHealth(
        indexer=Indexer.from_json(
            {"id": indexer_id, "name": name, "enable": True}, PROWLARR_FLAGS
        ),
        **health,  # type: ignore[arg-type]
    )


def application(
    name: str,
    base_url: str,
    level: SyncLevel,
    prowlarr_url: str = "http://prowlarr:9696",
) -> ProwlarrApplication:
    """One of Prowlarr's applications."""
    return ProwlarrApplication(
        id=1,
        name=name,
        implementation="Radarr",
        sync_level=level,
        base_url=base_url,
        prowlarr_url=prowlarr_url,
    )


def stack_with(*applications: ProwlarrApplication, passed: bool = True) -> ArrStack:
    """A Prowlarr with these applications and a Radarr at 192.168.1.10:7878."""
    stack = ArrStack()
    stack.register(
        Member(
            "p",
            "Prowlarr",
            ArrApp.PROWLARR,
            "http://192.168.1.10:9696",
            InstanceHealth(
                indexers={3: prowlarr_indexer(3, "Tracker", passed=passed)},
                applications=applications,
            ),
        )
    )
    stack.register(Member("r", "Radarr", ArrApp.RADARR, "http://192.168.1.10:7878"))
    return stack


def test_matched_by_url_and_routed_by_sync_level() -> None:
    """The app's URL names its application; Full Sync → Prowlarr decides."""
    stack = stack_with(
        application("Radarr", "http://192.168.1.10:7878", SyncLevel.FULL_SYNC)
    )
    route, source = stack.route_of("r", copy(9, "http://prowlarr:9696", 3, "Tracker"))
    assert route is Route.SOURCE
    assert source is not None
    assert (source.prowlarr_title, source.indexer_id, source.application) == (
        "Prowlarr",
        3,
        "Radarr",
    )
    assert source.source_failing(NOW) is False


def test_matched_by_port_when_prowlarr_knows_a_container_name() -> None:
    """Prowlarr reaches the app as http://radarr:7878, Home Assistant by IP."""
    stack = stack_with(
        application("Radarr", "http://radarr:7878", SyncLevel.ADD_ONLY),
        application("Radarr 4K", "http://radarr4k:7879", SyncLevel.FULL_SYNC),
    )
    route, source = stack.route_of("r", copy(9, "http://prowlarr:9696", 3, "Tracker"))
    assert (route, source and source.sync_level) == (Route.APP, SyncLevel.ADD_ONLY)


def test_ambiguous_or_foreign_is_no_match() -> None:
    """Two applications that could be this app, or a copy pointing at another
    Prowlarr, or an id that Prowlarr lacks: left alone, never guessed."""
    stack = stack_with(
        application("A", "http://radarr-a:7878", SyncLevel.FULL_SYNC),
        application("B", "http://radarr-b:7878", SyncLevel.FULL_SYNC),
    )
    route, source = stack.route_of("r", copy(9, "http://prowlarr:9696", 3, "Tracker"))
    assert (route, source) == (Route.UNKNOWN_SOURCE, None)
    single = stack_with(
        application("Radarr", "http://192.168.1.10:7878", SyncLevel.FULL_SYNC)
    )
    other = copy(9, "http://other-prowlarr:9696", 3, "Tracker")
    assert single.route_of("r", other) == (Route.UNKNOWN_SOURCE, None)
    missing = copy(9, "http://prowlarr:9696", 77, "Gone")
    assert single.route_of("r", missing) == (Route.UNKNOWN_SOURCE, None)


def test_direct_indexers_and_prowlarr_itself() -> None:
    """A numbered URL without the copy's name is no copy; Prowlarr's own indexers
    are always decided by Prowlarr."""
    stack = stack_with()
    lookalike = Indexer.from_json(
        {
            "id": 1,
            "name": "SiteWithIds",
            "implementation": "Newznab",
            "fields": [{"name": "baseUrl", "value": "https://api.site.test/1234"}],
        },
        FAMILY_FLAGS,
    )
    assert stack.route_of("r", lookalike) == (Route.DIRECT, None)
    own = Indexer.from_json(
        {"id": 3, "name": "Tracker", "enable": True}, PROWLARR_FLAGS
    )
    assert stack.route_of("p", own) == (Route.DIRECT, None)


def test_source_verdicts() -> None:
    """Failing at the source: its test, Prowlarr's back-off, or disabled there."""
    failing = stack_with(
        application("Radarr", "http://192.168.1.10:7878", SyncLevel.FULL_SYNC),
        passed=False,
    )
    _, source = failing.route_of("r", copy(9, "http://prowlarr:9696", 3, "Tracker"))
    assert source is not None
    assert source.source_failing(NOW) is True
    blocked = IndexerHealth(
        indexer=source.health.indexer if source.health else None,  # type: ignore[arg-type]
        passed=True,
        blocked_until=NOW + timedelta(minutes=5),
    )
    stack = ArrStack()
    stack.register(
        Member(
            "p",
            "Prowlarr",
            ArrApp.PROWLARR,
            "http://prowlarr:9696",
            InstanceHealth(
                indexers={3: blocked},
                applications=(
                    application(
                        "Radarr", "http://192.168.1.10:7878", SyncLevel.FULL_SYNC
                    ),
                ),
            ),
        )
    )
    stack.register(Member("r", "Radarr", ArrApp.RADARR, "http://192.168.1.10:7878"))
    _, source = stack.route_of("r", copy(9, "http://prowlarr:9696", 3, "Tracker"))
    assert source is not None
    assert source.source_failing(NOW) is True
    assert source.source_failing(NOW + timedelta(minutes=10)) is False


def test_unregistered_and_unreachable_members() -> None:
    """A Prowlarr that cannot be reached says nothing; an unloaded entry is gone."""
    stack = ArrStack()
    unregister = stack.register(
        Member("p", "Prowlarr", ArrApp.PROWLARR, "http://prowlarr:9696", health=None)
    )
    stack.register(Member("r", "Radarr", ArrApp.RADARR, "http://radarr:7878"))
    item = copy(9, "http://prowlarr:9696", 3, "Tracker")
    assert stack.route_of("r", item) == (Route.UNKNOWN_SOURCE, None)
    assert stack.copies_of("p", 3) == []
    unregister()
    assert stack.route_of("x", item) == (Route.DIRECT, None)
