"""The Arr client against the Arr simulator: real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from arr_simulator import ArrSimulator, SimulatedInstance
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.arr import (
    ArrApp,
    ArrAuthenticationError,
    ArrClient,
    ArrConnectionError,
    ArrNotArrAppError,
    ArrNotFoundError,
    ArrResponseError,
    ArrTimeoutError,
    ArrUnsupportedError,
    Indexer,
)
from custom_components.ai_arr_control.arr.const import (
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TEST_TIMEOUT,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A real session; the simulator listens on 127.0.0.1 only."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def client_for(
    instance: SimulatedInstance,
    session: aiohttp.ClientSession,
    *,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
) -> ArrClient:
    """A client for a simulated instance, by the URL a user would type."""
    return ArrClient(
        instance.url,
        instance.api_key,
        session=session,
        request_timeout=request_timeout,
        test_timeout=test_timeout,
    )


def by_name(indexers: list[Indexer], name: str) -> Indexer:
    """The indexer with that name."""
    return next(i for i in indexers if i.name == name)


@pytest.mark.parametrize(
    ("name", "app", "title"),
    [
        ("radarr", ArrApp.RADARR, "Radarr"),
        ("radarr4k", ArrApp.RADARR, "Radarr 4K"),
        ("sonarr", ArrApp.SONARR, "Sonarr"),
        ("prowlarr", ArrApp.PROWLARR, "Prowlarr"),
    ],
)
async def test_detects_every_instance(
    arr_simulator: ArrSimulator,
    session: aiohttp.ClientSession,
    name: str,
    app: ArrApp,
    title: str,
) -> None:
    """Each simulated app is detected with its name; the key rides in the header."""
    instance = arr_simulator.instance(name)
    status = await client_for(instance, session).system_status()
    assert (status.app, status.name) == (app, title)
    for request in instance.requests:
        assert "apikey" not in {key.lower() for key in request.query}
        assert request.headers.get("X-Api-Key") == instance.api_key


async def test_url_base_learnt_from_redirect(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Given the root URL, the client follows the 307 and keeps the urlBase."""
    instance = arr_simulator.instance("radarr4k")
    client = ArrClient(f"{instance.root_url}/", instance.api_key, session=session)
    status = await client.system_status()
    assert status.url_base == "/radarr4k"
    assert client.url == instance.url
    instance.clear_requests()
    await client.indexers()
    assert [r.path for r in instance.requests] == ["/radarr4k/api/v3/indexer"]


async def test_legacy_status(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """An old Sonarr without appName is recognised by its naming settings."""
    simulator = await arr_simulator_factory(
        """
        [[instance]]
        name = "old"
        app = "Sonarr"
        version = "3.0.10.1567"
        api_key = "00112233445566778899aabbccddeeff"
        legacy_status = true
        """
    )
    status = await client_for(simulator.instance("old"), session).system_status()
    assert status.app is ArrApp.SONARR
    assert not status.app_name_reported


async def test_indexers_and_prowlarr_links(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """The list matches the stored indexers; synced ones point at the Prowlarr."""
    radarr = arr_simulator.instance("radarr")
    prowlarr = arr_simulator.instance("prowlarr")
    indexers = await client_for(radarr, session).indexers()
    assert {i.id for i in indexers} == set(radarr.indexers)
    assert not by_name(indexers, "RetiredNZB").enabled
    assert by_name(indexers, "NZBSeeker").flags == {
        "enableRss": True,
        "enableAutomaticSearch": True,
        "enableInteractiveSearch": False,
    }
    synced = by_name(indexers, "TorrentHaven (Prowlarr)")
    assert synced.prowlarr_link is not None
    assert synced.prowlarr_link.prowlarr_url == prowlarr.url
    source = prowlarr.indexers[synced.prowlarr_link.indexer_id]
    assert source["name"] == "TorrentHaven"
    assert by_name(indexers, "GeekNZB").field_value("apiKey") == "********"


async def test_one_indexer_and_not_found(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """One indexer by id; a deleted one is ArrNotFoundError."""
    client = client_for(arr_simulator.instance("radarr"), session)
    assert (await client.indexer(1)).name == "GeekNZB"
    with pytest.raises(ArrNotFoundError):
        await client.indexer(999)


async def test_test_indexer_moves_back_off(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A failing test fails with the app's message and escalates; a pass de-escalates."""
    radarr = arr_simulator.instance("radarr")
    client = client_for(radarr, session)
    indexer = await client.indexer(1)
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    failed = await client.test_indexer(indexer)
    assert not failed.passed
    assert failed.message == "Invalid API Key"
    assert radarr.status(1).escalation_level == 1
    radarr.clear_indexer_fault(1)
    passed = await client.test_indexer(indexer)
    assert passed.passed
    assert radarr.status(1).escalation_level == 0
    (posted, *_) = [r for r in radarr.requests if r.path.endswith("/indexer/test")]
    assert posted.body == dict(indexer.resource)


async def test_test_all_skips_disabled(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """testall covers enabled indexers only and its 400 is read as data."""
    radarr = arr_simulator.instance("radarr")
    client = client_for(radarr, session)
    indexers = await client.indexers()
    for indexer in indexers:
        radarr.clear_indexer_fault(indexer.id)
    radarr.set_indexer_fault(2, fail="Request limit reached")
    results = {r.indexer_id: r for r in await client.test_all_indexers()}
    assert set(results) == {i.id for i in indexers if i.enabled}
    assert not results[2].passed
    assert results[2].message == "Request limit reached"
    flaky = by_name(indexers, "FlakyTracker (Prowlarr)").id
    # Jackett's "all" endpoint: a warning makes isValid false in testall.
    jackett = by_name(indexers, "CinemaTorrents").id
    assert all(r.passed for i, r in results.items() if i not in (2, flaky, jackett))
    assert results[jackett].failures[0].property_name == "ApiPath"
    # The synced copy fails through Prowlarr, which blocks its failing source.
    assert "429" in (results[flaky].message or "")


async def test_set_flags_bulk_touches_only_flags(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Disabling and restoring exact flags through bulk leaves the rest as it was."""
    radarr = arr_simulator.instance("radarr")
    client = client_for(radarr, session)
    before = dict(radarr.indexers[3])
    flags = dict((await client.indexer(3)).flags)
    off = await client.set_indexer_enabled(3, False)
    assert not off.enabled
    assert not any(radarr.indexers[3][k] for k in flags)
    restored = await client.set_indexer_flags(3, flags)
    assert restored.flags == flags
    assert radarr.indexers[3] == before
    assert [r.path for r in radarr.requests if r.method == "PUT"] == [
        "/api/v3/indexer/bulk",
        "/api/v3/indexer/bulk",
    ]


async def test_set_flags_without_bulk_puts_full_resource(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Without a bulk editor the full fresh resource goes back: no field is reset."""
    simulator = await arr_simulator_factory(
        """
        [[instance]]
        name = "old"
        app = "Radarr"
        version = "4.3.2.6857"
        api_key = "00112233445566778899aabbccddeeff"
        bulk = false
        [[instance.indexer]]
        name = "Torrents"
        implementation = "Torznab"
        priority = 12
        tags = [3]
        fields = { baseUrl = "https://t.example-tracker.test", apiKey = "secretsecret", minimumSeeders = 7, "seedCriteria.seedRatio" = 2.5 }
        """
    )
    old = simulator.instance("old")
    client = client_for(old, session)
    before = dict(old.indexers[1])
    await client.set_indexer_enabled(1, False)
    after = old.indexers[1]
    assert not after["enableRss"]
    assert {k: v for k, v in after.items() if not k.startswith("enable")} == {
        k: v for k, v in before.items() if not k.startswith("enable")
    }
    await client.set_indexer_enabled(1, True)
    assert old.indexers[1] == before
    puts = [r for r in old.requests if r.method == "PUT"]
    assert [r.path for r in puts] == ["/api/v3/indexer/1", "/api/v3/indexer/1"]
    assert all(r.query == {"forceSave": "true"} for r in puts)


async def test_prowlarr_operations(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """indexerstatus, indexerstats and applications on Prowlarr; blocked after a failure."""
    prowlarr = arr_simulator.instance("prowlarr")
    client = client_for(prowlarr, session)
    indexers = await client.indexers()
    haven = by_name(indexers, "TorrentHaven")
    prowlarr.set_indexer_fault(haven.id, kind="cloudflare")
    assert not (await client.test_indexer(haven)).passed
    blocked = {s.indexer_id: s for s in await client.indexer_status()}
    assert haven.id in blocked
    assert blocked[haven.id].disabled_till is not None
    prowlarr.record_traffic(haven.id, successful=False)
    stats = {s.indexer_id: s for s in await client.indexer_stats()}
    assert stats[haven.id].failed_rss_queries == 1
    apps = await client.prowlarr_applications()
    assert {a.name for a in apps} >= {"Radarr", "Sonarr"}
    assert all(a.prowlarr_url == prowlarr.url for a in apps)
    disabled = await client.set_indexer_enabled(haven.id, False)
    assert disabled.flags == {"enable": False}


async def test_health_reports_blocked_indexer(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """After a failed test, the app's own health names the indexer."""
    radarr = arr_simulator.instance("radarr")
    client = client_for(radarr, session)
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await client.test_indexer(await client.indexer(1))
    messages = [
        c.message for c in await client.health() if c.source == "IndexerStatusCheck"
    ]
    assert any("GeekNZB" in m for m in messages)
    with pytest.raises(ArrUnsupportedError):
        await client.indexer_status()


async def test_instance_faults(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Every scripted instance fault maps to the precise client error."""
    sonarr = arr_simulator.instance("sonarr")
    client = client_for(sonarr, session, request_timeout=0.3)
    await client.system_status()

    sonarr.set_fault("unauthorized")
    with pytest.raises(ArrAuthenticationError):
        await client.indexers()
    sonarr.set_fault("error")
    with pytest.raises(ArrResponseError) as err:
        await client.indexers()
    assert err.value.status == 500
    sonarr.set_fault("html")
    with pytest.raises(ArrResponseError, match="HTML"):
        await client.indexers()
    sonarr.set_fault("starting")
    with pytest.raises(ArrConnectionError, match="starting up"):
        await client.indexers()
    sonarr.set_fault("slow", delay=2.0)
    with pytest.raises(ArrTimeoutError):
        await client.indexers()
    sonarr.set_fault(None)
    await sonarr.set_down(True)
    with pytest.raises(ArrConnectionError, match="refused"):
        await client.indexers()
    await sonarr.set_down(False)
    assert await client.indexers()


async def test_html_everywhere_is_not_an_arr_app(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A login page in front of the app: detection says it is not an Arr API."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_fault("html")
    with pytest.raises(ArrNotArrAppError, match="HTML"):
        await client_for(radarr, session).system_status()


async def test_hanging_indexer_test_times_out(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A test that never answers ends at the client's test timeout."""
    radarr = arr_simulator.instance("radarr")
    client = client_for(radarr, session, test_timeout=0.3)
    indexer = await client.indexer(2)
    radarr.set_indexer_fault(2, hang=True)
    with pytest.raises(ArrTimeoutError):
        await client.test_indexer(indexer)


SONARR_V5 = """
[[instance]]
name = "sonarr5"
app = "Sonarr"
version = "5.0.0.1234"
api_key = "00000000000000000000000000000005"
bulk = {bulk}
[[instance.indexer]]
name = "GeekNZB"
implementation = "Newznab"
enable_interactive_search = false
fields = {{ baseUrl = "https://api.geeknzb.example-nzb.test", apiKey = "k" }}
"""


@pytest.mark.parametrize("bulk", [True, False])
async def test_sonarr_v5_without_the_v3_api(
    arr_simulator_factory: ArrSimulatorFactory,
    session: aiohttp.ClientSession,
    bulk: bool,
) -> None:
    """Sonarr v5 is found at /api/v5 when /api/v3 is gone: its 204 test passes,
    its bulk editor answers 200, and a full PUT skips the test with skipTesting
    (forceSave is ignored there), so exactly the flags change."""
    simulator = await arr_simulator_factory(SONARR_V5.format(bulk=str(bulk).lower()))
    sonarr = simulator.instance("sonarr5")
    client = client_for(sonarr, session)
    status = await client.system_status()
    assert (status.app, status.api_version) == (ArrApp.SONARR, "v5")
    indexer = await client.indexer(1)
    result = await client.test_indexer(indexer)
    assert result.passed
    sonarr.set_indexer_fault(1, kind="auth")
    off = await client.set_indexer_enabled(1, False)
    assert not off.enabled
    on = await client.set_indexer_flags(1, dict(indexer.flags))
    assert on.flags == indexer.flags
    puts = [r for r in sonarr.requests if r.method == "PUT"]
    if bulk:
        assert {r.path for r in puts} == {"/api/v5/indexer/bulk"}
    else:
        assert puts[-1].query == {"skipTesting": "true", "skipValidation": "warnings"}
    # The masked API key went back as "********" and was kept.
    stored = {f["name"]: f.get("value") for f in sonarr.indexers[1]["fields"]}
    assert stored["apiKey"] == "k"


async def test_bulk_naming_a_deleted_indexer(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """The apps answer 500 for a bulk edit naming a deleted indexer; the client
    says it is gone."""
    radarr = arr_simulator.instance("radarr")
    client = client_for(radarr, session)
    await client.system_status()
    radarr.remove_indexer(2)
    with pytest.raises(ArrNotFoundError):
        await client.set_indexer_enabled(2, False)
