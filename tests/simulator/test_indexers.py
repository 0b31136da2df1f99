"""Tests for reading and writing indexers: masking, PUT, bulk, delete."""

from typing import Any

import aiohttp

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory

from .helpers import call, field, get_json, with_field

MASK = "********"
GEEK_KEY = "7c2e9a4f1b6d8e3a5c7f9b1d2e4a6c8e"


async def test_get_masks_secrets(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """apiKey and password fields read back as ********; stored values stay."""
    radarr = arr_simulator.instance("radarr")
    indexer = await get_json(session, radarr, "/indexer/1")
    assert field(indexer, "apiKey") == MASK
    assert field(indexer, "baseUrl") == "https://api.geeknzb.example-nzb.test"
    assert field(radarr.indexers[1], "apiKey") == GEEK_KEY
    prowlarr = arr_simulator.instance("prowlarr")
    usenet = await get_json(session, prowlarr, "/indexer/4")
    assert field(usenet, "apiKey") == MASK
    # Empty secrets are not masked.
    radarr.indexers[2]["fields"][2]["value"] = ""
    assert field(await get_json(session, radarr, "/indexer/2"), "apiKey") == ""


async def test_cardigann_settings_come_back_in_clear(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A Cardigann indexer's definition settings are extra fields with the stored
    values and privacy "normal" (Prowlarr IndexerResource.MapCardigannField):
    passwords, API keys and 2FA tokens are not masked."""
    prowlarr = arr_simulator.instance("prowlarr")
    aither = await get_json(session, prowlarr, "/indexer/7")
    apikey = next(f for f in aither["fields"] if f["name"] == "apikey")
    assert (apikey["value"], apikey["privacy"], apikey["type"]) == (
        "AITHER-SECRET-APIKEY-7f3e9b1c5d",
        "normal",
        "textbox",
    )
    leech = await get_json(session, prowlarr, "/indexer/8")
    shown = {
        f["name"]: (f.get("value"), f["type"], f["privacy"]) for f in leech["fields"]
    }
    assert shown["password"] == ("TL-SECRET-PASSWORD-a81f", "password", "normal")
    assert shown["alt2fatoken"] == ("TL-SECRET-2FA-TOKEN-4c2d", "textbox", "normal")
    assert shown["freeleech"] == (True, "checkbox", "normal")
    assert shown["sort"] == (1, "select", "normal")
    # CardigannSettings' own fields come first; the definition's follow.
    names = [f["name"] for f in leech["fields"]]
    assert names.index("definitionFile") < names.index("username")


async def test_cardigann_settings_round_trip(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """PUT rebuilds the definition settings from the body alone (ToModel fills
    ExtraFieldData from the body, no "********" merge); a name the definition
    lacks is an unhandled error (500)."""
    prowlarr = arr_simulator.instance("prowlarr")
    leech = await get_json(session, prowlarr, "/indexer/8")
    reply = await call(
        session, prowlarr, "PUT", "/indexer/8", params={"forceSave": "true"}, body=leech
    )
    assert reply.status == 202
    assert field(prowlarr.indexers[8], "alt2fatoken") == "TL-SECRET-2FA-TOKEN-4c2d"
    masked = with_field(leech, "password", MASK)
    await call(
        session,
        prowlarr,
        "PUT",
        "/indexer/8",
        params={"forceSave": "true"},
        body=masked,
    )
    assert field(prowlarr.indexers[8], "password") == MASK
    unknown = leech | {"fields": [*leech["fields"], {"name": "bogus", "value": 1}]}
    reply = await call(
        session,
        prowlarr,
        "PUT",
        "/indexer/8",
        params={"forceSave": "true"},
        body=unknown,
    )
    assert reply.status == 500
    assert reply.json["message"] == "Unknown Cardigann setting. (Parameter 'bogus')"


async def test_resource_shape(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Resources look like arr-examples/radarr-indexer.json (nulls omitted)."""
    indexer = await get_json(session, arr_simulator.instance("radarr"), "/indexer/4")
    assert list(indexer) == [
        "enableRss",
        "enableAutomaticSearch",
        "enableInteractiveSearch",
        "supportsRss",
        "supportsSearch",
        "protocol",
        "priority",
        "downloadClientId",
        "name",
        "fields",
        "implementationName",
        "implementation",
        "configContract",
        "infoLink",
        "tags",
        "id",
    ]
    assert indexer["protocol"] == "torrent"
    assert indexer["configContract"] == "TorznabSettings"
    assert field(indexer, "seedCriteria.seedRatio") == 1.5
    assert "value" not in next(
        f for f in indexer["fields"] if f["name"] == "additionalParameters"
    )
    sonarr_indexer = await get_json(
        session, arr_simulator.instance("sonarr"), "/indexer/1"
    )
    assert sonarr_indexer["seasonSearchMaximumSingleEpisodeAge"] == 0
    assert field(sonarr_indexer, "animeCategories") == [5070]


async def test_put_with_mask_keeps_secret(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """PUTting the GET body back keeps the stored API key."""
    radarr = arr_simulator.instance("radarr")
    indexer = await get_json(session, radarr, "/indexer/1")
    indexer["priority"] = 7
    reply = await call(session, radarr, "PUT", "/indexer/1", body=indexer)
    assert reply.status == 202
    assert reply.json["priority"] == 7
    assert field(reply.json, "apiKey") == MASK
    assert reply.headers["Location"].endswith("/api/v3/indexer/1")
    assert field(radarr.indexers[1], "apiKey") == GEEK_KEY
    assert radarr.indexers[1]["priority"] == 7


async def test_put_missing_fields_reset_to_defaults(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Fields missing from a PUT body get their defaults (full-resource PUT)."""
    radarr = arr_simulator.instance("radarr")
    indexer = await get_json(session, radarr, "/indexer/1")
    indexer["fields"] = [f for f in indexer["fields"] if f["name"] == "baseUrl"]
    reply = await call(session, radarr, "PUT", "/indexer/1", body=indexer)
    assert reply.status == 202
    stored = radarr.indexers[1]
    assert field(stored, "baseUrl") == "https://api.geeknzb.example-nzb.test"
    assert field(stored, "apiKey") is None
    assert field(stored, "apiPath") == "/api"
    assert field(stored, "categories") == [
        2000,
        2010,
        2020,
        2030,
        2040,
        2045,
        2050,
        2060,
    ]


async def test_put_missing_properties_reset(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Top-level properties missing from the body are false/empty afterwards."""
    radarr = arr_simulator.instance("radarr")
    indexer = await get_json(session, radarr, "/indexer/2")
    del indexer["tags"]
    del indexer["enableRss"]
    reply = await call(session, radarr, "PUT", "/indexer/2", body=indexer)
    assert reply.status == 202
    assert radarr.indexers[2]["tags"] == []
    assert radarr.indexers[2]["enableRss"] is False


async def test_put_validation_failures(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Duplicate names, empty names and priorities outside 1..50 are 400 arrays."""
    radarr = arr_simulator.instance("radarr")
    indexer = await get_json(session, radarr, "/indexer/1")
    duplicate = indexer | {"name": "tipsyslug"}
    reply = await call(session, radarr, "PUT", "/indexer/1", body=duplicate)
    assert reply.status == 400
    assert reply.json == [
        {
            "propertyName": "Name",
            "errorMessage": "Should be unique",
            "attemptedValue": "tipsyslug",
            "severity": "error",
            "errorCode": "PredicateValidator",
            "formattedMessagePlaceholderValues": {
                "PropertyName": "Name",
                "PropertyValue": "tipsyslug",
            },
        }
    ]
    reply = await call(
        session,
        radarr,
        "PUT",
        "/indexer/1",
        body=indexer | {"name": "", "priority": 51},
    )
    assert reply.status == 400
    assert [(f["propertyName"], f["errorMessage"]) for f in reply.json] == [
        ("Name", "'Name' must not be empty."),
        ("Priority", "'Priority' must be between 1 and 50. You entered 51."),
    ]
    assert radarr.indexers[1]["name"] == "GeekNZB"


async def test_put_unchanged_is_a_no_op(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Radarr skips unchanged PUTs: no test, even for a failing indexer."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    indexer = await get_json(session, radarr, "/indexer/1")
    reply = await call(session, radarr, "PUT", "/indexer/1", body=indexer)
    assert reply.status == 202
    assert radarr.status(1).escalation_level == 0


async def test_put_change_runs_test_and_rejects_on_failure(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A changed, enabled indexer is tested; a failure is a 400 and nothing is saved."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    indexer = await get_json(session, radarr, "/indexer/1")
    reply = await call(
        session, radarr, "PUT", "/indexer/1", body=indexer | {"priority": 3}
    )
    assert reply.status == 400
    assert reply.json == [
        {
            "isWarning": False,
            "propertyName": "",
            "errorMessage": "Invalid API Key",
            "severity": "error",
        }
    ]
    assert radarr.indexers[1]["priority"] == 25
    # The failed test escalated the back-off (§5).
    assert radarr.status(1).escalation_level == 1
    forced = await call(
        session,
        radarr,
        "PUT",
        "/indexer/1",
        body=indexer | {"priority": 3},
        params={"forceSave": "true"},
    )
    assert forced.status == 202
    assert radarr.indexers[1]["priority"] == 3
    assert radarr.status(1).escalation_level == 1


async def test_put_disabling_skips_the_test(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Turning every flag off saves without a test; turning one on tests again."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(2, fail="Request limit reached")
    indexer = await get_json(session, radarr, "/indexer/2")
    off = indexer | {
        "enableRss": False,
        "enableAutomaticSearch": False,
        "enableInteractiveSearch": False,
    }
    assert (await call(session, radarr, "PUT", "/indexer/2", body=off)).status == 202
    assert radarr.indexers[2]["enableRss"] is False
    on = off | {"enableRss": True}
    assert (await call(session, radarr, "PUT", "/indexer/2", body=on)).status == 400
    assert radarr.indexers[2]["enableRss"] is False


async def test_put_invalid_url_when_enabled(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Settings are validated for enabled indexers."""
    radarr = arr_simulator.instance("radarr")
    indexer = with_field(
        await get_json(session, radarr, "/indexer/1"), "baseUrl", "geeknzb"
    )
    reply = await call(session, radarr, "PUT", "/indexer/1", body=indexer)
    assert reply.status == 400
    assert reply.json[0]["propertyName"] == "BaseUrl"


async def test_prowlarr_put_always_tests(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Prowlarr has no change detection: an unchanged PUT is tested too."""
    prowlarr = arr_simulator.instance("prowlarr")
    indexer = await get_json(session, prowlarr, "/indexer/6")
    reply = await call(session, prowlarr, "PUT", "/indexer/6", body=indexer)
    assert reply.status == 400
    assert "CloudFlare" in reply.json[0]["errorMessage"]
    assert prowlarr.status(6).escalation_level == 3
    ok = await call(
        session,
        prowlarr,
        "PUT",
        "/indexer/1",
        body=await get_json(session, prowlarr, "/indexer/1"),
    )
    assert ok.status == 202
    assert field(prowlarr.indexers[1], "password") == "hunter2-haven"


async def test_prowlarr_usenet_needs_redirect(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Prowlarr rejects usenet indexers without redirect."""
    prowlarr = arr_simulator.instance("prowlarr")
    indexer = await get_json(session, prowlarr, "/indexer/4")
    reply = await call(
        session, prowlarr, "PUT", "/indexer/4", body=indexer | {"redirect": False}
    )
    assert reply.status == 400
    assert (
        reply.json[0]["errorMessage"] == "Redirect must be enabled for Usenet indexers"
    )


async def test_put_unknown_id_and_body_id(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """PUT of an unknown id is 404; PUT /indexer takes the id from the body."""
    radarr = arr_simulator.instance("radarr")
    indexer = await get_json(session, radarr, "/indexer/3")
    assert (
        await call(session, radarr, "PUT", "/indexer/77", body=indexer | {"id": 77})
    ).status == 404
    reply = await call(
        session, radarr, "PUT", "/indexer", body=indexer | {"priority": 2}
    )
    assert reply.status == 202
    assert radarr.indexers[3]["priority"] == 2


async def test_bulk_changes_only_given_properties(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Bulk PUT changes the provided properties only, without any test."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="broken")
    before: dict[int, Any] = {i: dict(radarr.indexers[i]) for i in (1, 2, 3)}
    reply = await call(
        session,
        radarr,
        "PUT",
        "/indexer/bulk",
        body={"ids": [1, 2], "enableRss": False, "priority": 9},
    )
    assert reply.status == 202
    assert [item["id"] for item in reply.json] == [1, 2]
    assert field(reply.json[0], "apiKey") == MASK
    for indexer_id in (1, 2):
        stored = radarr.indexers[indexer_id]
        assert stored["enableRss"] is False
        assert stored["priority"] == 9
        assert stored["enableAutomaticSearch"] is True
        assert stored["fields"] == before[indexer_id]["fields"]
    assert radarr.indexers[3] == before[3]
    assert radarr.status(1).escalation_level == 0


async def test_bulk_naming_a_deleted_indexer_is_a_server_error(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """BasicRepository.Get(ids) throws when an id is missing: the error pipeline
    answers 500 and nothing changes (Radarr and Prowlarr ProviderControllerBase)."""
    for name, body in (
        ("radarr", {"ids": [1, 404], "enableRss": False}),
        ("prowlarr", {"ids": [1, 404], "enable": False}),
    ):
        instance = arr_simulator.instance(name)
        reply = await call(session, instance, "PUT", "/indexer/bulk", body=body)
        assert reply.status == 500
        assert reply.json["message"] == "Expected query to return 2 rows but returned 1"
    assert arr_simulator.instance("radarr").indexers[1]["enableRss"] is True
    assert arr_simulator.instance("prowlarr").indexers[1]["enable"] is True


async def test_bulk_tags(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """applyTags add / remove / replace."""
    radarr = arr_simulator.instance("radarr")
    for apply_tags, tags, expected in (
        ("add", [2, 3], [1, 2, 3]),
        ("remove", [1, 3], [2]),
        ("replace", [5], [5]),
    ):
        reply = await call(
            session,
            radarr,
            "PUT",
            "/indexer/bulk",
            body={"ids": [2], "tags": tags, "applyTags": apply_tags},
        )
        assert reply.status == 202
        assert radarr.indexers[2]["tags"] == expected


async def test_bulk_needs_ids(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Bulk without ids is a 400."""
    radarr = arr_simulator.instance("radarr")
    bodies: list[dict[str, Any]] = [{"enableRss": True}, {"ids": []}]
    for body in bodies:
        reply = await call(session, radarr, "PUT", "/indexer/bulk", body=body)
        assert reply.status == 400
        assert reply.json == {"message": "ids must be provided"}


async def test_bulk_missing_in_old_apps(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """bulk = false: PUT /indexer/bulk does not exist (405)."""
    simulator = await arr_simulator_factory(
        """
[[instance]]
name = "radarr"
app = "Radarr"
version = "4.3.2.6857"
bulk = false
api_key = "00000000000000000000000000000004"
"""
    )
    reply = await call(
        session, simulator.instance("radarr"), "PUT", "/indexer/bulk", body={"ids": [1]}
    )
    assert reply.status == 405


async def test_delete_removes_indexer_and_status(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """DELETE answers 200 {} and drops the status row."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(3, fail="down")
    assert (
        await call(session, radarr, "POST", "/indexer/test", body=radarr.indexers[3])
    ).status == 400
    reply = await call(session, radarr, "DELETE", "/indexer/3")
    assert (reply.status, reply.json) == (200, {})
    assert 3 not in radarr.indexers
    assert 3 not in radarr.state.statuses
    assert (await call(session, radarr, "GET", "/indexer/3")).status == 404


async def test_create_indexer(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """POST /indexer creates with the next id and answers 201."""
    radarr = arr_simulator.instance("radarr")
    body = await get_json(session, radarr, "/indexer/1")
    body = with_field(body | {"name": "GeekNZB Copy", "id": 0}, "apiKey", "new-key")
    reply = await call(session, radarr, "POST", "/indexer", body=body)
    assert reply.status == 201
    assert reply.json["id"] == 12
    assert field(radarr.indexers[12], "apiKey") == "new-key"
