"""Tests for the control API."""

from typing import Any

import aiohttp
import pytest

from arr_simulator import ArrSimulator

from .helpers import call


async def control(
    session: aiohttp.ClientSession,
    simulator: ArrSimulator,
    method: str,
    path: str,
    body: Any = None,
) -> tuple[int, Any]:
    """Call the control API; return status and JSON body."""
    assert simulator.control_url is not None
    async with session.request(
        method, f"{simulator.control_url}{path}", json=body
    ) as response:
        return response.status, await response.json()


async def test_list_instances(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """GET /instances lists name, app, url, key, url base and API version."""
    status, instances = await control(session, arr_simulator, "GET", "/instances")
    assert status == 200
    radarr4k = next(item for item in instances if item["name"] == "radarr4k")
    expected = arr_simulator.instance("radarr4k")
    assert radarr4k["app"] == "Radarr"
    assert radarr4k["url"] == expected.url
    assert radarr4k["url"].endswith("/radarr4k")
    assert radarr4k["api_key"] == expected.api_key
    assert radarr4k["url_base"] == "/radarr4k"
    assert radarr4k["api_version"] == "v3"
    assert [item["name"] for item in instances] == [
        "prowlarr",
        "radarr",
        "radarr4k",
        "sonarr",
    ]


async def test_instance_faults(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """POST /instances/{name}/fault sets and clears faults, down included."""
    radarr = arr_simulator.instance("radarr")
    status, info = await control(
        session, arr_simulator, "POST", "/instances/radarr/fault", {"mode": "starting"}
    )
    assert (status, info["fault"]["mode"]) == (200, "starting")
    assert (await call(session, radarr, "GET", "/indexer")).status == 503
    await control(
        session, arr_simulator, "POST", "/instances/radarr/fault", {"mode": "down"}
    )
    with pytest.raises(aiohttp.ClientConnectorError):
        await call(session, radarr, "GET", "/indexer")
    status, info = await control(
        session, arr_simulator, "POST", "/instances/radarr/fault", {"mode": None}
    )
    assert (status, info["down"], info["fault"]) == (200, False, None)
    assert (await call(session, radarr, "GET", "/indexer")).status == 200
    status, _ = await control(
        session, arr_simulator, "POST", "/instances/radarr/fault", {"mode": "broken"}
    )
    assert status == 400
    status, _ = await control(
        session, arr_simulator, "POST", "/instances/nope/fault", {"mode": None}
    )
    assert status == 404


async def test_indexer_fault_and_status(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Indexer faults drive the test; the status endpoint shows the back-off."""
    sonarr = arr_simulator.instance("sonarr")
    status, _ = await control(
        session,
        arr_simulator,
        "POST",
        "/instances/sonarr/indexers/1/fault",
        {"fail": "Invalid API Key"},
    )
    assert status == 200
    reply = await call(
        session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[1]
    )
    assert reply.json[0]["errorMessage"] == "Invalid API Key"
    status, backoff = await control(
        session, arr_simulator, "GET", "/instances/sonarr/indexers/1/status"
    )
    assert status == 200
    assert backoff["escalation_level"] == 1
    assert backoff["disabled"] is True
    assert backoff["disabled_till"].endswith("Z")
    await control(
        session,
        arr_simulator,
        "POST",
        "/instances/sonarr/indexers/1/fault",
        {"fail": None},
    )
    assert sonarr.indexer_fault(1) is None
    status, _ = await control(
        session, arr_simulator, "GET", "/instances/sonarr/indexers/99/status"
    )
    assert status == 404


async def test_request_log_endpoints(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """GET/DELETE /instances/{name}/requests."""
    prowlarr = arr_simulator.instance("prowlarr")
    await call(
        session, prowlarr, "PUT", "/indexer/bulk", body={"ids": [2], "priority": 4}
    )
    status, requests = await control(
        session, arr_simulator, "GET", "/instances/prowlarr/requests"
    )
    assert status == 200
    assert requests[-1]["method"] == "PUT"
    assert requests[-1]["body"] == {"ids": [2], "priority": 4}
    await control(session, arr_simulator, "DELETE", "/instances/prowlarr/requests")
    assert prowlarr.requests == []


async def test_add_and_remove_indexers(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Indexers can appear and disappear through the control API."""
    status, added = await control(
        session,
        arr_simulator,
        "POST",
        "/instances/radarr/indexers",
        {
            "name": "FreshNZB",
            "implementation": "Newznab",
            "fields": {"baseUrl": "https://api.fresh.example-nzb.test"},
        },
    )
    assert status == 201
    assert added["id"] == 12
    status, _ = await control(
        session, arr_simulator, "POST", "/instances/radarr/indexers", {"nam": "x"}
    )
    assert status == 400
    status, _ = await control(
        session, arr_simulator, "DELETE", "/instances/radarr/indexers/12"
    )
    assert status == 200
    assert 12 not in arr_simulator.instance("radarr").indexers


async def test_reset(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """POST /reset reseeds indexers and clears faults, logs and back-off."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="x")
    await call(session, radarr, "POST", "/indexer/test", body=radarr.indexers[1])
    await call(session, radarr, "DELETE", "/indexer/2")
    radarr.set_fault("html")
    await arr_simulator.instance("sonarr").set_down(True)
    status, _ = await control(session, arr_simulator, "POST", "/reset")
    assert status == 200
    assert radarr.fault is None
    assert radarr.indexer_fault(1) is None
    assert radarr.status(1).escalation_level == 0
    assert sorted(radarr.indexers) == list(range(1, 12))
    assert radarr.indexers[6]["name"] == "TorrentHaven (Prowlarr)"
    assert radarr.requests == []
    assert (
        await call(session, arr_simulator.instance("sonarr"), "GET", "/indexer")
    ).status == 200


async def test_fault_kinds_urls_traffic_and_sync(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Fault kinds and URL-bound faults, real traffic in Prowlarr's history, and
    the scheduled sync, all through the control API."""
    radarr = arr_simulator.instance("radarr")
    status, body = await control(
        session,
        arr_simulator,
        "POST",
        "/instances/radarr/indexers/1/fault",
        {"kind": "auth", "url": "https://api.geeknzb"},
    )
    assert (status, body["kind"], body["url"]) == (200, "auth", "https://api.geeknzb")
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=radarr.indexers[1]
    )
    assert reply.json[0]["errorMessage"] == "Invalid API Key"
    status, body = await control(
        session,
        arr_simulator,
        "POST",
        "/instances/radarr/indexers/1/fault",
        {"kind": "sunspots"},
    )
    assert status == 400
    status, body = await control(
        session,
        arr_simulator,
        "POST",
        "/instances/prowlarr/indexers/4/history",
        {"count": 3, "source": "Sonarr"},
    )
    assert (status, body) == (201, {"id": 4, "recorded": 3})
    assert len(arr_simulator.instance("prowlarr").state.history) == 3
    status, _ = await control(
        session,
        arr_simulator,
        "POST",
        "/instances/radarr/indexers/1/history",
        {"count": 1},
    )
    assert status == 400
    status, _ = await control(
        session,
        arr_simulator,
        "POST",
        "/instances/prowlarr/indexers/4/history",
        {"count": 0},
    )
    assert status == 400
    radarr.indexers[6]["enableRss"] = False
    status, _ = await control(
        session, arr_simulator, "POST", "/instances/prowlarr/sync", {"force": True}
    )
    assert status == 200
    assert radarr.indexers[6]["enableRss"] is True
    status, _ = await control(session, arr_simulator, "POST", "/instances/radarr/sync")
    assert status == 400
