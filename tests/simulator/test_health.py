"""Tests for GET /health, computed from the indexers and their back-off."""

from datetime import UTC, datetime, timedelta

import aiohttp

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory

from .helpers import FakeClock, call, get_json

WIKI = "https://wiki.servarr.com/radarr/system"


async def fail_test(
    session: aiohttp.ClientSession, simulator: ArrSimulator, name: str, indexer_id: int
) -> None:
    """Make one indexer fail its test once (it is then blocked)."""
    instance = simulator.instance(name)
    instance.set_indexer_fault(indexer_id, fail="Unable to connect to indexer")
    reply = await call(
        session, instance, "POST", "/indexer/test", body=instance.indexers[indexer_id]
    )
    assert reply.status == 400


async def test_healthy_app_has_no_checks(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Only failing checks are listed."""
    assert await get_json(session, arr_simulator.instance("radarr"), "/health") == []


async def test_blocked_indexers_warning(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Blocked enabled indexers are named, comma-joined, in id order."""
    await fail_test(session, arr_simulator, "radarr", 2)
    await fail_test(session, arr_simulator, "radarr", 1)
    # A blocked but user-disabled indexer is not reported.
    await fail_test(session, arr_simulator, "radarr", 5)
    health = await get_json(session, arr_simulator.instance("radarr"), "/health")
    assert health == [
        {
            "source": "IndexerStatusCheck",
            "type": "warning",
            "message": "Indexers unavailable due to failures: GeekNZB, TipsySlug",
            "wikiUrl": f"{WIKI}#indexers-are-unavailable-due-to-failures",
            "id": 0,
        }
    ]


async def test_all_blocked_is_an_error(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """When every enabled indexer is blocked the checks turn into errors."""
    radarr4k = arr_simulator.instance("radarr4k")
    for indexer_id in radarr4k.state.testable_ids():
        await fail_test(session, arr_simulator, "radarr4k", indexer_id)
    health = await get_json(session, radarr4k, "/health")
    assert {(item["source"], item["type"], item["message"]) for item in health} == {
        (
            "IndexerRssCheck",
            "warning",
            "All rss-capable indexers are temporarily unavailable due to recent indexer errors",
        ),
        (
            "IndexerSearchCheck",
            "warning",
            "All search-capable indexers are temporarily unavailable due to recent indexer errors",
        ),
        ("IndexerStatusCheck", "error", "All indexers are unavailable due to failures"),
    }


async def test_long_term_failures(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Indexers failing for more than 6 hours move to IndexerLongTermStatusCheck."""
    clock = FakeClock(datetime(2025, 6, 1, tzinfo=UTC))
    simulator = await arr_simulator_factory(clock=clock)
    radarr = simulator.instance("radarr")
    for _ in range(8):
        await fail_test(session, simulator, "radarr", 1)
    await fail_test(session, simulator, "radarr", 2)
    clock.now += timedelta(hours=7)
    await fail_test(session, simulator, "radarr", 3)
    health = await get_json(session, radarr, "/health")
    assert [(item["source"], item["message"]) for item in health] == [
        ("IndexerStatusCheck", "Indexers unavailable due to failures: NZBSeeker"),
        (
            "IndexerLongTermStatusCheck",
            "Indexers unavailable due to failures for more than 6 hours: GeekNZB",
        ),
    ]


async def test_no_rss_and_no_search(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Turning RSS / search off everywhere raises IndexerRssCheck / IndexerSearchCheck."""
    radarr = arr_simulator.instance("radarr")
    ids = sorted(radarr.indexers)
    await call(
        session, radarr, "PUT", "/indexer/bulk", body={"ids": ids, "enableRss": False}
    )
    health = await get_json(session, radarr, "/health")
    assert health == [
        {
            "source": "IndexerRssCheck",
            "type": "error",
            "message": "No indexers available with RSS sync enabled, Radarr will not grab new releases automatically",
            "wikiUrl": f"{WIKI}#no-indexers-available-with-rss-sync-enabled-radarr-will-not-grab-new-releases-automatically",
            "id": 0,
        }
    ]
    await call(
        session,
        radarr,
        "PUT",
        "/indexer/bulk",
        body={"ids": ids, "enableAutomaticSearch": False},
    )
    health = await get_json(session, radarr, "/health")
    assert [item["message"] for item in health][1] == (
        "No indexers available with Automatic Search enabled, Radarr will not provide any automatic search results"
    )


async def test_prowlarr_health(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """The seeded FlakyTracker starts out blocked in Prowlarr."""
    health = await get_json(session, arr_simulator.instance("prowlarr"), "/health")
    assert health == [
        {
            "source": "IndexerStatusCheck",
            "type": "warning",
            "message": "Indexers unavailable due to failures: FlakyTracker",
            "wikiUrl": "https://wiki.servarr.com/prowlarr/system#indexers-are-unavailable-due-to-failures",
            "id": 0,
        }
    ]
