"""Tests for Prowlarr: indexerstatus, indexerstats, applications and app sync."""

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory

from .helpers import FakeClock, call, field, get_json

PROWLARR_KEY = "5f3a9c1e7b2d4f6081a3c5e7f9b1d3e5"


async def test_indexerstatus_lists_blocked_only(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Only currently blocked indexers are listed, with id 0."""
    clock = FakeClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    simulator = await arr_simulator_factory(clock=clock)
    prowlarr = simulator.instance("prowlarr")
    assert await get_json(session, prowlarr, "/indexerstatus") == [
        {
            "indexerId": 6,
            "disabledTill": "2025-06-01T12:05:00Z",
            "mostRecentFailure": "2025-06-01T12:00:00Z",
            "initialFailure": "2025-06-01T12:00:00Z",
            "id": 0,
        }
    ]
    clock.now += timedelta(minutes=6)
    assert await get_json(session, prowlarr, "/indexerstatus") == []
    # The status row is kept: the next failure escalates further.
    assert prowlarr.status(6).escalation_level == 2


async def test_indexerstats_from_history(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Prowlarr's own tests write no history (TestConnection publishes no
    IndexerQueryEvent); the apps' queries do, RSS and searches counted apart
    (IndexerStatisticsService)."""
    clock = FakeClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    simulator = await arr_simulator_factory(clock=clock)
    prowlarr = simulator.instance("prowlarr")
    assert (await get_json(session, prowlarr, "/indexerstats"))["indexers"] == []
    for _ in range(2):
        await call(
            session, prowlarr, "POST", "/indexer/test", body=prowlarr.indexers[1]
        )
    assert (await get_json(session, prowlarr, "/indexerstats"))["indexers"] == []
    prowlarr.record_traffic(1, count=2, source="Radarr")
    prowlarr.record_traffic(1, event_type="indexerQuery", source="Radarr")
    clock.now += timedelta(hours=1)
    prowlarr.record_traffic(6, successful=False, source="Sonarr")
    stats = await get_json(session, prowlarr, "/indexerstats")
    assert stats["id"] == 0
    assert [
        (
            s["indexerId"],
            s["indexerName"],
            s["numberOfQueries"],
            s["numberOfRssQueries"],
            s["numberOfFailedRssQueries"],
        )
        for s in stats["indexers"]
    ] == [(1, "TorrentHaven", 1, 2, 0), (6, "FlakyTracker", 0, 1, 1)]
    assert stats["userAgents"] == [
        {"userAgent": "Radarr", "numberOfQueries": 3, "numberOfGrabs": 0},
        {"userAgent": "Sonarr", "numberOfQueries": 1, "numberOfGrabs": 0},
    ]
    filtered = await call(
        session, prowlarr, "GET", "/indexerstats", params={"indexers": "6"}
    )
    assert [s["indexerId"] for s in filtered.json["indexers"]] == [6]
    early = await call(
        session,
        prowlarr,
        "GET",
        "/indexerstats",
        params={"endDate": "2025-06-01T12:30:00Z"},
    )
    assert [s["indexerId"] for s in early.json["indexers"]] == [1]
    late = await call(
        session,
        prowlarr,
        "GET",
        "/indexerstats",
        params={"startDate": "2025-06-01T12:30:00Z"},
    )
    assert [s["indexerId"] for s in late.json["indexers"]] == [6]
    usenet = await call(
        session, prowlarr, "GET", "/indexerstats", params={"protocols": "usenet"}
    )
    assert usenet.json["indexers"] == []


async def test_applications(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """One full-sync application per app that syncs from this Prowlarr."""
    prowlarr = arr_simulator.instance("prowlarr")
    applications = await get_json(session, prowlarr, "/applications")
    assert [
        (a["id"], a["name"], a["implementation"], a["syncLevel"]) for a in applications
    ] == [
        (1, "Radarr", "Radarr", "fullSync"),
        (2, "Radarr 4K", "Radarr", "addOnly"),
        (3, "Sonarr", "Sonarr", "fullSync"),
    ]
    assert [a["enable"] for a in applications] == [True, True, True]
    radarr4k = applications[1]
    assert field(radarr4k, "prowlarrUrl") == prowlarr.url
    assert field(radarr4k, "baseUrl") == arr_simulator.instance("radarr4k").url
    assert field(radarr4k, "apiKey") == "********"


async def test_synced_indexers_layout(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Synced indexers: "X (Prowlarr)", baseUrl {prowlarr}/{id}/, Prowlarr's key."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")
    synced = await get_json(session, radarr, "/indexer/6")
    assert synced["name"] == "TorrentHaven (Prowlarr)"
    assert synced["implementation"] == "Torznab"
    assert field(synced, "baseUrl") == f"{prowlarr.url}/1/"
    assert field(synced, "apiPath") == "/api"
    assert field(synced, "apiKey") == "********"
    assert field(radarr.indexers[6], "apiKey") == PROWLARR_KEY
    # Only the categories Radarr syncs.
    assert field(synced, "categories") == [2000, 2040, 2045]
    assert field(synced, "seedCriteria.seedRatio") == 1.0
    usenet = radarr.indexers[8]
    assert (usenet["name"], usenet["implementation"], usenet["protocol"]) == (
        "UsenetPrime (Prowlarr)",
        "Newznab",
        "usenet",
    )
    assert usenet["priority"] == 20
    names = {r["name"] for r in radarr.indexers.values()}
    # SyncIndexers adds only enabled Prowlarr indexers (ApplicationService.cs).
    assert "OldTracker (Prowlarr)" not in names
    assert "EpisodeFeed (Prowlarr)" not in names
    assert "FilmVault (Prowlarr)" not in {
        r["name"] for r in arr_simulator.instance("sonarr").indexers.values()
    }
    radarr4k = arr_simulator.instance("radarr4k")
    assert field(radarr4k.indexers[5], "minimumSeeders") == 3


async def test_full_sync_overwrites_app_side_flags(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """ApplicationIndexerSync puts Prowlarr's flags/priority back; tags stay."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")
    reply = await call(
        session,
        radarr,
        "PUT",
        "/indexer/bulk",
        body={"ids": [6, 7], "enableRss": False, "priority": 50, "tags": [4]},
    )
    assert reply.status == 202
    reply = await call(
        session, prowlarr, "POST", "/command", body={"name": "ApplicationIndexerSync"}
    )
    assert reply.status == 201
    for indexer_id in (6, 7):
        assert radarr.indexers[indexer_id]["enableRss"] is True
        assert radarr.indexers[indexer_id]["tags"] == [4]
    assert radarr.indexers[6]["priority"] == 25
    assert radarr.indexers[7]["priority"] == 10


async def test_prowlarr_changes_reach_the_apps(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A Prowlarr PUT or bulk edit syncs at once; a delete removes the copies."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")
    sonarr = arr_simulator.instance("sonarr")
    body = await get_json(session, prowlarr, "/indexer/1")
    reply = await call(
        session,
        prowlarr,
        "PUT",
        "/indexer/1",
        body=body | {"name": "TorrentHeaven", "priority": 5},
    )
    assert reply.status == 202
    assert (radarr.indexers[6]["name"], radarr.indexers[6]["priority"]) == (
        "TorrentHeaven (Prowlarr)",
        5,
    )
    reply = await call(
        session, prowlarr, "PUT", "/indexer/bulk", body={"ids": [1], "enable": False}
    )
    assert reply.status == 202
    assert radarr.indexers[6]["enableInteractiveSearch"] is False
    assert sonarr.indexers[5]["enableRss"] is False
    assert (await call(session, prowlarr, "DELETE", "/indexer/1")).status == 200
    assert 6 not in radarr.indexers
    assert 5 not in sonarr.indexers


async def test_full_sync_re_adds_deleted_app_indexer(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A synced indexer deleted in the app comes back with the next full sync."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")
    await call(session, radarr, "DELETE", "/indexer/7")
    await call(
        session, prowlarr, "POST", "/command", body={"name": "ApplicationIndexerSync"}
    )
    assert radarr.indexers[12]["name"] == "FilmVault (Prowlarr)"


async def test_added_prowlarr_indexer_is_synced(arr_simulator: ArrSimulator) -> None:
    """add_indexer on a Prowlarr pushes the new indexer into the apps."""
    prowlarr = arr_simulator.instance("prowlarr")
    added = prowlarr.add_indexer(
        {"name": "NewTracker", "protocol": "torrent", "categories": [2000, 2040]}
    )
    assert added["id"] == 9
    radarr = arr_simulator.instance("radarr")
    assert radarr.indexers[12]["name"] == "NewTracker (Prowlarr)"
    assert field(radarr.indexers[12], "baseUrl") == f"{prowlarr.url}/9/"
    assert "NewTracker (Prowlarr)" not in {
        r["name"] for r in arr_simulator.instance("sonarr").indexers.values()
    }


async def test_synced_test_outcomes(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A synced copy's test is an RSS query to Prowlarr's Newznab endpoint
    (NewznabController.cs): 429 while blocked, 410 when disabled, an empty feed
    ("no results") when the site fails inside Prowlarr, else a pass."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")

    async def test(indexer_id: int) -> str | None:
        reply = await call(
            session, radarr, "POST", "/indexer/test", body=radarr.indexers[indexer_id]
        )
        return None if reply.status == 200 else str(reply.json[0]["errorMessage"])

    blocked = await test(9)
    assert blocked is not None
    assert blocked.startswith(
        "Unable to connect to indexer, check the log above the ValidationFailure"
    )
    # HttpException shows the whole URL, the Prowlarr API key included.
    assert f"[429:TooManyRequests] [GET] at [{prowlarr.url}/6/api?t=movie" in blocked
    assert f"&apikey={PROWLARR_KEY}&" in blocked
    # IndexerFactory.Test records a plain failure: no minimum back-off from the
    # 429's Retry-After (that is only for real searches).
    assert radarr.status(9).escalation_level == 1
    prowlarr.remove_indexer(5)
    prowlarr.set_indexer_fault(1, kind="auth")
    assert await test(6) == (
        "Query successful, but no results in the configured categories were "
        "returned from your indexer. This may be an issue with the indexer or your "
        "indexer category settings."
    )
    assert prowlarr.status(1).escalation_level == 1
    assert radarr.status(6).escalation_level == 1
    prowlarr.clear_indexer_fault(3)
    assert await test(7) is None
    stats = await get_json(session, prowlarr, "/indexerstats")
    assert [
        (s["indexerId"], s["numberOfRssQueries"], s["numberOfFailedRssQueries"])
        for s in stats["indexers"]
    ] == [
        (1, 1, 1),
        (3, 1, 0),
    ]
    assert stats["userAgents"] == [
        {"userAgent": "Radarr/6.0.4.10291", "numberOfQueries": 2, "numberOfGrabs": 0}
    ]
    assert stats["hosts"] == [
        {"host": f"127.0.0.1:{radarr.port}", "numberOfQueries": 2, "numberOfGrabs": 0}
    ]


async def test_synced_test_with_prowlarr_down(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """With Prowlarr down, every synced indexer's test fails."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")
    await prowlarr.set_down(True)
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=radarr.indexers[6]
    )
    assert reply.status == 400
    assert "Connection refused" in reply.json[0]["errorMessage"]
    await prowlarr.set_down(False)
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=radarr.indexers[6]
    )
    assert reply.status == 200


async def test_reseeding_one_side_keeps_the_sync(arr_simulator: ArrSimulator) -> None:
    """Resetting an app or a Prowlarr alone re-syncs the copies."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")
    radarr.remove_indexer(6)
    radarr.reset()
    assert radarr.indexers[6]["name"] == "TorrentHaven (Prowlarr)"
    assert sorted(radarr.indexers) == list(range(1, 12))
    prowlarr.remove_indexer(1)
    assert 6 not in radarr.indexers
    prowlarr.reset()
    assert radarr.indexers[12]["name"] == "TorrentHaven (Prowlarr)"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("unauthorized", "[401:Unauthorized]"),
        ("error", "[500:InternalServerError]"),
        ("starting", "[503:ServiceUnavailable]"),
        ("html", "Data at the root level is invalid"),
    ],
)
async def test_synced_test_with_prowlarr_fault(
    arr_simulator: ArrSimulator,
    session: aiohttp.ClientSession,
    mode: str,
    expected: str,
) -> None:
    """Prowlarr's own HTTP faults make the synced indexers' tests fail."""
    arr_simulator.instance("prowlarr").set_fault(mode)
    sonarr = arr_simulator.instance("sonarr")
    reply = await call(
        session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[5]
    )
    assert reply.status == 400
    assert expected in reply.json[0]["errorMessage"]
