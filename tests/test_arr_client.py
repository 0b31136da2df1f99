"""Tests of the Arr client against recorded-shape payloads (aioresponses)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
import re
from typing import Any
from unittest.mock import Mock

import aiohttp
from aioresponses import aioresponses
import pytest
from yarl import URL

from custom_components.ai_arr_control.arr import (
    ArrApp,
    ArrAuthenticationError,
    ArrClient,
    ArrConnectionError,
    ArrError,
    ArrInvalidUrlError,
    ArrNotArrAppError,
    ArrNotFoundError,
    ArrRedirectError,
    ArrResponseError,
    ArrTimeoutError,
    ArrUnsupportedError,
    ArrUnsupportedVersionError,
    ArrValidationError,
    ProwlarrLink,
    normalize_url,
    safe_url,
)

from .common import API_KEY, RADARR_URL, RADARR_V3, load_json

BASE = RADARR_URL
V3 = RADARR_V3
PROWLARR = "http://prowlarr.local:9696"
V1 = f"{PROWLARR}/api/v1"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session (aioresponses intercepts it)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def mocked() -> Any:
    """Intercept every request the session sends."""
    with aioresponses() as mock:
        yield mock


def radarr_indexer(**changes: Any) -> dict[str, Any]:
    """A Radarr indexer resource with some values changed."""
    return {**load_json("radarr-indexer.json"), **changes}


def sent(mocked: Any, method: str, url: str) -> list[Any]:
    """The calls made to one method and URL (query string included)."""
    calls: list[Any] = mocked.requests.get((method, URL(url)), [])
    return calls


def all_calls(mocked: Any) -> list[tuple[str, URL, dict[str, Any]]]:
    """Every request made: method, URL and keyword arguments."""
    return [
        (method, url, call.kwargs)
        for (method, url), calls in mocked.requests.items()
        for call in calls
    ]


async def radarr(
    mocked: Any, session: aiohttp.ClientSession, **status: Any
) -> ArrClient:
    """A client that has detected a Radarr (6.0.4 unless told otherwise)."""
    mocked.get(
        f"{V3}/system/status",
        payload={**load_json("radarr-system-status.json"), **status},
    )
    client = ArrClient(BASE, API_KEY, session=session)
    await client.system_status()
    return client


async def prowlarr(mocked: Any, session: aiohttp.ClientSession) -> ArrClient:
    """A client that has detected a Prowlarr on /api/v1."""
    mocked.get(f"{PROWLARR}/api/v3/system/status", status=404)
    mocked.get(f"{V1}/system/status", payload=load_json("prowlarr-system-status.json"))
    client = ArrClient(PROWLARR, API_KEY, session=session)
    await client.system_status()
    return client


# -- URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://radarr.local:7878", "http://radarr.local:7878"),
        ("http://radarr.local:7878/", "http://radarr.local:7878"),
        ("  HTTP://Radarr.Local:7878/radarr/  ", "http://radarr.local:7878/radarr"),
        ("192.168.1.10:8989", "http://192.168.1.10:8989"),
        ("https://example.com/sonarr?x=1#y", "https://example.com/sonarr"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    """Trailing slashes, case, query and a missing scheme are normalised."""
    assert normalize_url(given) == expected


@pytest.mark.parametrize(
    "given", ["ftp://radarr.local", "http://", "http://host:port", ""]
)
def test_normalize_url_rejects(given: str) -> None:
    """Anything that is not an http(s) URL with a host is refused."""
    with pytest.raises(ArrInvalidUrlError):
        normalize_url(given)


def test_safe_url_drops_credentials() -> None:
    """Credentials in a URL never reach a message."""
    assert (
        safe_url("https://user:secret@example.com/radarr")
        == "https://example.com/radarr"
    )


def test_repr_has_no_api_key(session: aiohttp.ClientSession) -> None:
    """The client's repr names the URL without key or password."""
    client = ArrClient("https://me:pw@example.com", API_KEY, session=session)
    assert API_KEY not in repr(client)
    assert "pw" not in repr(client)


# -- detection -------------------------------------------------------------------


async def test_detects_radarr(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Radarr answers /api/v3/system/status; the key goes in the header only."""
    client = await radarr(mocked, session)
    status = client.status
    assert status is not None
    assert (status.app, status.version, status.api_version) == (
        ArrApp.RADARR,
        "6.0.4.10291",
        "v3",
    )
    assert status.name == "Radarr"
    assert status.url_base == "/radarr"
    assert client.app is ArrApp.RADARR
    assert client.flag_keys == (
        "enableRss",
        "enableAutomaticSearch",
        "enableInteractiveSearch",
    )
    ((method, url, kwargs),) = all_calls(mocked)
    assert (method, str(url)) == ("GET", f"{V3}/system/status")
    assert kwargs["headers"]["X-Api-Key"] == API_KEY
    assert API_KEY not in str(url)
    assert kwargs["params"] is None


async def test_instance_name_is_the_title(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A named instance is called by its name."""
    client = await radarr(mocked, session, instanceName="Radarr 4K")
    assert client.status is not None
    assert client.status.name == "Radarr 4K"


async def test_detects_prowlarr_on_v1(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """Prowlarr has no /api/v3: the client probes /api/v1 next."""
    client = await prowlarr(mocked, session)
    assert client.app is ArrApp.PROWLARR
    assert client.flag_keys == ("enable",)
    assert client.status is not None
    assert client.status.api_version == "v1"


async def test_detects_legacy_sonarr(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """An old instance without appName is told apart by its naming settings."""
    mocked.get(
        f"{V3}/system/status", payload=load_json("sonarr-v3-legacy-system-status.json")
    )
    mocked.get(f"{V3}/config/naming", payload={"seriesFolderFormat": "{Series Title}"})
    client = ArrClient(BASE, API_KEY, session=session)
    status = await client.system_status()
    assert status.app is ArrApp.SONARR
    assert not status.app_name_reported
    assert status.name == "Sonarr"


async def test_legacy_unknown_app(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Without appName and without known naming keys it is not an Arr app."""
    legacy = load_json("sonarr-v3-legacy-system-status.json")
    mocked.get(f"{V3}/system/status", payload=legacy)
    mocked.get(f"{V3}/config/naming", payload={"something": "else"})
    mocked.get(f"{V1}/system/status", payload=legacy)
    mocked.get(f"{V1}/config/naming", status=404)
    mocked.get(f"{BASE}/api/v1/system/status", payload=legacy)
    mocked.get(f"{BASE}/api/v1/config/naming", status=404)
    client = ArrClient(BASE, API_KEY, session=session)
    with pytest.raises(ArrNotArrAppError):
        await client.system_status()


async def test_unknown_app_name(mocked: Any, session: aiohttp.ClientSession) -> None:
    """An app that is not one of ours is refused with its name."""
    mocked.get(f"{V3}/system/status", payload={"appName": "Bazarr", "version": "1.4.0"})
    client = ArrClient(BASE, API_KEY, session=session)
    with pytest.raises(ArrNotArrAppError, match="Bazarr"):
        await client.system_status()


async def test_too_old(mocked: Any, session: aiohttp.ClientSession) -> None:
    """A known app below its minimum version is an unsupported version."""
    mocked.get(f"{PROWLARR}/api/v3/system/status", status=404)
    mocked.get(
        f"{V1}/system/status", payload={"appName": "Prowlarr", "version": "0.4.11"}
    )
    client = ArrClient(PROWLARR, API_KEY, session=session)
    with pytest.raises(ArrUnsupportedVersionError, match=r"0\.4\.11"):
        await client.system_status()


async def test_wrong_api_version_for_app(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A v1 app answering on /api/v3 is not taken at its word."""
    mocked.get(
        f"{PROWLARR}/api/v3/system/status",
        payload={"appName": "Prowlarr", "version": "2.0"},
    )
    mocked.get(f"{V1}/system/status", payload={"appName": "Prowlarr", "version": "2.0"})
    client = ArrClient(PROWLARR, API_KEY, session=session)
    assert (await client.system_status()).api_version == "v1"


async def test_not_an_arr_app(mocked: Any, session: aiohttp.ClientSession) -> None:
    """A web server with no Arr API at either version."""
    mocked.get(f"{V3}/system/status", status=404, body="")
    mocked.get(f"{BASE}/api/v1/system/status", payload={"hello": "world"})
    mocked.get(f"{BASE}/api/v5/system/status", status=404, body="")
    client = ArrClient(BASE, API_KEY, session=session)
    with pytest.raises(ArrNotArrAppError, match="tried /api/v3, /api/v1, /api/v5"):
        await client.system_status()


async def test_reverse_proxy_login_page(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A proxy answering 200 with an HTML login page is reported as such."""
    page = "<!DOCTYPE html><html><body><form>Sign in</form></body></html>"
    for version in ("v3", "v1", "v5"):
        mocked.get(
            f"{BASE}/api/{version}/system/status", body=page, content_type="text/html"
        )
    client = ArrClient(BASE, API_KEY, session=session)
    with pytest.raises(ArrNotArrAppError, match="HTML page"):
        await client.system_status()


async def test_unauthorized_empty_body(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """401 with an empty body, as the apps send it, is an authentication error."""
    mocked.get(f"{V3}/system/status", status=401, body="")
    client = ArrClient(BASE, API_KEY, session=session)
    with pytest.raises(ArrAuthenticationError) as err:
        await client.system_status()
    assert API_KEY not in str(err.value)


async def test_forbidden(mocked: Any, session: aiohttp.ClientSession) -> None:
    """403 is an authentication error too."""
    mocked.get(f"{V3}/system/status", status=403, body="")
    with pytest.raises(ArrAuthenticationError):
        await ArrClient(BASE, API_KEY, session=session).system_status()


async def test_follows_url_base_redirect(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A missing urlBase is added by the app with a 307; the client keeps it."""
    root = "http://radarr.local:7878"
    mocked.get(
        f"{root}/api/v3/system/status",
        status=307,
        headers={"Location": "/radarr/api/v3/system/status"},
    )
    mocked.get(f"{V3}/system/status", payload=load_json("radarr-system-status.json"))
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer()])
    client = ArrClient(f"{root}/", API_KEY, session=session)
    await client.system_status()
    assert client.url == BASE
    assert [i.id for i in await client.indexers()] == [7]
    assert not sent(mocked, "GET", f"{root}/api/v3/indexer")


async def test_follows_readarr_302(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Readarr redirects with 302; the request is repeated with the same method."""
    root = "http://readarr.local:8787"
    mocked.get(f"{root}/api/v3/system/status", status=404)
    mocked.get(
        f"{root}/api/v1/system/status",
        status=302,
        headers={"Location": f"{root}/books/api/v1/system/status"},
    )
    mocked.get(
        f"{root}/books/api/v1/system/status",
        payload={"appName": "Readarr", "version": "0.3.22.2499", "urlBase": "/books"},
    )
    client = ArrClient(root, API_KEY, session=session)
    assert (await client.system_status()).app is ArrApp.READARR
    assert client.url == f"{root}/books"


async def test_redirect_without_api_suffix(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A same-host redirect elsewhere is followed as given, base unchanged."""
    mocked.get(f"{V3}/system/status", status=308, headers={"Location": "/other?x=1"})
    mocked.get(
        "http://radarr.local:7878/other?x=1",
        payload=load_json("radarr-system-status.json"),
    )
    client = ArrClient(BASE, API_KEY, session=session)
    assert (await client.system_status()).app is ArrApp.RADARR
    assert client.url == BASE


async def test_redirect_to_other_host(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A redirect to another host (a login portal) is an error, not followed."""
    mocked.get(
        f"{V3}/system/status",
        status=302,
        headers={"Location": "https://auth.example.com/login?rd=radarr"},
    )
    client = ArrClient(BASE, API_KEY, session=session)
    with pytest.raises(ArrRedirectError, match=r"auth\.example\.com"):
        await client.system_status()
    assert len(all_calls(mocked)) == 1


async def test_redirect_without_location(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A redirect that says nowhere is a bad response."""
    for version in ("v3", "v1", "v5"):
        mocked.get(f"{BASE}/api/{version}/system/status", status=307)
    with pytest.raises(ArrNotArrAppError, match="Location"):
        await ArrClient(BASE, API_KEY, session=session).system_status()


async def test_redirect_loop(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Redirects are followed a bounded number of times."""
    mocked.get(f"{V3}/indexer", status=307, headers={"Location": "/loop"}, repeat=True)
    mocked.get(
        "http://radarr.local:7878/loop",
        status=307,
        headers={"Location": "/loop"},
        repeat=True,
    )
    client = await radarr(mocked, session)
    with pytest.raises(ArrResponseError, match="Too many redirects"):
        await client.indexers()


@pytest.mark.usefixtures("socket_enabled")
async def test_connection_refused() -> None:
    """Nothing listening: a connection error naming the URL, not the key."""
    async with aiohttp.ClientSession() as real:
        client = ArrClient("http://127.0.0.1:9", API_KEY, session=real)
        with pytest.raises(ArrConnectionError, match="refused") as err:
            await client.system_status()
    assert "127.0.0.1:9" in str(err.value)
    assert API_KEY not in str(err.value)


@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (TimeoutError(), ArrTimeoutError),
        (aiohttp.ServerDisconnectedError(), ArrConnectionError),
        (aiohttp.ClientSSLError(Mock(), OSError("bad cert")), ArrConnectionError),
        (
            aiohttp.ClientConnectorDNSError(
                Mock(), OSError(-2, "Name does not resolve")
            ),
            ArrConnectionError,
        ),
        (
            aiohttp.ClientConnectorError(Mock(), OSError(113, "No route to host")),
            ArrConnectionError,
        ),
    ],
)
async def test_transport_errors(
    mocked: Any,
    session: aiohttp.ClientSession,
    exception: Exception,
    expected: type[ArrError],
) -> None:
    """Timeouts, disconnects and TLS errors map to precise errors."""
    mocked.get(f"{V3}/system/status", exception=exception)
    with pytest.raises(expected) as err:
        await ArrClient(BASE, API_KEY, session=session).system_status()
    assert API_KEY not in str(err.value)


async def test_starting_up(mocked: Any, session: aiohttp.ClientSession) -> None:
    """503 while the app starts is a (temporary) connection problem."""
    mocked.get(
        f"{V3}/system/status",
        status=503,
        payload={"errorMessage": "Radarr is starting up, please try again later"},
    )
    with pytest.raises(ArrConnectionError, match="starting up"):
        await ArrClient(BASE, API_KEY, session=session).system_status()


# -- indexers --------------------------------------------------------------------


async def test_indexers_keep_resource(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """The list keeps each resource verbatim and reads the enable flags."""
    client = await radarr(mocked, session)
    rss_only = radarr_indexer(
        id=3, name="Plain", enableAutomaticSearch=False, enableInteractiveSearch=False
    )
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer(), rss_only])
    synced, plain = await client.indexers()
    assert synced.resource == load_json("radarr-indexer.json")
    assert (synced.id, synced.name, synced.protocol, synced.priority) == (
        7,
        "SomeTracker (Prowlarr)",
        "torrent",
        25,
    )
    assert synced.enabled
    assert synced.prowlarr_link == ProwlarrLink("http://prowlarr:9696", 12)
    assert plain.flags == {
        "enableRss": True,
        "enableAutomaticSearch": False,
        "enableInteractiveSearch": False,
    }
    assert plain.enabled


@pytest.mark.parametrize(
    ("implementation", "base_url", "link"),
    [
        (
            "Torznab",
            "http://prowlarr:9696/12/",
            ProwlarrLink("http://prowlarr:9696", 12),
        ),
        (
            "Newznab",
            "http://prowlarr:9696/prowlarr/3/api",
            ProwlarrLink("http://prowlarr:9696/prowlarr", 3),
        ),
        ("Newznab", "https://api.nzbgeek.info", None),
        ("Torznab", "http://jackett:9117/api/v2.0/indexers/all/results/torznab/", None),
        ("FileList", "http://prowlarr:9696/12/", None),
    ],
)
async def test_prowlarr_link(
    mocked: Any,
    session: aiohttp.ClientSession,
    implementation: str,
    base_url: str,
    link: ProwlarrLink | None,
) -> None:
    """Synced indexers are recognised the way Prowlarr does it."""
    client = await radarr(mocked, session)
    resource = radarr_indexer(implementation=implementation)
    resource["fields"] = [{"name": "baseUrl", "value": base_url}]
    mocked.get(f"{V3}/indexer", payload=[resource])
    (indexer,) = await client.indexers()
    assert indexer.prowlarr_link == link


async def test_indexer_without_base_url(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """An indexer without fields is simply not synced."""
    client = await radarr(mocked, session)
    mocked.get(
        f"{V3}/indexer", payload=[{"id": 1, "name": "X", "implementation": "Newznab"}]
    )
    (indexer,) = await client.indexers()
    assert indexer.prowlarr_link is None
    assert not indexer.enabled
    assert indexer.priority is None


async def test_prowlarr_indexers(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Prowlarr's single enable flag."""
    client = await prowlarr(mocked, session)
    mocked.get(f"{V1}/indexer", payload=[load_json("prowlarr-indexer.json")])
    (indexer,) = await client.indexers()
    assert indexer.flags == {"enable": True}
    assert indexer.implementation == "Cardigann"


@pytest.mark.parametrize(
    "payload",
    [{"not": "a list"}, [{"name": "no id"}], ["text"], [{"id": True}]],
)
async def test_indexers_wrong_shape(
    mocked: Any, session: aiohttp.ClientSession, payload: Any
) -> None:
    """JSON of the wrong shape is a bad response."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", payload=payload)
    with pytest.raises(ArrResponseError):
        await client.indexers()


async def test_malformed_json(mocked: Any, session: aiohttp.ClientSession) -> None:
    """A truncated body is a bad response."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", body='[{"id": 1,')
    with pytest.raises(ArrResponseError, match="malformed JSON"):
        await client.indexers()


async def test_unexpected_status(mocked: Any, session: aiohttp.ClientSession) -> None:
    """A 500 with the apps' error body carries its message and status."""
    client = await radarr(mocked, session)
    mocked.get(
        f"{V3}/indexer",
        status=500,
        payload={"message": "database is locked", "description": "SQLiteException"},
    )
    with pytest.raises(ArrResponseError, match="database is locked") as err:
        await client.indexers()
    assert err.value.status == 500


async def test_indexer_not_found(mocked: Any, session: aiohttp.ClientSession) -> None:
    """A deleted indexer: 404 becomes ArrNotFoundError."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer/99", status=404, payload={"message": "NotFound"})
    with pytest.raises(ArrNotFoundError):
        await client.indexer(99)


async def test_detects_lazily(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Any call detects the app first when that has not happened."""
    mocked.get(f"{V3}/system/status", payload=load_json("radarr-system-status.json"))
    mocked.get(f"{V3}/indexer/7", payload=radarr_indexer())
    client = ArrClient(BASE, API_KEY, session=session)
    assert (await client.indexer(7)).name == "SomeTracker (Prowlarr)"


# -- tests -----------------------------------------------------------------------


async def test_test_indexer_passes(mocked: Any, session: aiohttp.ClientSession) -> None:
    """200 (body "{}", not parsed) is a pass; the full resource is sent."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer/7", payload=radarr_indexer())
    indexer = await client.indexer(7)
    mocked.post(f"{V3}/indexer/test", body='"{}"')
    result = await client.test_indexer(indexer)
    assert result.passed
    assert result.message is None
    assert result.response_time is not None
    assert result.response_time >= 0
    (call,) = sent(mocked, "POST", f"{V3}/indexer/test")
    assert call.kwargs["json"] == load_json("radarr-indexer.json")


async def test_test_indexer_fails(mocked: Any, session: aiohttp.ClientSession) -> None:
    """400 with validation failures is a failed test with the app's message."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer()])
    (indexer,) = await client.indexers()
    mocked.post(
        f"{V3}/indexer/test",
        status=400,
        payload=load_json("indexer-test-failure-400.json"),
    )
    result = await client.test_indexer(indexer)
    assert not result.passed
    assert result.indexer_id == 7
    assert result.message is not None
    assert result.message.startswith("Unable to connect to indexer")
    assert not result.failures[0].is_warning


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "The indexer test failed"),
        ('{"message": "Indexer is disabled"}', "Indexer is disabled"),
    ],
)
async def test_test_indexer_fails_other_bodies(
    mocked: Any, session: aiohttp.ClientSession, body: str, message: str
) -> None:
    """A 400 without the usual array still reads as a failed test."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer()])
    (indexer,) = await client.indexers()
    mocked.post(f"{V3}/indexer/test", status=400, body=body)
    result = await client.test_indexer(indexer)
    assert not result.passed
    assert result.message == message


@pytest.mark.parametrize("status", [404, 500])
async def test_test_indexer_error(
    mocked: Any, session: aiohttp.ClientSession, status: int
) -> None:
    """Anything but 200 and 400 is an error, not a verdict on the indexer."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer()])
    (indexer,) = await client.indexers()
    mocked.post(f"{V3}/indexer/test", status=status, payload={"message": "boom"})
    with pytest.raises(ArrResponseError):
        await client.test_indexer(indexer)


async def test_test_indexer_html_400(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A proxy's HTML error page is not a test verdict."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer()])
    (indexer,) = await client.indexers()
    mocked.post(
        f"{V3}/indexer/test",
        status=400,
        body="<html>Bad Request</html>",
        content_type="text/html",
    )
    with pytest.raises(ArrResponseError, match="HTML"):
        await client.test_indexer(indexer)


async def test_test_indexer_timeout(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A test that takes too long is a timeout error."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer()])
    (indexer,) = await client.indexers()
    mocked.post(f"{V3}/indexer/test", exception=TimeoutError())
    with pytest.raises(ArrTimeoutError, match="indexer/test"):
        await client.test_indexer(indexer)


async def test_test_all_400_is_data(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """testall's 400 carries the per-indexer results."""
    client = await radarr(mocked, session)
    mocked.post(
        f"{V3}/indexer/testall",
        status=400,
        payload=load_json("indexer-testall-400.json"),
    )
    ok, failed = await client.test_all_indexers()
    assert (ok.indexer_id, ok.passed, ok.failures) == (3, True, ())
    assert (failed.indexer_id, failed.passed) == (7, False)
    assert failed.message is not None
    assert "timeout" in failed.message
    assert not failed.failures[0].is_warning


async def test_test_all_passes(mocked: Any, session: aiohttp.ClientSession) -> None:
    """testall's 200: everything passed."""
    client = await radarr(mocked, session)
    mocked.post(
        f"{V3}/indexer/testall",
        payload=[{"id": 3, "isValid": True, "validationFailures": []}],
    )
    (result,) = await client.test_all_indexers()
    assert result.passed


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (400, {"message": "nope"}),
        (200, [{"isValid": True}]),
        (200, [{"id": 1, "validationFailures": "x"}]),
    ],
)
async def test_test_all_wrong_shape(
    mocked: Any, session: aiohttp.ClientSession, status: int, payload: Any
) -> None:
    """A testall answer that is not the per-id array is a bad response."""
    client = await radarr(mocked, session)
    mocked.post(f"{V3}/indexer/testall", status=status, payload=payload)
    with pytest.raises(ArrResponseError):
        await client.test_all_indexers()


# -- enable flags ----------------------------------------------------------------


async def test_set_flags_bulk(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Radarr >= 4.6: one bulk PUT with only the flags; nothing else is sent."""
    client = await radarr(mocked, session)
    updated = radarr_indexer(
        enableRss=True, enableAutomaticSearch=False, enableInteractiveSearch=False
    )
    mocked.put(f"{V3}/indexer/bulk", status=202, payload=[updated])
    flags = {
        "enableRss": True,
        "enableAutomaticSearch": False,
        "enableInteractiveSearch": False,
    }
    indexer = await client.set_indexer_flags(7, flags)
    assert indexer.flags == flags
    (call,) = sent(mocked, "PUT", f"{V3}/indexer/bulk")
    assert call.kwargs["json"] == {"ids": [7], **flags}
    assert not sent(mocked, "GET", f"{V3}/indexer/7")


async def test_set_enabled_prowlarr(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """Prowlarr's bulk editor takes ``enable``."""
    client = await prowlarr(mocked, session)
    mocked.put(
        f"{V1}/indexer/bulk",
        status=202,
        payload=[{**load_json("prowlarr-indexer.json"), "enable": False}],
    )
    indexer = await client.set_indexer_enabled(12, False)
    assert not indexer.enabled
    (call,) = sent(mocked, "PUT", f"{V1}/indexer/bulk")
    assert call.kwargs["json"] == {"ids": [12], "enable": False}


async def test_set_flags_old_radarr_puts_whole_resource(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """Radarr 4.5 has no bulk editor: fresh GET, then the whole resource PUT back."""
    client = await radarr(mocked, session, version="4.5.2.7388")
    fresh = radarr_indexer(priority=10)
    mocked.get(f"{V3}/indexer/7", payload=fresh)
    mocked.put(
        f"{V3}/indexer/7?forceSave=true",
        status=202,
        payload={**fresh, "enableRss": False},
    )
    await client.set_indexer_flags(7, {"enableRss": False})
    (call,) = sent(mocked, "PUT", f"{V3}/indexer/7?forceSave=true")
    assert call.kwargs["json"] == {**fresh, "enableRss": False}
    assert call.kwargs["params"] == {"forceSave": "true"}


@pytest.mark.parametrize("status", [404, 405])
async def test_set_flags_falls_back_without_bulk(
    mocked: Any, session: aiohttp.ClientSession, status: int
) -> None:
    """An app whose bulk route is missing falls back once, then goes straight to PUT."""
    client = await prowlarr(mocked, session)
    resource = load_json("prowlarr-indexer.json")
    mocked.put(f"{V1}/indexer/bulk", status=status, body="")
    mocked.get(f"{V1}/indexer/12", payload=resource, repeat=True)
    mocked.put(
        f"{V1}/indexer/12?forceSave=true",
        status=202,
        payload={**resource, "enable": False},
        repeat=True,
    )
    assert not (await client.set_indexer_enabled(12, False)).enabled
    await client.set_indexer_enabled(12, False)
    assert len(sent(mocked, "PUT", f"{V1}/indexer/bulk")) == 1
    puts = sent(mocked, "PUT", f"{V1}/indexer/12?forceSave=true")
    assert [c.kwargs["json"] for c in puts] == [{**resource, "enable": False}] * 2


async def test_set_flags_refuses_partial_resource(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A resource that came back without its fields is never PUT."""
    client = await radarr(mocked, session, version="4.0.0.1")
    partial = radarr_indexer()
    del partial["fields"]
    mocked.get(f"{V3}/indexer/7", payload=partial)
    with pytest.raises(ArrResponseError, match="partial"):
        await client.set_indexer_flags(7, {"enableRss": False})
    assert not [c for c in all_calls(mocked) if c[0] == "PUT"]


async def test_set_flags_put_validation(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A 400 on the PUT carries the app's validation failures."""
    client = await radarr(mocked, session, version="4.0.0.1")
    mocked.get(f"{V3}/indexer/7", payload=radarr_indexer())
    mocked.put(
        f"{V3}/indexer/7?forceSave=true",
        status=400,
        payload=load_json("indexer-put-validation-400.json"),
    )
    with pytest.raises(ArrValidationError, match="Should be unique") as err:
        await client.set_indexer_flags(7, {"enableRss": False})
    assert err.value.failures[0].property_name == "Name"


async def test_set_flags_gone(mocked: Any, session: aiohttp.ClientSession) -> None:
    """A deleted indexer: the fallback's GET says so."""
    client = await radarr(mocked, session)
    mocked.put(f"{V3}/indexer/bulk", status=404, payload={"message": "NotFound"})
    mocked.get(f"{V3}/indexer/7", status=404, payload={"message": "NotFound"})
    with pytest.raises(ArrNotFoundError):
        await client.set_indexer_flags(7, {"enableRss": False})


async def test_set_flags_bulk_without_the_indexer(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A bulk answer that lacks the indexer means it does not exist."""
    client = await radarr(mocked, session)
    mocked.put(f"{V3}/indexer/bulk", status=202, payload=[])
    with pytest.raises(ArrNotFoundError):
        await client.set_indexer_flags(7, {"enableRss": False})


async def test_set_flags_bulk_errors(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """A bulk error other than a missing route is not retried another way; a
    500 for an indexer that is gone (the apps' answer) is a not-found error."""
    client = await radarr(mocked, session)
    mocked.put(f"{V3}/indexer/bulk", status=500, payload={"message": "boom"})
    mocked.get(f"{V3}/indexer/7", payload=radarr_indexer(id=7))
    with pytest.raises(ArrResponseError, match="boom"):
        await client.set_indexer_flags(7, {"enableRss": False})
    mocked.put(
        f"{V3}/indexer/bulk",
        status=500,
        payload={"message": "Expected query to return 1 rows but returned 0"},
    )
    mocked.get(f"{V3}/indexer/7", status=404, payload={"message": "Not found"})
    with pytest.raises(ArrNotFoundError):
        await client.set_indexer_flags(7, {"enableRss": False})
    mocked.put(f"{V3}/indexer/bulk", status=202, payload={"not": "a list"})
    with pytest.raises(ArrResponseError, match="array"):
        await client.set_indexer_flags(7, {"enableRss": False})


@pytest.mark.parametrize("flags", [{"enable": False}, {}, {"priority": 1}])
async def test_set_flags_wrong_keys(
    mocked: Any, session: aiohttp.ClientSession, flags: dict[str, bool]
) -> None:
    """Only the app's own enable flags can be set."""
    client = await radarr(mocked, session)
    with pytest.raises(ValueError, match="enableRss"):
        await client.set_indexer_flags(7, flags)


# -- health and Prowlarr ---------------------------------------------------------


async def test_health(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Failing health checks are read with their source and message."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/health", payload=load_json("radarr-health.json"))
    checks = await client.health()
    assert [c.source for c in checks] == [
        "IndexerStatusCheck",
        "IndexerLongTermStatusCheck",
    ]
    assert checks[0].message.endswith("Other (Prowlarr)")
    assert checks[0].wiki_url is not None


async def test_health_wrong_shape(mocked: Any, session: aiohttp.ClientSession) -> None:
    """health must be an array."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/health", payload={"x": 1})
    with pytest.raises(ArrResponseError):
        await client.health()


async def test_indexer_status(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Prowlarr's blocked indexers with their back-off times."""
    client = await prowlarr(mocked, session)
    mocked.get(f"{V1}/indexerstatus", payload=load_json("prowlarr-indexerstatus.json"))
    (status,) = await client.indexer_status()
    assert status.indexer_id == 12
    assert status.disabled_till == datetime(2025, 6, 1, 12, 20, tzinfo=UTC)
    assert status.initial_failure == datetime(2025, 6, 1, 11, 40, tzinfo=UTC)


async def test_indexer_stats(mocked: Any, session: aiohttp.ClientSession) -> None:
    """Prowlarr's counters, asked for a window and some indexers."""
    client = await prowlarr(mocked, session)
    mocked.get(
        re.compile(rf"^{re.escape(V1)}/indexerstats\?.*"),
        payload=load_json("prowlarr-indexerstats.json"),
    )
    (stats,) = await client.indexer_stats(
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 2, 1, 30, tzinfo=UTC),
        indexer_ids=[12, 13],
    )
    assert (stats.indexer_id, stats.average_response_time, stats.failed_queries) == (
        12,
        842.0,
        22,
    )
    ((_, url, _),) = [c for c in all_calls(mocked) if "indexerstats" in str(c[1])]
    assert url.query == {
        "startDate": "2026-11-01T00:00:00Z",
        "endDate": "2026-11-02T01:30:00Z",
        "indexers": "12,13",
    }


async def test_indexer_stats_defaults(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """Without a window Prowlarr counts its whole history."""
    client = await prowlarr(mocked, session)
    mocked.get(f"{V1}/indexerstats", payload={"indexers": [], "id": 0})
    assert await client.indexer_stats() == []
    mocked.get(f"{V1}/indexerstats", payload=[])
    with pytest.raises(ArrResponseError):
        await client.indexer_stats()


async def test_prowlarr_applications(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """The apps a Prowlarr syncs into, with the URLs it uses."""
    client = await prowlarr(mocked, session)
    mocked.get(f"{V1}/applications", payload=load_json("prowlarr-applications.json"))
    (app,) = await client.prowlarr_applications()
    assert (app.name, app.sync_level, app.base_url, app.prowlarr_url) == (
        "Radarr",
        "fullSync",
        "http://radarr:7878",
        "http://prowlarr:9696",
    )


@pytest.mark.parametrize("endpoint", ["indexerstatus", "indexerstats", "applications"])
async def test_prowlarr_wrong_shapes(
    mocked: Any, session: aiohttp.ClientSession, endpoint: str
) -> None:
    """Prowlarr endpoints of the wrong shape are bad responses."""
    client = await prowlarr(mocked, session)
    mocked.get(
        f"{V1}/{endpoint}",
        payload={"indexers": "x"} if endpoint == "indexerstats" else {"x": 1},
    )
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "indexerstatus": client.indexer_status,
        "indexerstats": client.indexer_stats,
        "applications": client.prowlarr_applications,
    }
    call = calls[endpoint]
    with pytest.raises(ArrResponseError):
        await call()


@pytest.mark.parametrize(
    "method", ["indexer_status", "indexer_stats", "prowlarr_applications"]
)
async def test_prowlarr_only(
    mocked: Any, session: aiohttp.ClientSession, method: str
) -> None:
    """Radarr has no indexerstatus, indexerstats or applications."""
    client = await radarr(mocked, session)
    call: Callable[[], Awaitable[object]] = getattr(client, method)
    with pytest.raises(ArrUnsupportedError, match="only Prowlarr"):
        await call()


async def test_async_context_manager(session: aiohttp.ClientSession) -> None:
    """The client works in ``async with`` and leaves the session open."""
    async with ArrClient(BASE, API_KEY, session=session) as client:
        assert client.status is None
        assert client.app is None
        assert client.flag_keys == ()
    assert not session.closed


async def test_api_key_never_in_urls(
    mocked: Any, session: aiohttp.ClientSession
) -> None:
    """Across a whole session of calls the key only ever rides in the header."""
    client = await radarr(mocked, session)
    mocked.get(f"{V3}/indexer", payload=[radarr_indexer()])
    mocked.get(f"{V3}/health", payload=[])
    mocked.post(f"{V3}/indexer/testall", payload=[])
    (indexer,) = await client.indexers()
    await client.health()
    await client.test_all_indexers()
    for _, url, kwargs in all_calls(mocked):
        assert API_KEY not in str(url)
        assert kwargs["headers"] == {"X-Api-Key": API_KEY, "Accept": "application/json"}
    assert indexer.field_value("apiKey") == "********"
