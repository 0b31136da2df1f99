"""The real apps' awkward parts, each as the simulator reproduces it.

Every test names the upstream source it mirrors (Prowlarr/Prowlarr,
Radarr/Radarr, Sonarr/Sonarr; paths under src/).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory

from .helpers import FakeClock, call, field, get_json, with_field

FLAGS = ("enableRss", "enableAutomaticSearch", "enableInteractiveSearch")


def flags(resource: dict[str, object]) -> tuple[object, ...]:
    """The three enable flags of an app indexer."""
    return tuple(resource[flag] for flag in FLAGS)


# -- Prowlarr sync levels ------------------------------------------------------


async def test_full_sync_pushes_a_disable_add_only_does_not(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Disabling a Prowlarr indexer (bulk edit) turns its Full Sync copies off;
    an Add-Only copy keeps its flags and then gets 410 Gone from Prowlarr.

    Prowlarr NzbDrone.Core/Applications/ApplicationService.cs (SyncIndexers:
    UpdateIndexer only when SyncLevel == FullSync), Applications/Radarr/Radarr.cs
    (EnableRss = indexer.Enable && AppProfile.EnableRss),
    Prowlarr.Api.V1/Indexers/NewznabController.cs (410 for a disabled indexer).
    """
    prowlarr = arr_simulator.instance("prowlarr")
    radarr, radarr4k = (arr_simulator.instance(n) for n in ("radarr", "radarr4k"))
    sonarr = arr_simulator.instance("sonarr")
    reply = await call(
        session, prowlarr, "PUT", "/indexer/bulk", body={"ids": [3], "enable": False}
    )
    assert reply.status == 202
    assert flags(radarr.indexers[7]) == (False, False, False)
    assert flags(radarr4k.indexers[5]) == (True, True, True)
    test = await call(
        session, radarr4k, "POST", "/indexer/test", body=radarr4k.indexers[5]
    )
    assert test.status == 400
    assert "[410:Gone]" in test.json[0]["errorMessage"]
    # A single PUT only reaches Full Sync apps (ProviderUpdatedEvent).
    body = await get_json(session, prowlarr, "/indexer/1")
    await call(
        session,
        prowlarr,
        "PUT",
        "/indexer/1",
        params={"forceSave": "true"},
        body=body | {"priority": 3},
    )
    assert radarr.indexers[6]["priority"] == 3
    assert sonarr.indexers[5]["priority"] == 3
    assert radarr4k.indexers[4]["priority"] == 25


async def test_app_side_changes_last_under_add_only_only(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """The 6-hourly ApplicationIndexerSync undoes an app-side disable of a Full
    Sync copy, never of an Add-Only one (ApplicationService.cs; Jobs/TaskManager.cs
    Interval = 6 * 60)."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr, radarr4k = (arr_simulator.instance(n) for n in ("radarr", "radarr4k"))
    off = dict.fromkeys(FLAGS, False)
    await call(session, radarr, "PUT", "/indexer/bulk", body={"ids": [6], **off})
    await call(session, radarr4k, "PUT", "/indexer/bulk", body={"ids": [4], **off})
    prowlarr.run_scheduled_sync()
    assert flags(radarr.indexers[6]) == (True, True, True)
    assert flags(radarr4k.indexers[4]) == (False, False, False)


async def test_sync_adds_enabled_indexers_and_skips_blocked_ones(
    arr_simulator: ArrSimulator,
) -> None:
    """SyncIndexers adds only enabled indexers; the scheduled sync skips those
    blocked by the back-off (IndexerFactory.AllProviders); an indexer created
    disabled still reaches the apps, every flag off (ProviderAddedEvent has no
    Enable check). Deleting it removes every copy, Add-Only ones too."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr, radarr4k = (arr_simulator.instance(n) for n in ("radarr", "radarr4k"))
    names = {r["name"] for r in radarr.indexers.values()}
    assert "OldTracker (Prowlarr)" not in names
    created = prowlarr.add_indexer(
        {"name": "ColdStart", "enable": False, "categories": [2000]}
    )
    copy = next(
        r for r in radarr4k.indexers.values() if r["name"] == "ColdStart (Prowlarr)"
    )
    assert flags(copy) == (False, False, False)
    # FlakyTracker (6) is blocked: a scheduled sync leaves its copies as they are.
    radarr.indexers[9]["priority"] = 42
    prowlarr.run_scheduled_sync()
    assert radarr.indexers[9]["priority"] == 42
    prowlarr.run_scheduled_sync(force=True)
    assert radarr.indexers[9]["priority"] == 25
    prowlarr.remove_indexer(created["id"])
    assert "ColdStart (Prowlarr)" not in {r["name"] for r in radarr4k.indexers.values()}


async def test_sync_level_disabled_syncs_nothing(
    arr_simulator_factory: ArrSimulatorFactory,
) -> None:
    """ApplicationDefinition.Enable is false for SyncLevel Disabled: no copies."""
    simulator = await arr_simulator_factory(
        """
        [[instance]]
        name = "prowlarr"
        app = "Prowlarr"
        api_key = "00000000000000000000000000000001"
        [[instance.indexer]]
        name = "Tracker"
        categories = [2000]

        [[instance]]
        name = "radarr"
        app = "Radarr"
        api_key = "00000000000000000000000000000002"
        prowlarr = "prowlarr"
        sync_level = "disabled"
        """
    )
    assert simulator.instance("radarr").indexers == {}
    applications = simulator.instance("prowlarr").state
    assert applications.sync_enabled_apps() == []


# -- what an app's test of a synced copy measures ---------------------------------


async def test_rss_refused_for_the_query_limit_blocks_the_copy_until_it_resets(
    arr_simulator_factory: ArrSimulatorFactory,
) -> None:
    """An app's RSS sync that Prowlarr answers 429 takes the Retry-After as its
    minimum back-off (HttpIndexerBase.FetchReleases, TooManyRequestsException):
    the copy stays blocked until the oldest counted query leaves the window, and
    no row is written in Prowlarr's history."""
    clock = FakeClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    simulator = await arr_simulator_factory(clock=clock)
    prowlarr = simulator.instance("prowlarr")
    radarr = simulator.instance("radarr")
    prowlarr.record_traffic(4, count=100, source="Sonarr")
    clock.now += timedelta(hours=3)

    def rows() -> int:
        return sum(1 for h in prowlarr.state.history if h.indexer_id == 4)

    assert rows() == 100
    assert radarr.rss_sync()[8] is not None
    assert rows() == 100
    status = radarr.status(8)
    # 21 hours until the first of the 100 queries is a day old: level 9 (24 h).
    assert status.disabled_till is not None
    assert status.disabled_till - clock.now >= timedelta(hours=21)
    assert 8 in radarr.state.blocked_ids()


async def test_query_limit_answers_the_apps_429_and_counts_their_tests(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """The apps' tests of a copy are RSS queries in Prowlarr's history and count
    toward the indexer's query limit (History/HistoryService.cs IsRssSearch,
    Indexers/IndexerLimitService.cs: IndexerQuery + IndexerRss in a rolling
    window); at the limit NewznabController answers 429, which the app shows as
    its HTTP status. Prowlarr's own test ignores the limit and writes no history
    (HttpIndexerBase.TestConnection)."""
    clock = FakeClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    simulator = await arr_simulator_factory(clock=clock)
    prowlarr = simulator.instance("prowlarr")
    radarr = simulator.instance("radarr")
    prowlarr.record_traffic(4, count=98, source="Sonarr")
    clock.now += timedelta(hours=1)
    for expected in (200, 200, 400):
        reply = await call(
            session, radarr, "POST", "/indexer/test", body=radarr.indexers[8]
        )
        assert reply.status == expected
    assert "[429:TooManyRequests]" in reply.json[0]["errorMessage"]
    own = await call(
        session, prowlarr, "POST", "/indexer/test", body=prowlarr.indexers[4]
    )
    assert own.status == 200
    since = await call(
        session,
        prowlarr,
        "GET",
        "/history/since",
        params={"date": "2026-11-01T12:30:00Z", "eventType": "indexerRss"},
    )
    assert [
        (h["indexerId"], h["eventType"], h["data"]["source"]) for h in since.json
    ] == [
        (4, "indexerRss", "Radarr"),
        (4, "indexerRss", "Radarr"),
    ]
    assert list(since.json[0]) == [
        "indexerId",
        "date",
        "successful",
        "eventType",
        "data",
        "id",
    ]
    # Rolling 24 h: once the 98 early queries are a day old, the copy passes.
    clock.now += timedelta(hours=23, minutes=1)
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=radarr.indexers[8]
    )
    assert reply.status == 200
    page = await get_json(session, prowlarr, "/history")
    assert (page["totalRecords"], page["pageSize"], page["records"][0]["id"]) == (
        101,
        10,
        101,
    )


async def test_a_site_failing_inside_prowlarr_looks_like_no_results(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Through Prowlarr a broken site is an empty feed (ReleaseSearchService
    catches the error), so the app's test says "no results in the configured
    categories"; once Prowlarr's back-off blocks the indexer, 429."""
    prowlarr = arr_simulator.instance("prowlarr")
    sonarr = arr_simulator.instance("sonarr")
    prowlarr.set_indexer_fault(2, kind="server_error")
    first = await call(
        session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[6]
    )
    assert first.json[0]["errorMessage"].startswith("Query successful, but no results")
    second = await call(
        session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[6]
    )
    # Sonarr's IndexerValidationUnableToConnect wording.
    assert second.json[0]["errorMessage"].startswith(
        "Unable to connect to indexer: HTTP request failed: [429:TooManyRequests]"
    )
    assert second.json[0]["errorMessage"].endswith(
        ". Check the log surrounding this error for details"
    )


# -- what POST /indexer/test answers 400 for --------------------------------------


async def test_a_deleted_download_client_fails_validation_not_the_indexer(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """The shared rule DownloadClientId (Core/Validation/
    DownloadClientExistsValidator.cs) runs before any test: 400, nothing on the
    back-off; the bulk editor, which validates nothing, still works."""
    sonarr = arr_simulator.instance("sonarr")
    reply = await call(
        session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[3]
    )
    assert reply.status == 400
    failure = reply.json[0]
    assert (failure["propertyName"], failure["errorMessage"]) == (
        "DownloadClientId",
        "Download Client does not exist",
    )
    assert "isWarning" not in failure
    assert sonarr.status(3).escalation_level == 0
    body = await get_json(session, sonarr, "/indexer/3")
    put = await call(
        session, sonarr, "PUT", "/indexer/3", params={"forceSave": "true"}, body=body
    )
    assert put.status == 400
    bulk = await call(
        session,
        sonarr,
        "PUT",
        "/indexer/bulk",
        body={"ids": [3], "enableRss": False},
    )
    assert bulk.status == 202


async def test_jackett_all_is_a_warning_that_still_answers_400(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Torznab.JackettAll (Radarr, Sonarr) adds a warning on ApiPath; the test
    answers 400 whatever forceTest says, and IndexerFactory.Test records it."""
    radarr = arr_simulator.instance("radarr")
    reply = await call(
        session,
        radarr,
        "POST",
        "/indexer/test",
        params={"forceTest": "true"},
        body=radarr.indexers[4],
    )
    assert reply.status == 400
    assert reply.json == [
        {
            "isWarning": True,
            "propertyName": "ApiPath",
            "errorMessage": "Jackett's all endpoint is not supported, please add "
            "indexers individually",
            "severity": "warning",
        }
    ]
    assert radarr.status(4).escalation_level == 1


async def test_the_settings_in_the_body_are_tested(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """ProviderControllerBase.Test tests the definition built from the body and
    records the verdict on the stored indexer: a fixed URL passes at once."""
    radarr4k = arr_simulator.instance("radarr4k")
    stored = await get_json(session, radarr4k, "/indexer/1")
    reply = await call(session, radarr4k, "POST", "/indexer/test", body=stored)
    assert reply.status == 400
    assert reply.json[0]["errorMessage"] == (
        "Unable to connect to indexer, please check your DNS settings and ensure "
        "IPv6 is working or disabled. Name or service not known "
        "(api.geeknzb-old.example-nzb.test:443)"
    )
    assert radarr4k.status(1).escalation_level == 1
    fixed = with_field(stored, "baseUrl", "https://api.geeknzb.example-nzb.test")
    reply = await call(session, radarr4k, "POST", "/indexer/test", body=fixed)
    assert reply.status == 200
    assert radarr4k.status(1).escalation_level == 0
    # The stored indexer still has the old URL: its own test still fails.
    assert field(radarr4k.indexers[1], "baseUrl").endswith(
        "geeknzb-old.example-nzb.test"
    )


@pytest.mark.parametrize(
    ("app", "kind", "message"),
    [
        ("radarr", "auth", "Invalid API Key"),
        ("radarr", "quota", "Request limit reached: API limit reached"),
        (
            "radarr",
            "cloudflare",
            "Site protected by CloudFlare CAPTCHA. Valid CAPTCHA token required.",
        ),
        (
            "radarr",
            "timeout",
            (
                "Unable to connect to indexer, indexer's server is unavailable. Try "
                "again later. Http request timed out"
            ),
        ),
        (
            "sonarr",
            "timeout",
            (
                "Unable to connect to indexer, indexer's server is unavailable. Try "
                "again later. Http request timed out."
            ),
        ),
        (
            "prowlarr",
            "auth",
            (
                "Indexer returned result for RSS URL, Credentials appears to be "
                "invalid. Response: Invalid API key"
            ),
        ),
        (
            "prowlarr",
            "cloudflare",
            (
                "Unable to access torrenthaven.example-tracker.test, blocked by "
                "CloudFlare Protection."
            ),
        ),
    ],
)
async def test_failure_texts_per_app(
    arr_simulator: ArrSimulator,
    session: aiohttp.ClientSession,
    app: str,
    kind: str,
    message: str,
) -> None:
    """Each app's own words (HttpIndexerBase.TestConnection in each app; Sonarr's
    Localization/Core/en.json IndexerValidation* texts)."""
    instance = arr_simulator.instance(app)
    instance.set_indexer_fault(1, kind=kind)
    reply = await call(
        session, instance, "POST", "/indexer/test", body=instance.indexers[1]
    )
    assert reply.json[0]["errorMessage"] == message


async def test_server_error_shows_the_url_with_its_key(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """HttpException prints the request URL, API key included
    (NzbDrone.Common/Http/HttpException.cs)."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, kind="server_error")
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=radarr.indexers[1]
    )
    message = reply.json[0]["errorMessage"]
    assert message.startswith(
        "Unable to connect to indexer, indexer's server is unavailable. Try again "
        "later. HTTP request failed: [503:ServiceUnavailable] [GET] at "
        "[https://api.geeknzb.example-nzb.test/api?t=movie"
    )
    assert "apikey=7c2e9a4f1b6d8e3a5c7f9b1d2e4a6c8e" in message


# -- Sonarr v5 --------------------------------------------------------------------


async def test_sonarr_v5_without_the_v3_api(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """A Sonarr v5 build that serves only /api/v5 (Sonarr.Api.V5): test answers
    204, bulk 200, a PUT takes skipTesting (forceSave is ignored)
    (v5/Provider/ProviderControllerBase.cs)."""
    simulator = await arr_simulator_factory(
        """
        [[instance]]
        name = "sonarr5"
        app = "Sonarr"
        version = "5.0.0.1234"
        api_key = "00000000000000000000000000000005"
        [[instance.indexer]]
        name = "GeekNZB"
        implementation = "Newznab"
        fields = { baseUrl = "https://api.geeknzb.example-nzb.test", apiKey = "k" }
        """
    )
    sonarr = simulator.instance("sonarr5")
    assert sonarr.api_url.endswith("/api/v5")
    headers = {"X-Api-Key": sonarr.api_key}
    async with session.get(f"{sonarr.url}/api/v3/system/status", headers=headers) as r:
        assert r.status == 404
    assert (await get_json(session, sonarr, "/system/status"))["appName"] == "Sonarr"
    test = await call(session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[1])
    assert (test.status, test.text) == (204, "")
    bulk = await call(
        session, sonarr, "PUT", "/indexer/bulk", body={"ids": [1], "priority": 7}
    )
    assert bulk.status == 200
    sonarr.set_indexer_fault(1, kind="auth")
    body = with_field(await get_json(session, sonarr, "/indexer/1"), "apiPath", "/x")
    ignored = await call(
        session, sonarr, "PUT", "/indexer/1", params={"forceSave": "true"}, body=body
    )
    assert ignored.status == 400
    saved = await call(
        session, sonarr, "PUT", "/indexer/1", params={"skipTesting": "true"}, body=body
    )
    assert saved.status == 202


async def test_rss_sync_command_is_real_traffic(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """POST /command RssSync runs the app's RSS sync at once (RssSyncService):
    its copies' queries are rows in Prowlarr's history."""
    prowlarr, radarr = (
        arr_simulator.instance("prowlarr"),
        arr_simulator.instance("radarr"),
    )
    before = len(prowlarr.state.history)
    reply = await call(session, radarr, "POST", "/command", body={"name": "RssSync"})
    assert reply.status == 201
    rows = prowlarr.state.history[before:]
    assert rows
    assert {row.source for row in rows} == {"Radarr"}
