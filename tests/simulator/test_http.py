"""Tests for the cross-cutting HTTP behaviour: auth, url base, status, errors."""

import aiohttp
import pytest

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory

from .helpers import call, get_json

READARR = """
[[instance]]
name = "readarr"
app = "Readarr"
url_base = "/books"
api_key = "00000000000000000000000000000002"
[[instance.indexer]]
name = "BookNZB"
implementation = "Newznab"
fields = { baseUrl = "https://api.booknzb.example-nzb.test", apiKey = "secret-book-key" }
"""


@pytest.mark.parametrize("how", ["header", "query", "bearer"])
async def test_api_key_accepted(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession, how: str
) -> None:
    """The key works as ?apikey=, X-Api-Key or Authorization: Bearer."""
    radarr = arr_simulator.instance("radarr")
    headers = {
        "header": {"X-Api-Key": radarr.api_key},
        "bearer": {"Authorization": f"Bearer {radarr.api_key}"},
        "query": {},
    }[how]
    params = {"apikey": radarr.api_key} if how == "query" else {}
    async with session.get(
        f"{radarr.api_url}/system/status", headers=headers, params=params
    ) as response:
        assert response.status == 200
        assert response.headers["X-Application-Version"] == "6.0.4.10291"


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({}, {}),
        ({"X-Api-Key": "wrong"}, {}),
        ({"Authorization": "Bearer wrong"}, {}),
        # The query key is read first, even when the header is right.
        ({"X-Api-Key": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}, {"apikey": "wrong"}),
    ],
)
async def test_unauthorized_is_401_with_empty_body(
    arr_simulator: ArrSimulator,
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    params: dict[str, str],
) -> None:
    """Missing or wrong keys get 401, no body and no version header."""
    radarr = arr_simulator.instance("radarr")
    async with session.get(
        f"{radarr.api_url}/indexer", headers=headers, params=params
    ) as response:
        assert response.status == 401
        assert await response.read() == b""
        assert "X-Application-Version" not in response.headers


async def test_ping_is_anonymous(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """GET /ping needs no key."""
    radarr4k = arr_simulator.instance("radarr4k")
    async with session.get(f"{radarr4k.url}/ping") as response:
        assert response.status == 200
        assert await response.json() == {"status": "OK"}


@pytest.mark.parametrize(("name", "version"), [("radarr", "v3"), ("prowlarr", "v1")])
async def test_api_info(
    arr_simulator: ArrSimulator,
    session: aiohttp.ClientSession,
    name: str,
    version: str,
) -> None:
    """GET /api names the current API version."""
    instance = arr_simulator.instance(name)
    async with session.get(
        f"{instance.url}/api", headers={"X-Api-Key": instance.api_key}
    ) as response:
        assert await response.json() == {"current": version, "deprecated": []}
        assert response.headers["X-Application-Version"] == instance.config.version


async def test_wrong_api_version_is_404(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Prowlarr has no /api/v3, Radarr has no /api/v1."""
    for name, version in (("prowlarr", "v3"), ("radarr", "v1")):
        instance = arr_simulator.instance(name)
        async with session.get(
            f"{instance.url}/api/{version}/indexer",
            headers={"X-Api-Key": instance.api_key},
        ) as response:
            assert response.status == 404


async def test_url_base_redirect_keeps_query(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Without the url base, Radarr answers 307 to the prefixed path."""
    radarr4k = arr_simulator.instance("radarr4k")
    async with session.get(
        f"{radarr4k.root_url}/api/v3/system/status",
        params={"apikey": radarr4k.api_key},
        allow_redirects=False,
    ) as response:
        assert response.status == 307
        assert response.headers["Location"] == (
            f"/radarr4k/api/v3/system/status?apikey={radarr4k.api_key}"
        )
    async with session.get(
        f"{radarr4k.root_url}/api/v3/system/status",
        headers={"X-Api-Key": radarr4k.api_key},
    ) as response:
        assert response.status == 200
        assert (await response.json())["urlBase"] == "/radarr4k"


async def test_readarr_redirects_with_302_and_shows_secrets(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Readarr still redirects with 302 and never masks secrets."""
    simulator = await arr_simulator_factory(READARR)
    readarr = simulator.instance("readarr")
    async with session.get(
        f"{readarr.root_url}/ping", allow_redirects=False
    ) as response:
        assert response.status == 302
        assert response.headers["Location"] == "/books/ping"
    indexer = await get_json(session, readarr, "/indexer/1")
    assert {f["name"]: f.get("value") for f in indexer["fields"]}["apiKey"] == (
        "secret-book-key"
    )


async def test_system_status(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """system/status carries appName, instanceName, version and urlBase."""
    status = await get_json(
        session, arr_simulator.instance("radarr4k"), "/system/status"
    )
    assert status["appName"] == "Radarr"
    assert status["instanceName"] == "Radarr 4K"
    assert status["version"] == "6.0.4.10291"
    assert status["urlBase"] == "/radarr4k"
    assert status["startTime"].endswith("Z")
    prowlarr = await get_json(
        session, arr_simulator.instance("prowlarr"), "/system/status"
    )
    assert prowlarr["appName"] == "Prowlarr"
    assert prowlarr["urlBase"] == ""


async def test_legacy_status_has_no_app_name(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Old v3-era apps do not report appName and instanceName."""
    simulator = await arr_simulator_factory(
        """
[[instance]]
name = "sonarr"
app = "Sonarr"
version = "3.0.10.1567"
legacy_status = true
api_key = "00000000000000000000000000000003"
"""
    )
    status = await get_json(session, simulator.instance("sonarr"), "/system/status")
    assert "appName" not in status
    assert "instanceName" not in status
    assert status["version"] == "3.0.10.1567"


async def test_indexers_sorted_by_name_ignoring_case(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """GET /indexer sorts by name, case-insensitively."""
    radarr = arr_simulator.instance("radarr")
    radarr.add_indexer(
        {
            "name": "aardvark",
            "implementation": "Newznab",
            "fields": {"baseUrl": "https://a.example-nzb.test"},
        }
    )
    names = [item["name"] for item in await get_json(session, radarr, "/indexer")]
    assert names == sorted(names, key=str.casefold)
    assert names[0] == "aardvark"
    assert len(names) == 12


async def test_unknown_indexer_is_404_with_message(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """An unknown id answers 404 with a JSON message."""
    reply = await call(session, arr_simulator.instance("radarr"), "GET", "/indexer/999")
    assert reply.status == 404
    assert reply.json == {"message": "IndexerDefinition with ID 999 does not exist"}
    assert reply.headers["X-Application-Version"] == "6.0.4.10291"


async def test_unknown_route_and_method(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Unknown API routes are 404, a known route with another verb is 405."""
    radarr = arr_simulator.instance("radarr")
    assert (await call(session, radarr, "GET", "/nothing")).status == 404
    assert (await call(session, radarr, "PATCH", "/indexer/1")).status == 405
    # Prowlarr-only endpoints do not exist in the other apps.
    assert (await call(session, radarr, "GET", "/indexerstatus")).status == 404


async def test_check_health_command(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """POST /command CheckHealth answers 201 with a command resource."""
    sonarr = arr_simulator.instance("sonarr")
    reply = await call(
        session, sonarr, "POST", "/command", body={"name": "CheckHealth"}
    )
    assert reply.status == 201
    assert reply.json["name"] == "CheckHealth"
    assert reply.json["status"] == "queued"
    command = await get_json(session, sonarr, f"/command/{reply.json['id']}")
    assert command["status"] == "completed"
    unknown = await call(session, sonarr, "POST", "/command", body={"name": "Nope"})
    assert unknown.status == 400


async def test_lidarr_and_whisparr(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Lidarr serves /api/v1, Whisparr /api/v3 with Sonarr-style resources."""
    simulator = await arr_simulator_factory(
        """
[[instance]]
name = "lidarr"
app = "Lidarr"
api_key = "00000000000000000000000000000005"
[[instance.indexer]]
name = "MusicNZB"
implementation = "Newznab"
fields = { baseUrl = "https://api.musicnzb.example-nzb.test" }

[[instance]]
name = "whisparr"
app = "Whisparr"
api_key = "00000000000000000000000000000006"
[[instance.indexer]]
name = "SomeTorznab"
fields = { baseUrl = "https://sometorznab.example-tracker.test" }
"""
    )
    lidarr = simulator.instance("lidarr")
    assert lidarr.api_url.endswith("/api/v1")
    music = await get_json(session, lidarr, "/indexer/1")
    assert {f["name"]: f.get("value") for f in music["fields"]}["categories"] == [
        3000,
        3010,
        3020,
        3030,
        3040,
    ]
    whisparr = simulator.instance("whisparr")
    assert whisparr.api_url.endswith("/api/v3")
    torznab = await get_json(session, whisparr, "/indexer/1")
    assert torznab["seasonSearchMaximumSingleEpisodeAge"] == 0
    assert torznab["protocol"] == "torrent"
