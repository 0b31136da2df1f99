"""Webhook connections and the health events they send; the apps' RSS sync.

Radarr/Sonarr/Prowlarr Api.V*/Notifications/NotificationController.cs
(ProviderControllerBase: create and update test the connection live),
Core/Notifications/Webhook/WebhookBase.cs + WebhookProxy.cs (the payloads and
how they are sent), Core/HealthCheck/HealthCheckService.cs (events on a check's
transitions), Core/Indexers/RssSyncService.cs (real traffic).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from arr_simulator import ArrSimulator

from .helpers import call, get_json

pytestmark = pytest.mark.usefixtures("socket_enabled")


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers with a set status."""

    def __init__(self) -> None:
        """Nothing received yet."""
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        """Keep the body and headers."""
        self.received.append(
            {
                "method": request.method,
                "body": json.loads(await request.text()),
                "content_type": request.headers.get("Content-Type"),
                "user_agent": request.headers.get("User-Agent", ""),
            }
        )
        return web.Response(status=self.status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running receiver."""
    app = web.Application()
    hook = Receiver()
    app.router.add_route("*", "/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


def webhook(url: str, **flags: bool) -> dict[str, Any]:
    """The minimal Webhook body (health issue and restored, with warnings)."""
    return {
        "name": "Home Assistant",
        "implementation": "Webhook",
        "configContract": "WebhookSettings",
        "onHealthIssue": True,
        "onHealthRestored": True,
        "includeHealthWarnings": True,
        "tags": [],
        "fields": [{"name": "url", "value": url}, {"name": "method", "value": 1}],
        **flags,
    }


async def settle() -> None:
    """Let the simulator's background sends finish."""
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_create_tests_the_webhook_live(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    """POST answers 201 after the Test event reached the URL; a failing receiver
    is a 400 on Url; an unreachable one a 500; names must be unique."""
    radarr = arr_simulator.instance("radarr")
    reply = await call(
        session, radarr, "POST", "/notification", body=webhook(receiver.url)
    )
    assert reply.status == 201
    created = reply.json
    assert (created["implementation"], created["onHealthIssue"]) == ("Webhook", True)
    (test,) = receiver.received
    assert test["body"]["eventType"] == "Test"
    assert test["body"]["movie"]["title"] == "Test Title"
    assert test["content_type"] == "application/json"
    assert test["user_agent"].startswith("Radarr/6.0.4.10291")
    duplicate = await call(
        session, radarr, "POST", "/notification", body=webhook(receiver.url)
    )
    assert duplicate.status == 400
    assert duplicate.json[0]["errorMessage"] == "Should be unique"
    receiver.status = 404
    failing = await call(
        session,
        radarr,
        "POST",
        "/notification",
        body=webhook(receiver.url) | {"name": "Other"},
    )
    assert failing.status == 400
    assert failing.json[0]["propertyName"] == "Url"
    assert failing.json[0]["errorMessage"].startswith(
        "Unable to send test message: Unable to post to webhook: HTTP request failed: "
        "[404:NotFound] [POST]"
    )
    gone = await call(
        session,
        radarr,
        "POST",
        "/notification",
        body=webhook("http://127.0.0.1:9/hook") | {"name": "Gone"},
    )
    assert gone.status == 500
    forced = await call(
        session,
        radarr,
        "POST",
        "/notification",
        params={"forceSave": "true"},
        body=webhook("http://127.0.0.1:9/hook") | {"name": "Forced"},
    )
    assert forced.status == 201
    listed = await get_json(session, radarr, "/notification")
    assert [n["name"] for n in listed] == ["Forced", "Home Assistant"]
    # An unchanged PUT tests nothing (Radarr's change detection).
    receiver.status = 200
    before = len(receiver.received)
    put = await call(
        session, radarr, "PUT", f"/notification/{created['id']}", body=created
    )
    assert put.status == 202
    assert len(receiver.received) == before
    deleted = await call(session, radarr, "DELETE", f"/notification/{created['id']}")
    assert deleted.status == 200
    assert [n["name"] for n in await get_json(session, radarr, "/notification")] == [
        "Forced"
    ]


async def test_health_events_on_transitions(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    """A check that starts failing is one Health event, its recovery one
    HealthRestored with what had failed; Sonarr leaves applicationUrl out."""
    sonarr = arr_simulator.instance("sonarr")
    await call(session, sonarr, "POST", "/notification", body=webhook(receiver.url))
    receiver.received.clear()
    sonarr.set_indexer_fault(1, kind="auth")
    await call(session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[1])
    await settle()
    events = [r["body"] for r in receiver.received]
    assert events == [
        {
            "level": "warning",
            "message": "Indexers unavailable due to failures: GeekNZB",
            "type": "IndexerStatusCheck",
            "wikiUrl": "https://wiki.servarr.com/sonarr/system"
            "#indexers-are-unavailable-due-to-failures",
            "eventType": "Health",
            "instanceName": "Sonarr",
        }
    ]
    # Failing again changes nothing to announce.
    await call(session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[1])
    sonarr.clear_indexer_fault(1)
    await call(session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[1])
    await call(session, sonarr, "POST", "/indexer/test", body=sonarr.indexers[1])
    await settle()
    assert [r["body"]["eventType"] for r in receiver.received] == [
        "Health",
        "HealthRestored",
    ]
    assert receiver.received[-1]["body"]["message"] == (
        "Indexers unavailable due to failures: GeekNZB"
    )


async def test_rss_sync_is_real_traffic(arr_simulator: ArrSimulator) -> None:
    """The apps' RSS sync fetches every RSS-enabled indexer the back-off does not
    block; through Prowlarr each is an RSS row in its history."""
    radarr = arr_simulator.instance("radarr")
    prowlarr = arr_simulator.instance("prowlarr")
    radarr.set_indexer_fault(2, kind="server_error")
    outcomes = radarr.rss_sync()
    # 5 (RetiredNZB) is off; FlakyTracker's copy (9) is blocked in Prowlarr: 429.
    assert sorted(outcomes) == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11]
    assert outcomes[1] is None
    assert outcomes[2] is not None
    assert radarr.status(2).escalation_level == 1
    rows = [(h.indexer_id, h.event_type, h.source) for h in prowlarr.state.history]
    assert rows == [(i, "indexerRss", "Radarr") for i in (1, 3, 4, 7, 8)]
    # Blocked now, GeekNZB's neighbour is skipped by the next sync.
    assert 2 not in radarr.rss_sync()
