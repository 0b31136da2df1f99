"""Push: the simulated apps post their health to Home Assistant's webhook.

Home Assistant's own HTTP server answers on 127.0.0.1; the simulated apps
create the connection, test it live, and post the apps' real payloads to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import logging
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from arr_simulator import ArrSimulator, SimulatedInstance
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.const import (
    CONF_WEBHOOK_ID,
    DOMAIN,
    PUSH_CONNECTION_NAME,
)
from custom_components.ai_arr_control.push import can_reach
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from .common import setup_entries, state_of

pytestmark = [pytest.mark.usefixtures("socket_enabled")]


async def until(condition: Callable[[], bool], hass: HomeAssistant) -> None:
    """Wait (at most 2 s) for something the simulator and Home Assistant do."""
    for _ in range(100):
        await hass.async_block_till_done()
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("did not happen in time")


def connections(instance: SimulatedInstance) -> list[dict[str, Any]]:
    """The connections stored in a simulated app."""
    return list(instance.state.notifications.values())


def url_of(connection: dict[str, Any]) -> str:
    """A connection's URL."""
    return str(next(f["value"] for f in connection["fields"] if f["name"] == "url"))


@pytest.fixture
async def ha_url(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> str:
    """Home Assistant answering on 127.0.0.1, and knowing that URL."""
    # Components that add HTTP views come before the server starts.
    for component in ("webhook", "calendar", DOMAIN):
        assert await async_setup_component(hass, component, {})
    client = await hass_client_no_auth()
    url = f"http://127.0.0.1:{client.server.port}"
    await hass.config.async_update(internal_url=url)
    return url


@pytest.fixture(autouse=True)
def no_debounce() -> Any:
    """Pushed checks run at once here."""
    with patch("custom_components.ai_arr_control.coordinator.PUSH_DEBOUNCE", 0):
        yield


RADARR = """
[[instance]]
name = "radarr"
app = "Radarr"
api_key = "0000000000000000000000000000000b"
[[instance.indexer]]
name = "GeekNZB"
implementation = "Newznab"
fields = { baseUrl = "https://api.geeknzb.example-nzb.test", apiKey = "k" }
[[instance.indexer]]
name = "TipsySlug"
implementation = "Newznab"
fields = { baseUrl = "https://api.tipsyslug.example-nzb.test", apiKey = "k" }
"""


async def test_push_from_connection_to_sensor(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    ha_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The connection is created once (the app's live test reaches Home
    Assistant); a health event naming an indexer has it tested at once; the
    connection follows a new URL and goes with the entry."""
    simulator = await arr_simulator_factory(RADARR)
    radarr = simulator.instance("radarr")
    (entry,) = await setup_entries(hass, (radarr,), push=True)
    push = entry.runtime_data.push
    await until(lambda: push.last_event == "Test", hass)
    (ours,) = connections(radarr)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert ours["name"] == PUSH_CONNECTION_NAME
    assert url_of(ours) == f"{ha_url}/api/webhook/{webhook_id}"
    assert (ours["onHealthIssue"], ours["onHealthRestored"]) == (True, True)
    assert ours["includeHealthWarnings"] is True
    # Idempotent: a second pass changes nothing in the app.
    radarr.clear_requests()
    await push.async_ensure_connection()
    assert [r.method for r in radarr.requests] == ["GET"]
    assert len(connections(radarr)) == 1

    # GeekNZB breaks; Radarr's own RSS sync finds out and pushes its health.
    tests_before = entry.runtime_data.health.tests_today().get(1, 0)
    radarr.set_indexer_fault(1, kind="auth")
    radarr.clear_requests()
    radarr.rss_sync()
    await until(
        lambda: state_of(hass, "binary_sensor.radarr_geeknzb_status") == "on", hass
    )
    assert state_of(hass, "binary_sensor.radarr_health") == "on"
    sensor = hass.states.get("binary_sensor.radarr_geeknzb_status")
    assert sensor is not None
    assert sensor.attributes["cause"] == "auth"
    tested = [r.body["id"] for r in radarr.requests if r.path.endswith("/indexer/test")]
    assert tested == [1]
    assert entry.runtime_data.health.tests_today()[1] == tests_before + 1

    # Home Assistant moves: the connection follows (the app tests the new URL).
    await hass.config.async_update(internal_url="http://127.0.0.1:9")
    await until(
        lambda: (
            issue_registry.async_get_issue(DOMAIN, f"push_failed_{entry.entry_id}")
            is not None
        ),
        hass,
    )
    issue = issue_registry.async_get_issue(DOMAIN, f"push_failed_{entry.entry_id}")
    assert issue is not None
    assert webhook_id not in str(issue.translation_placeholders)
    await hass.config.async_update(internal_url=ha_url)
    await until(
        lambda: (
            issue_registry.async_get_issue(DOMAIN, f"push_failed_{entry.entry_id}")
            is None
        ),
        hass,
    )
    assert len(connections(radarr)) == 1

    # Removing the entry removes the connection.
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert connections(radarr) == []


async def test_pushed_copy_asks_its_prowlarr(
    hass: HomeAssistant, arr_simulator: ArrSimulator, ha_url: str
) -> None:
    """TorrentHaven's site starts refusing Prowlarr's login: Sonarr's RSS sync
    fails through Prowlarr and Sonarr pushes that it blocks the copy. Prowlarr
    (not Sonarr) is asked to test the indexer at once, and the copy takes its
    verdict: one site query in all."""
    prowlarr, sonarr = (
        arr_simulator.instance("prowlarr"),
        arr_simulator.instance("sonarr"),
    )
    entries = await setup_entries(hass, (prowlarr, sonarr), push=True)
    await until(
        lambda: all(e.runtime_data.push.last_event == "Test" for e in entries), hass
    )
    # Sonarr's copies take Prowlarr's verdicts once both are loaded.
    await until(
        lambda: (
            state_of(hass, "binary_sensor.sonarr_torrenthaven_prowlarr_status") == "off"
        ),
        hass,
    )
    prowlarr.clear_requests()
    sonarr.clear_requests()
    prowlarr.set_indexer_fault(1, kind="auth")
    sonarr.rss_sync()
    await until(
        lambda: (
            state_of(hass, "binary_sensor.sonarr_torrenthaven_prowlarr_status") == "on"
        ),
        hass,
    )
    assert [
        r.body["id"] for r in prowlarr.requests if r.path.endswith("/indexer/test")
    ] == [1]
    # The copy itself is not tested in Sonarr: Prowlarr's test answers for it.
    assert not [r for r in sonarr.requests if r.path.endswith("/indexer/test")]
    copy = hass.states.get("binary_sensor.sonarr_torrenthaven_prowlarr_status")
    assert copy is not None
    assert copy.attributes["cause"] == "auth"
    # FlakyTracker, named in the same message but already failing here, is not
    # tested again.
    assert state_of(hass, "binary_sensor.sonarr_flakytracker_prowlarr_status") == "on"


async def test_bad_payloads_change_nothing(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    ha_url: str,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unknown, malformed or oversized: 400, logged once, nothing changes; a
    HealthRestored clears what was pushed."""
    sonarr = arr_simulator.instance("sonarr")
    (entry,) = await setup_entries(hass, (sonarr,))
    client = await hass_client_no_auth()
    path = f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
    checks = entry.runtime_data.health.data.checks
    caplog.set_level(logging.WARNING)
    for body in (
        b"not json",
        json.dumps({"eventType": "Grab"}).encode(),
        json.dumps({"eventType": "Health", "level": "warning"}).encode(),
        json.dumps(["a list"]).encode(),
        json.dumps({"eventType": "Health", "message": "x" * 70_000}).encode(),
    ):
        response = await client.post(path, data=body)
        assert response.status == 400
    assert entry.runtime_data.health.data.checks == checks
    assert caplog.text.count("ignored a webhook call") == 1
    health = {
        "level": "warning",
        "message": "Indexers unavailable due to failures: TipsySlug",
        "type": "IndexerStatusCheck",
        "wikiUrl": "https://wiki.servarr.com/sonarr/system",
        "eventType": "Health",
        "instanceName": "Sonarr",
    }
    assert (await client.post(path, json=health)).status == 200
    await until(lambda: state_of(hass, "binary_sensor.sonarr_health") == "on", hass)
    restored = {**health, "eventType": "HealthRestored"}
    assert (await client.post(path, json=restored)).status == 200
    await until(lambda: state_of(hass, "binary_sensor.sonarr_health") == "off", hass)


@pytest.mark.parametrize(
    ("ha", "app", "reachable"),
    [
        (None, "http://192.168.1.10:7878", False),
        ("http://127.0.0.1:8123", "http://192.168.1.10:7878", False),
        ("http://127.0.0.1:8123", "http://127.0.0.1:7878", True),
        ("http://localhost:8123", "http://localhost:7878", True),
        ("http://192.168.1.5:8123", "http://192.168.1.10:7878", True),
        ("https://ha.example.com", "http://radarr:7878", True),
    ],
)
def test_push_is_on_by_default_when_reachable(
    ha: str | None, app: str, reachable: bool
) -> None:
    """On by default when Home Assistant has a URL the app can reach."""
    assert can_reach(ha, app) is reachable
