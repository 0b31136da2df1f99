"""Tests for scripted faults (instances and indexers) and the request log."""

import asyncio

import aiohttp
import pytest

from arr_simulator import ArrSimulator

from .helpers import call, get_json


async def test_down_refuses_connections(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """down really stops listening; up listens again on the same port."""
    radarr = arr_simulator.instance("radarr")
    port = radarr.port
    await radarr.set_down(True)
    assert radarr.down
    with pytest.raises(aiohttp.ClientConnectorError):
        await call(session, radarr, "GET", "/system/status")
    await radarr.set_down(False)
    assert radarr.port == port
    assert radarr.info()["down"] is False
    assert (await call(session, radarr, "GET", "/system/status")).status == 200


async def test_unauthorized_fault(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """unauthorized: every /api request is 401 with an empty body; ping still works."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_fault("unauthorized")
    reply = await call(session, radarr, "GET", "/indexer")
    assert (reply.status, reply.text) == (401, "")
    async with session.get(f"{radarr.url}/ping") as response:
        assert response.status == 200
    radarr.set_fault(None)
    assert (await call(session, radarr, "GET", "/indexer")).status == 200


async def test_error_fault(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """error: 500 with the apps' {message, description} error body."""
    sonarr = arr_simulator.instance("sonarr")
    sonarr.set_fault("error", message="disk I/O error")
    reply = await call(session, sonarr, "GET", "/indexer")
    assert reply.status == 500
    assert reply.json["message"] == "disk I/O error"
    assert "description" in reply.json
    async with session.get(f"{sonarr.url}/ping") as response:
        assert (response.status, await response.json()) == (500, {"status": "Error"})


async def test_html_fault(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """html: a reverse proxy login page (200 text/html) for every request."""
    prowlarr = arr_simulator.instance("prowlarr")
    prowlarr.set_fault("html")
    reply = await call(session, prowlarr, "GET", "/indexer", key="anything")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "<form" in reply.text


async def test_starting_fault(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """starting: 503 with the StartingUpMiddleware message."""
    radarr4k = arr_simulator.instance("radarr4k")
    radarr4k.set_fault("starting")
    reply = await call(session, radarr4k, "GET", "/system/status")
    assert reply.status == 503
    assert reply.json == {
        "errorMessage": "Radarr is starting up, please try again later"
    }


async def test_slow_fault(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """slow: every response is delayed."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_fault("slow", delay=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await call(session, radarr, "GET", "/system/status")).status == 200
    assert loop.time() - started >= 0.3
    with pytest.raises(TimeoutError):
        await call(session, radarr, "GET", "/system/status", time_limit=0.1)
    radarr.set_fault("none")
    assert radarr.fault is None


def test_down_is_not_a_plain_fault(arr_simulator: ArrSimulator) -> None:
    """set_fault("down") points to the awaitable set_down."""
    with pytest.raises(ValueError, match="set_down"):
        arr_simulator.instance("radarr").set_fault("down")


async def test_indexer_latency(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """latency is added to each test of the indexer."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, latency=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=radarr.indexers[1]
    )
    assert reply.status == 200
    assert loop.time() - started >= 0.3


async def test_indexer_hang_until_client_gives_up(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """hang: the test never answers; nothing is recorded when the client leaves."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(2, hang=True)
    with pytest.raises(TimeoutError):
        await call(
            session,
            radarr,
            "POST",
            "/indexer/test",
            body=radarr.indexers[2],
            time_limit=0.2,
        )
    assert radarr.status(2).escalation_level == 0
    # The server is still responsive.
    assert (await call(session, radarr, "GET", "/indexer/2")).status == 200


async def test_indexer_hang_is_capped(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """After the hang cap the test fails with the apps' timeout message
    (ManagedHttpDispatcher's "Http request timed out", in HttpIndexerBase's
    "server is unavailable" branch)."""
    radarr = arr_simulator.instance("radarr")
    radarr.hang_timeout = 0.2
    radarr.set_indexer_fault(2, hang=True)
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=radarr.indexers[2]
    )
    assert reply.status == 400
    assert reply.json[0]["errorMessage"] == (
        "Unable to connect to indexer, indexer's server is unavailable. Try again "
        "later. Http request timed out"
    )
    assert radarr.status(2).escalation_level == 1


async def test_hang_does_not_block_shutdown(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Going down interrupts a hanging test and drops its connection."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(2, hang=True)
    pending = asyncio.create_task(
        call(
            session,
            radarr,
            "POST",
            "/indexer/test",
            body=radarr.indexers[2],
            time_limit=5,
        )
    )
    await asyncio.sleep(0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await radarr.set_down(True)
    assert loop.time() - started < 1.5
    with pytest.raises(aiohttp.ClientError):
        await pending


async def test_request_log(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Every request is logged with method, path, query and parsed body."""
    radarr4k = arr_simulator.instance("radarr4k")
    radarr4k.clear_requests()
    body = await get_json(session, radarr4k, "/indexer/2")
    await call(
        session,
        radarr4k,
        "PUT",
        "/indexer/2",
        body=body | {"priority": 3},
        params={"forceSave": "true"},
    )
    await call(session, radarr4k, "GET", "/indexer", key="wrong")
    requests = radarr4k.requests
    assert [(r.method, r.path) for r in requests] == [
        ("GET", "/radarr4k/api/v3/indexer/2"),
        ("PUT", "/radarr4k/api/v3/indexer/2"),
        ("GET", "/radarr4k/api/v3/indexer"),
    ]
    put = requests[1]
    assert put.query == {"forceSave": "true"}
    assert put.body == body | {"priority": 3}
    assert put.headers["X-Api-Key"] == radarr4k.api_key
    assert requests[0].body is None
    radarr4k.clear_requests()
    assert radarr4k.requests == []


async def test_flaky_indexer_fails_every_nth_use(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A fault with `every` = 3 meets only every third test: a flaky site."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(2, kind="timeout", every=3)
    statuses = [
        (
            await call(
                session, radarr, "POST", "/indexer/test", body=radarr.indexers[2]
            )
        ).status
        for _ in range(6)
    ]
    assert statuses == [200, 200, 400, 200, 200, 400]
