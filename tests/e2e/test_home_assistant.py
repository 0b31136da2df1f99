"""End to end: the integration in a real Home Assistant process, against the
simulated apps in another, driven only over the APIs the frontend uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import json
import time
from typing import Any

import aiohttp

from devtools.hass import DOMAIN, HomeAssistantClient

from .conftest import OWNER, Stack, errors_of_ours

# Bounds of the waits below, in seconds.
SETTLE = 30.0


async def _registry(client: HomeAssistantClient) -> dict[str, dict[str, Any]]:
    """Our entities in the entity registry, by unique id."""
    async with client.websocket() as ws:
        entities = await ws.call("config/entity_registry/list")
    return {e["unique_id"]: e for e in entities if e["platform"] == DOMAIN}


async def _states(client: HomeAssistantClient) -> dict[str, dict[str, Any]]:
    return {s["entity_id"]: s for s in await client.get("/api/states")}


async def _state_of(
    client: HomeAssistantClient, entry_id: str, indexer_id: int, key: str
) -> dict[str, Any]:
    """The state of one indexer entity, found by its unique id."""
    registry = await _registry(client)
    entity_id = registry[f"{entry_id}_indexer_{indexer_id}_{key}"]["entity_id"]
    state: dict[str, Any] = await client.get(f"/api/states/{entity_id}")
    return state


async def _wait_for_state(
    client: HomeAssistantClient, entity_id: str, expected: str
) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = await client.get(f"/api/states/{entity_id}")
        if state["state"] == expected:
            return state
        await asyncio.sleep(0.2)
    raise AssertionError(f"{entity_id} stayed {state.get('state')}, not {expected}")


async def test_onboarding_made_the_owner_and_every_instance_was_added(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """Onboarding over REST left an owner who can log in, and the config flow
    added the four simulated instances under the names the apps report."""
    client = HomeAssistantClient(stack.url, session)
    assert await client.onboarded()
    await client.login(OWNER)
    entries = await client.entries()
    assert sorted(e["title"] for e in entries) == [
        "Prowlarr",
        "Radarr",
        "Radarr 4K",
        "Sonarr",
    ]
    assert {e["state"] for e in entries} == {"loaded"}


async def test_config_flow_refuses_bad_input_with_a_clear_error(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """A wrong key, an unreachable URL and an instance added twice: each is
    refused with its own message, and nothing is added."""
    client = stack.client(session)
    before = len(await client.entries())
    _app, radarr_url, radarr_key = stack.simulator.instances["radarr"]

    wrong_key = await client.config_flow(
        DOMAIN, {"url": radarr_url, "api_key": "0" * 32}
    )
    assert wrong_key["type"] == "form"
    assert wrong_key["errors"] == {"base": "invalid_auth"}

    # A port nothing listens on (the simulator's, on the loopback's other name).
    unreachable = await client.config_flow(
        DOMAIN, {"url": "http://127.0.0.1:9", "api_key": radarr_key}
    )
    assert unreachable["type"] == "form"
    assert unreachable["errors"] == {"url": "cannot_connect"}

    duplicate = await client.config_flow(
        DOMAIN, {"url": radarr_url, "api_key": radarr_key}
    )
    assert duplicate["type"] == "abort"
    assert duplicate["reason"] == "already_configured"
    assert len(await client.entries()) == before


async def test_every_indexer_has_its_entities_and_its_state(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """Each simulated indexer has State, Status and Enabled entities, and the
    states say what the simulated stack is: a Cloudflare-blocked tracker failing
    in Prowlarr, a tracker set up with a deleted download client failing in
    Sonarr, a retired indexer off."""
    client = stack.client(session)
    registry = await _registry(client)
    states = await _states(client)
    for name, entry_id in stack.entries.items():
        indexers = await stack.control(session, "GET", f"/instances/{name}/indexers")
        for indexer in indexers:
            for key in ("state", "status", "enabled"):
                entity = registry[f"{entry_id}_indexer_{indexer['id']}_{key}"]
                assert entity["entity_id"] in states, entity
    cases = {
        ("prowlarr", 6): ("failing", "cloudflare"),  # FlakyTracker
        # AniTorrentHub names a deleted download client (the heal test
        # disables what fails in Radarr 4K, so this test looks at Sonarr).
        ("sonarr", 3): ("failing", "config"),
        ("radarr", 5): ("user_disabled", None),  # RetiredNZB
        ("radarr", 1): ("passing", None),  # GeekNZB
    }
    for (name, indexer_id), (expected, cause) in cases.items():
        state = await _state_of(client, stack.entries[name], indexer_id, "state")
        assert state["state"] == expected, (name, indexer_id, state)
        if cause is not None:
            status = await _state_of(client, stack.entries[name], indexer_id, "status")
            assert status["state"] == "on"
            assert status["attributes"]["cause"] == cause


async def test_switching_an_indexer_off_and_on_reaches_the_app_and_the_history(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """The Enabled switch turns every flag of Radarr's NZBSeeker off in the app,
    and back on restores exactly the flags it had (interactive search stays
    off); the switch's history shows both changes."""
    client = stack.client(session)
    entry_id = stack.entries["radarr"]
    switch = (await _state_of(client, entry_id, 3, "enabled"))["entity_id"]
    start = datetime.now(UTC) - timedelta(seconds=1)
    await stack.control(session, "DELETE", "/instances/radarr/requests")

    await client.post("/api/services/switch/turn_off", {"entity_id": switch})
    await _wait_for_state(client, switch, "off")
    stored = await stack.control(session, "GET", "/instances/radarr/indexers")
    nzbseeker = next(i for i in stored if i["id"] == 3)
    assert not nzbseeker["enableRss"]
    assert not nzbseeker["enableAutomaticSearch"]
    assert not nzbseeker["enableInteractiveSearch"]
    requests = await stack.control(session, "GET", "/instances/radarr/requests")
    writes = [r for r in requests if r["method"] == "PUT"]
    assert writes, requests
    # Only that indexer was written, and no indexer was tested for it.
    assert all("/indexer" in r["path"] for r in writes)
    assert not any(r["path"].endswith("/indexer/test") for r in requests)

    await client.post("/api/services/switch/turn_on", {"entity_id": switch})
    await _wait_for_state(client, switch, "on")
    stored = await stack.control(session, "GET", "/instances/radarr/indexers")
    nzbseeker = next(i for i in stored if i["id"] == 3)
    assert nzbseeker["enableRss"]
    assert nzbseeker["enableAutomaticSearch"]
    assert not nzbseeker["enableInteractiveSearch"]

    # The recorder writes every second (tests/e2e's configuration).
    deadline = time.monotonic() + SETTLE
    changes: list[str] = []
    while time.monotonic() < deadline and changes[-2:] != ["off", "on"]:
        await asyncio.sleep(0.5)
        history = await client.get(
            f"/api/history/period/{start.isoformat()}"
            f"?filter_entity_id={switch}&minimal_response&no_attributes"
        )
        changes = [s["state"] for s in history[0]] if history else []
    assert changes[-2:] == ["off", "on"]


async def test_a_heal_run_disables_what_keeps_failing_and_fires_its_events(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """Radarr 4K's GeekNZB keeps failing (its domain is dead), and so does its
    copy of Prowlarr's FlakyTracker, which Radarr 4K syncs Add and Remove Only
    (so Prowlarr's sync does not undo a change there): after two failing
    checks, Heal now disables both in the app, says so in events, and their State
    sensors show auto_disabled. Nothing else is touched."""
    client = stack.client(session)
    entry_id = stack.entries["radarr4k"]
    # Whatever ran before (the browser test heals Radarr 4K too): both on, and
    # their failures counted afresh, as after a user turns them on.
    for indexer_id in (1, 7):
        switch = (await _state_of(client, entry_id, indexer_id, "enabled"))["entity_id"]
        await client.post("/api/services/switch/turn_on", {"entity_id": switch})
    async with client.websocket() as ws:
        subscription = await ws.send(
            "subscribe_events", event_type=f"{DOMAIN}_indexer_disabled"
        )
        await ws.result(subscription)
        for _ in range(2):
            await client.post(
                f"/api/services/{DOMAIN}/test_indexers", {"config_entry_id": entry_id}
            )
        report = await client.post(
            f"/api/services/{DOMAIN}/heal_now?return_response",
            {"config_entry_id": entry_id, "dry_run": False},
        )
        events = [
            (await ws.next_event(subscription, timeout=SETTLE))["data"]
            for _ in range(2)
        ]
    decisions = report["service_response"]["decisions"]
    assert sorted((d["indexer"], d["action"]) for d in decisions) == [
        ("FlakyTracker (Prowlarr)", "disable"),
        ("GeekNZB", "disable"),
    ], report
    by_name = {event["indexer"]: event for event in events}
    assert by_name["GeekNZB"]["instance"] == "Radarr 4K"
    assert by_name["GeekNZB"]["cause"] == "network"
    assert by_name["FlakyTracker (Prowlarr)"]["cause"] == "cloudflare"
    assert all(event["device_id"] for event in events)
    stored = {
        i["id"]: i
        for i in await stack.control(session, "GET", "/instances/radarr4k/indexers")
    }
    for indexer_id in (1, 7):
        assert not stored[indexer_id]["enableRss"]
        assert not stored[indexer_id]["enableAutomaticSearch"]
        state = await _state_of(client, entry_id, indexer_id, "state")
        assert state["state"] == "auto_disabled"
    # The others are as they were.
    assert stored[2]["enableRss"]
    assert not stored[3]["enableRss"]


async def test_diagnostics_reveal_no_secret(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """The diagnostics a user attaches to a bug report, for every instance,
    hold none of the stack's API keys, passwords or tokens."""
    client = stack.client(session)
    secrets = stack.secrets()
    assert len(secrets) > 10
    for name, entry_id in stack.entries.items():
        text = (
            await client.get_bytes(f"/api/diagnostics/config_entry/{entry_id}")
        ).decode()
        data = json.loads(text)
        assert data["data"], name
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, (name, leaked)


async def test_the_integration_logged_no_error(stack: Stack) -> None:
    """Nothing our integration did so far made Home Assistant log an error or
    a traceback through its code (the failures it watches are warnings at
    most, once). The same check runs again after the last test."""
    assert not errors_of_ours(stack.config_dir / "home-assistant.log")
