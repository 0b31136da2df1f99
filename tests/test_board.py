"""The indexer board: its card served and made a dashboard resource, the board
over the websocket API (and live), and the action that tests one indexer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
from typing import Any
from unittest.mock import MagicMock, patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MockHAClientWebSocket,
    WebSocketGenerator,
)

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.arr import Cause
from custom_components.ai_arr_control.board import BOARD_COOLDOWN
from custom_components.ai_arr_control.card import CARD_URL
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.components.lovelace.resources import ResourceStorageCollection
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from .common import next_health_check, setup_entries, state_of

pytestmark = pytest.mark.freeze_time("2026-11-28 12:00:00+00:00")

ALL = ("prowlarr", "radarr", "radarr4k", "sonarr")
# Secrets of the default simulated stack: the Cardigann indexers' settings.
SECRETS = ("hunter2-haven", "hunter2-vault", "TL-SECRET", "AITHER-SECRET")


def _resources(hass: HomeAssistant) -> list[dict[str, Any]]:
    resources = hass.data[LOVELACE_DATA].resources
    assert isinstance(resources, ResourceStorageCollection)
    return [r for r in resources.async_items() if r["url"].startswith(CARD_URL)]


async def _board(ws: MockHAClientWebSocket) -> dict[str, Any]:
    await ws.send_json_auto_id({"type": f"{DOMAIN}/board"})
    msg = await ws.receive_json()
    assert msg["success"], msg
    board: dict[str, Any] = msg["result"]
    return board


def _row(board: dict[str, Any], name: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [r for r in board["rows"] if r["name"] == name]
    assert len(rows) == 1, [r["name"] for r in board["rows"]]
    return rows[0]


def _cell(row: dict[str, Any], entry_id: str) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        cell for cell in row["cells"] if cell["entry_id"] == entry_id
    ]
    assert len(cells) == 1
    return cells[0]


def _device_of(hass: HomeAssistant, entry_id: str, indexer_id: int) -> str:
    device = dr.async_get(hass).async_get_child_device_by_identifier(
        (DOMAIN, f"{entry_id}_indexer_{indexer_id}"), entry_id
    )
    assert device is not None
    return device.id


# -- the card ------------------------------------------------------------------


async def test_card_is_served(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The integration serves its card, a plain ES module."""
    client = await hass_client()
    response = await client.get(CARD_URL)
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    text = await response.text()
    assert "customElements.define(CARD_TYPE, AiArrIndexerBoard)" in text
    assert "import " not in text


async def test_resource_added_once_and_kept_current(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
) -> None:
    """In storage mode the card is one module resource: a reload adds nothing,
    and an older version's item (or a duplicate) is updated, not added to."""
    assert await async_setup_component(hass, "lovelace", {})
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (item,) = _resources(hass)
    assert item["type"] == "module"
    assert item["url"].startswith(f"{CARD_URL}?v=")
    current = item["url"]

    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [r["url"] for r in _resources(hass)] == [current]

    # As after an update of the integration: the item points at the old file.
    resources = hass.data[LOVELACE_DATA].resources
    assert isinstance(resources, ResourceStorageCollection)
    await resources.async_update_item(item["id"], {"url": f"{CARD_URL}?v=old"})
    await resources.async_create_item({"res_type": "js", "url": CARD_URL})
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(r["id"], r["url"], r["type"]) for r in _resources(hass)] == [
        (item["id"], current, "module")
    ]

    # Removing the last instance removes the card from the dashboards.
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _resources(hass) == []


async def test_resource_added_when_lovelace_comes_later(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Dashboards set up after the integration still get the card."""
    assert await async_setup_component(hass, "lovelace", {})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(_resources(hass)) == 1


async def test_resource_in_yaml_mode(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
) -> None:
    """Resources in YAML are the user's: the frontend loads the card as an
    extra module instead."""
    assert await async_setup_component(hass, "lovelace", {"lovelace": {"mode": "yaml"}})
    # The frontend itself needs its built files, which the tests do not have.
    hass.config.components.add("frontend")
    with (
        patch("custom_components.ai_arr_control.card.add_extra_js_url") as add,
        patch("custom_components.ai_arr_control.card.remove_extra_js_url") as remove,
    ):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await hass.config_entries.async_reload(mock_config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    add.assert_called_once()
    assert add.call_args.args[1].startswith(f"{CARD_URL}?v=")
    remove.assert_not_called()


# -- the board ------------------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_board_rows_and_cells(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """One row per indexer: a Prowlarr indexer with its copies, each app's own
    indexers alone; cells as the entities show them; no secret anywhere."""
    entries = dict(
        zip(
            ALL,
            await setup_entries(hass, (arr_simulator.instance(n) for n in ALL)),
            strict=True,
        )
    )
    ids = {name: entry.entry_id for name, entry in entries.items()}
    ws = await hass_ws_client(hass)
    board = await _board(ws)

    columns = board["columns"]
    assert columns[0] == {
        "entry_id": ids["prowlarr"],
        "title": "Prowlarr",
        "app": "Prowlarr",
        "loaded": True,
        "available": True,
    }
    assert {c["entry_id"] for c in columns} == set(ids.values())

    # TorrentLeech: the Prowlarr indexer and its three copies on one row.
    leech = _row(board, "TorrentLeech")
    assert leech["key"] == f"{ids['prowlarr']}:8"
    assert sorted(c["entry_id"] for c in leech["cells"]) == sorted(ids.values())
    source = _cell(leech, ids["prowlarr"])
    assert (source["indexer_id"], source["name"]) == (8, "TorrentLeech")
    assert _cell(leech, ids["radarr"])["name"] == "TorrentLeech (Prowlarr)"
    # Full Sync copies refuse the switch; the Add-Only copy and Prowlarr do not.
    assert source["can_switch"] is True
    assert _cell(leech, ids["radarr"])["can_switch"] is False
    assert _cell(leech, ids["sonarr"])["can_switch"] is False
    assert _cell(leech, ids["radarr4k"])["can_switch"] is True
    assert source["switch_entity_id"] == "switch.prowlarr_torrentleech_enabled"
    assert source["state_entity_id"] == "sensor.prowlarr_torrentleech_state"
    assert source["device_id"] == _device_of(hass, ids["prowlarr"], 8)
    assert source["last_success"] == "2026-11-28T12:00:00+00:00"
    assert source["since"] is None

    # The apps' own indexers: one row each, even under the same name.
    geek = [row for row in board["rows"] if row["name"] == "GeekNZB"]
    assert sorted(c["entry_id"] for row in geek for c in row["cells"]) == sorted(
        [ids["radarr"], ids["radarr4k"], ids["sonarr"]]
    )
    assert all(len(row["cells"]) == 1 for row in geek)

    # Every cell shows what the State sensor says.
    for row in board["rows"]:
        for cell in row["cells"]:
            assert cell["state"] == state_of(hass, cell["state_entity_id"])
            assert cell["switch_entity_id"].startswith("switch.")
    retired = _cell(_row(board, "RetiredNZB"), ids["radarr"])
    assert (retired["state"], retired["problem"]) == ("user_disabled", False)
    # Failing since before Home Assistant saw it: since when is unknown.
    flaky = _cell(_row(board, "FlakyTracker"), ids["prowlarr"])
    assert (flaky["state"], flaky["problem"], flaky["since"]) == ("failing", True, None)

    dumped = json.dumps(board)
    for secret in (*SECRETS, *(i.api_key for i in arr_simulator.instances.values())):
        assert secret not in dumped


@pytest.mark.usefixtures("socket_enabled")
async def test_board_subscription_follows_checks(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The subscription sends the board at once and again after a check
    changed it: the failing indexer, its cause and since when."""
    prowlarr_entry, radarr_entry = await setup_entries(
        hass, (arr_simulator.instance(n) for n in ("prowlarr", "radarr"))
    )
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": f"{DOMAIN}/subscribe_board"})
    assert (await ws.receive_json())["success"]
    first = (await ws.receive_json())["event"]
    leech = _row(first, "TorrentLeech")
    assert _cell(leech, prowlarr_entry.entry_id)["state"] == "passing"

    arr_simulator.instance("prowlarr").set_indexer_fault(8, kind="auth")
    await next_health_check(hass, freezer)
    failed_at = "2026-11-28T12:30:01+00:00"
    freezer.tick(timedelta(seconds=BOARD_COOLDOWN))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    async with asyncio.timeout(5):
        event = (await ws.receive_json())["event"]
    row = _row(event, "TorrentLeech")
    cell = _cell(row, prowlarr_entry.entry_id)
    assert (cell["state"], cell["cause"], cell["since"]) == (
        "failing",
        "auth",
        failed_at,
    )
    assert cell["problem"] is row["problem"] is True
    assert cell["message"]
    assert cell["last_success"] == "2026-11-28T12:00:00+00:00"
    assert _cell(row, radarr_entry.entry_id)["state"] == state_of(
        hass, "sensor.radarr_torrentleech_prowlarr_state"
    )


async def test_board_auto_disabled_since(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An indexer auto-heal disabled shows since when (kept in its ledger)."""
    ws = await hass_ws_client(hass)
    control = init_integration.runtime_data.control
    assert await control.async_disable(3, reason="kept failing", cause=Cause.AUTH)
    freezer.tick(timedelta(hours=2))
    cell = _cell(_row(await _board(ws), "GeekNZB"), init_integration.entry_id)
    assert (cell["state"], cell["since"]) == (
        "auto_disabled",
        "2026-11-28T12:00:00+00:00",
    )
    ledger = init_integration.runtime_data.ledger.as_dict()
    assert ledger["owned"]["3"]["disabled_at"] == "2026-11-28T12:00:00+00:00"


# -- the test_indexer action ------------------------------------------------------


@pytest.mark.usefixtures("socket_enabled")
async def test_test_indexer_tests_that_one(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """The action tests exactly the indexer of the device, and its entities
    show the verdict at once."""
    radarr = arr_simulator.instance("radarr")
    (entry,) = await setup_entries(hass, [radarr])
    geek = next(i for i, r in radarr.indexers.items() if r["name"] == "GeekNZB")
    radarr.set_indexer_fault(geek, fail="Invalid API Key")
    radarr.clear_requests()

    response = await hass.services.async_call(
        DOMAIN,
        "test_indexer",
        {ATTR_DEVICE_ID: _device_of(hass, entry.entry_id, geek)},
        blocking=True,
        return_response=True,
    )
    tests = [r.body["id"] for r in radarr.requests if r.path.endswith("/indexer/test")]
    assert tests == [geek]
    assert response == {
        "instance": "Radarr",
        "indexer": "GeekNZB",
        "state": "failing",
        "cause": "auth",
        "message": "Invalid API Key",
    }
    assert state_of(hass, "sensor.radarr_geeknzb_state") == "failing"
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == "on"


@pytest.mark.usefixtures("socket_enabled")
async def test_test_indexer_copy_takes_prowlarr_verdict(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """Testing a Full Sync copy makes no test in the app: Prowlarr's verdict
    stands for it."""
    radarr = arr_simulator.instance("radarr")
    _, entry = await setup_entries(
        hass, (arr_simulator.instance(n) for n in ("prowlarr", "radarr"))
    )
    copy = next(
        i for i, r in radarr.indexers.items() if r["name"] == "TorrentLeech (Prowlarr)"
    )
    radarr.clear_requests()
    response = await hass.services.async_call(
        DOMAIN,
        "test_indexer",
        {ATTR_DEVICE_ID: _device_of(hass, entry.entry_id, copy)},
        blocking=True,
        return_response=True,
    )
    assert not [r for r in radarr.requests if r.path.endswith("/indexer/test")]
    assert response is not None
    assert response["state"] == "passing"


@pytest.mark.usefixtures("socket_enabled")
async def test_test_indexer_errors(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """A device that is no indexer is refused; an unreachable instance says so."""
    radarr = arr_simulator.instance("radarr")
    (entry,) = await setup_entries(hass, [radarr])
    instance_device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert instance_device is not None
    for device_id in ("not-a-device", instance_device.id):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "test_indexer", {ATTR_DEVICE_ID: device_id}, blocking=True
            )
        assert err.value.translation_key == "not_an_indexer"

    geek = next(i for i, r in radarr.indexers.items() if r["name"] == "GeekNZB")
    await radarr.set_down(True)
    with pytest.raises(HomeAssistantError) as unreachable:
        await hass.services.async_call(
            DOMAIN,
            "test_indexer",
            {ATTR_DEVICE_ID: _device_of(hass, entry.entry_id, geek)},
            blocking=True,
        )
    assert unreachable.value.translation_key == "indexer_unreachable"
    assert unreachable.value.translation_placeholders is not None
    assert unreachable.value.translation_placeholders["indexer"] == "GeekNZB"
