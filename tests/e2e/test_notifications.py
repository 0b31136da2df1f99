"""End to end: both notification blueprints, imported into the real Home
Assistant, made into automations through the automation editor's API, and
driven by real failures of the simulated apps.

A phone is registered as the Companion app does it, with a push URL served by
the test: what Home Assistant pushes to it is what a phone would show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
import time
from typing import Any

import aiohttp
from aiohttp import web
import pytest
import pytest_asyncio

from devtools.hass import DOMAIN, CommandError, HomeAssistantClient, free_port

from .conftest import Stack

SETTLE = 30.0


@dataclass(slots=True)
class Phone:
    """A registered Companion app: its device, and the pushes it received."""

    device_id: str
    notify_service: str
    pushes: list[dict[str, Any]] = field(default_factory=list)

    async def wait_for(
        self, condition: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """The first push that meets ``condition`` (30 s at most)."""
        deadline = time.monotonic() + SETTLE
        while time.monotonic() < deadline:
            for push in self.pushes:
                if condition(push):
                    return push
            await asyncio.sleep(0.2)
        raise AssertionError(f"no such push among {self.pushes}")


@pytest_asyncio.fixture
async def phone(stack: Stack, session: aiohttp.ClientSession) -> AsyncGenerator[Phone]:
    """A phone registered through mobile_app's registration API, pushed to on
    127.0.0.1 (a local push URL instead of the Companion app's cloud relay)."""
    received: list[dict[str, Any]] = []

    async def push(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({}, status=201)

    app = web.Application()
    app.router.add_post("/push", push)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    client = stack.client(session)
    name = f"E2E phone {port}"
    registration = await client.post(
        "/api/mobile_app/registrations",
        {
            "device_id": f"e2e-phone-{port}",
            "app_id": "io.homeassistant.companion.android",
            "app_name": "Home Assistant",
            "app_version": "2026.11.1",
            "device_name": name,
            "manufacturer": "E2E",
            "model": "Test phone",
            "os_name": "Android",
            "os_version": "16",
            "supports_encryption": False,
            "app_data": {
                "push_token": "e2e-token",
                "push_url": f"http://127.0.0.1:{port}/push",
            },
        },
        status=201,
    )
    assert registration["webhook_id"]
    async with client.websocket() as ws:
        devices = await ws.call("config/device_registry/list")
    device = next(d for d in devices if d["name"] == name)
    slug = name.lower().replace(" ", "_")
    try:
        yield Phone(device["id"], f"notify.mobile_app_{slug}", received)
    finally:
        await runner.cleanup()


async def _indexer_device(client: HomeAssistantClient, entry_id: str, name: str) -> str:
    async with client.websocket() as ws:
        devices = await ws.call("config/device_registry/list")
    return str(
        next(
            d["id"]
            for d in devices
            if d["name"] == name and d.get("config_entry_id") == entry_id
        )
    )


async def _automation(
    client: HomeAssistantClient, automation_id: str, blueprint: str, inputs: Any
) -> None:
    """Save an automation from a blueprint, as the automation editor does (the
    automations reload, and it is on)."""
    await client.post(
        f"/api/config/automation/config/{automation_id}",
        {
            "alias": automation_id,
            "description": "",
            "use_blueprint": {"path": f"{DOMAIN}/{blueprint}", "input": inputs},
        },
    )
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        states = await client.get("/api/states")
        if any(
            s["entity_id"].startswith("automation.")
            and s["attributes"].get("id") == automation_id
            and s["state"] == "on"
            for s in states
        ):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"automation {automation_id} did not start")


async def _notification(
    client: HomeAssistantClient, notification_id: str, text: str
) -> dict[str, Any]:
    """A persistent notification once its title or message contains ``text``."""
    deadline = time.monotonic() + SETTLE
    current: dict[str, Any] = {}
    while time.monotonic() < deadline:
        async with client.websocket() as ws:
            subscription = await ws.send("persistent_notification/subscribe")
            await ws.result(subscription)
            event = await ws.next_event(subscription)
        current = event["notifications"].get(notification_id) or {}
        if text in f"{current.get('title')} {current.get('message')}":
            return current
        await asyncio.sleep(0.3)
    raise AssertionError(f"{notification_id}: {current!r} never said {text!r}")


async def _check(client: HomeAssistantClient, entry_id: str) -> None:
    await client.post(
        f"/api/services/{DOMAIN}/test_indexers", {"config_entry_id": entry_id}
    )


async def test_an_indexer_failing_notifies_once_then_says_it_is_restored(
    stack: Stack, session: aiohttp.ClientSession, phone: Phone
) -> None:
    """Sonarr's TipsySlug starts refusing its API key: after the chosen time the
    phone and Home Assistant get one notification (with Test now and Turn off),
    a second failing check updates it rather than adding one, and once the key
    works again the same notification says it was restored and after how long.
    """
    client = stack.client(session)
    entry_id = stack.entries["sonarr"]
    device_id = await _indexer_device(client, entry_id, "TipsySlug")
    notification_id = f"ai_arr_control_indexer_{device_id}"
    await _automation(
        client,
        "e2e_indexer_problem",
        "indexer_problem.yaml",
        {
            "notify_devices": [phone.device_id],
            "persistent": True,
            "failing_for": {"hours": 0, "minutes": 0, "seconds": 2},
            "notify_on_disable": True,
        },
    )
    await stack.control(
        session, "POST", "/instances/sonarr/indexers/2/fault", {"kind": "auth"}
    )
    try:
        await _check(client, entry_id)
        failing = await _notification(client, notification_id, "has been failing")
        assert failing["title"] == "TipsySlug is failing"
        assert "Sonarr" in failing["message"]
        push = await phone.wait_for(
            lambda p: p.get("data", {}).get("tag") == notification_id
        )
        assert [a["title"] for a in push["data"]["actions"]] == [
            "Test now",
            "Turn off",
        ]
        await _check(client, entry_id)
        await asyncio.sleep(3)
        async with client.websocket() as ws:
            subscription = await ws.send("persistent_notification/subscribe")
            await ws.result(subscription)
            ours = [
                n
                for n in (await ws.next_event(subscription))["notifications"]
                if "TipsySlug" in n or n == notification_id
            ]
        assert ours == [notification_id]
    finally:
        await stack.control(
            session, "POST", "/instances/sonarr/indexers/2/fault", {"fail": None}
        )
    await _check(client, entry_id)
    restored = await _notification(client, notification_id, "restored after")
    assert restored["title"] == "TipsySlug restored"
    await phone.wait_for(
        lambda p: (
            p.get("data", {}).get("tag") == notification_id
            and "restored after" in p.get("message", "")
        )
    )


async def test_keep_off_on_the_phone_turns_the_indexer_off_in_the_app(
    stack: Stack, session: aiohttp.ClientSession, phone: Phone
) -> None:
    """An auto-disabled indexer's notification offers Keep off; pressing it
    turns the indexer off in the app for good (the user holds it)."""
    client = stack.client(session)
    entry_id = stack.entries["sonarr"]
    device_id = await _indexer_device(client, entry_id, "GeekNZB")
    await _automation(
        client,
        "e2e_indexer_keep_off",
        "indexer_problem.yaml",
        {
            "notify_devices": [phone.device_id],
            "persistent": False,
            "failing_for": {"hours": 1, "minutes": 0, "seconds": 0},
            "notify_on_disable": True,
        },
    )
    # What auto-heal fires when it disables an indexer.
    await client.post(
        f"/api/events/{DOMAIN}_indexer_disabled",
        {
            "config_entry_id": entry_id,
            "device_id": device_id,
            "instance": "Sonarr",
            "indexer_id": 1,
            "indexer": "GeekNZB",
            "code": "failing",
            "reason": "Invalid API Key",
            "cause": "auth",
        },
    )
    push = await phone.wait_for(lambda p: p.get("title") == "GeekNZB was disabled")
    actions = {a["title"]: a["action"] for a in push["data"]["actions"]}
    assert set(actions) == {"Test now", "Re-enable", "Keep off"}
    await client.post(
        "/api/events/mobile_app_notification_action",
        {"action": actions["Keep off"]},
    )
    try:
        deadline = time.monotonic() + SETTLE
        geeknzb: dict[str, Any] = {}
        while time.monotonic() < deadline:
            indexers = await stack.control(session, "GET", "/instances/sonarr/indexers")
            geeknzb = next(i for i in indexers if i["id"] == 1)
            if not geeknzb["enableRss"]:
                break
            await asyncio.sleep(0.2)
        assert not geeknzb["enableRss"]
        assert not geeknzb["enableAutomaticSearch"]
    finally:
        registry = await _entity_ids(client)
        await client.post(
            "/api/services/switch/turn_on",
            {"entity_id": registry[f"{entry_id}_indexer_1_enabled"]},
        )


async def test_an_instance_down_notifies_once_then_back_after(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """Sonarr stops answering: after the chosen time one notification says it
    is unreachable; once it answers again the same one says it is back."""
    client = stack.client(session)
    entry_id = stack.entries["sonarr"]
    registry = await _entity_ids(client)
    failing = registry[f"{entry_id}_failing_indexers"]
    async with client.websocket() as ws:
        devices = await ws.call("config/device_registry/list")
    instance_device = next(
        d["id"] for d in devices if [DOMAIN, entry_id] in d["identifiers"]
    )
    notification_id = f"ai_arr_control_instance_{instance_device}"
    await _automation(
        client,
        "e2e_instance_outage",
        "instance_outage.yaml",
        {
            "failing_sensors": [failing],
            "persistent": True,
            "down_for": {"hours": 0, "minutes": 0, "seconds": 2},
        },
    )
    await stack.control(session, "POST", "/instances/sonarr/fault", {"mode": "down"})
    try:
        await _check_allowing_failure(client, entry_id)
        down = await _notification(client, notification_id, "unreachable")
        assert "Sonarr" in down["title"] + down["message"]
    finally:
        await stack.control(session, "POST", "/instances/sonarr/fault", {"mode": "up"})
    await _check(client, entry_id)
    await _notification(client, notification_id, "back after")


async def _check_allowing_failure(client: HomeAssistantClient, entry_id: str) -> None:
    """Check now an instance that cannot be reached: the action says so, in a
    translated message (over the websocket, as the frontend calls it)."""
    async with client.websocket() as ws:
        with pytest.raises(CommandError, match="Could not check the indexers"):
            await ws.call(
                "call_service",
                domain=DOMAIN,
                service="test_indexers",
                service_data={"config_entry_id": entry_id},
            )


async def _entity_ids(client: HomeAssistantClient) -> dict[str, str]:
    async with client.websocket() as ws:
        entities = await ws.call("config/entity_registry/list")
    return {e["unique_id"]: e["entity_id"] for e in entities if e["platform"] == DOMAIN}
