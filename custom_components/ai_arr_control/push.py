"""Push: the apps send their health to Home Assistant through a webhook.

Each entry registers a Home Assistant webhook and creates, in its app, a
Webhook connection (Settings → Connect) for On Health Issue and On Health
Restored, with warnings. The app tests a connection live when it is created, so
a connection that exists has reached Home Assistant once. A health event naming
an indexer makes the entry check that indexer within seconds (same rules, same
budget as a health check) instead of at the next 30-minute check.
"""

from __future__ import annotations

from collections.abc import Mapping
import ipaddress
import json
from typing import Any

from aiohttp import web
from yarl import URL

from homeassistant.components import webhook
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .arr import ArrClient, ArrError, HealthCheck, Notification, redact_text
from .const import CONF_PUSH, CONF_WEBHOOK_ID, DOMAIN, LOGGER, PUSH_CONNECTION_NAME
from .coordinator import ArrConfigEntry, ArrHealthCoordinator

# Health events are a few hundred bytes; anything much larger is not one.
MAX_PAYLOAD = 64 * 1024
EVENT_TYPES = frozenset({"Test", "Health", "HealthRestored"})
LEVELS = frozenset({"ok", "notice", "warning", "error"})
ISSUE_PUSH = "push_failed"


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """The URL of a webhook as Home Assistant knows itself, None without one."""
    try:
        return webhook.async_generate_url(
            hass, webhook_id, allow_ip=True, prefer_external=False
        )
    except NoURLAvailableError:
        return None


def can_reach(ha_url: str | None, app_url: str) -> bool:
    """Whether an app can plausibly reach Home Assistant at that URL.

    Not when Home Assistant only knows a loopback address and the app runs on
    another host. The app's live test of the connection decides the rest.
    """
    if ha_url is None:
        return False
    return not _loopback(URL(ha_url).host) or _loopback(URL(app_url).host)


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def push_enabled(hass: HomeAssistant, entry: ArrConfigEntry, app_url: str) -> bool:
    """The Push option: as set, or on when the app can reach Home Assistant."""
    option = entry.options.get(CONF_PUSH)
    if isinstance(option, bool):
        return option
    return can_reach(webhook_url(hass, entry.data[CONF_WEBHOOK_ID]), app_url)


def connection_body(url: str) -> dict[str, Any]:
    """The Webhook connection: health issues and restorations, warnings included."""
    return {
        "name": PUSH_CONNECTION_NAME,
        "implementation": "Webhook",
        "configContract": "WebhookSettings",
        "onHealthIssue": True,
        "onHealthRestored": True,
        "includeHealthWarnings": True,
        "tags": [],
        "fields": [{"name": "url", "value": url}, {"name": "method", "value": 1}],
    }


def find_ours(connections: list[Notification], webhook_id: str) -> Notification | None:
    """Our connection: the Webhook whose URL carries our webhook id (a user may
    have renamed it), else the one with our name."""
    for connection in connections:
        url = connection.field_value("url")
        if (
            connection.implementation == "Webhook"
            and isinstance(url, str)
            and webhook_id in url
        ):
            return connection
    return next((c for c in connections if c.name == PUSH_CONNECTION_NAME), None)


def _needs_update(ours: Notification, url: str) -> bool:
    resource = ours.resource
    return ours.field_value("url") != url or not all(
        resource.get(flag)
        for flag in ("onHealthIssue", "onHealthRestored", "includeHealthWarnings")
    )


def _updated(ours: Notification, url: str) -> dict[str, Any]:
    """Our connection with our settings, the rest as the user left it."""
    body = {
        **ours.resource,
        "onHealthIssue": True,
        "onHealthRestored": True,
        "includeHealthWarnings": True,
    }
    fields = [
        dict(item)
        for item in ours.resource.get("fields", [])
        if isinstance(item, Mapping) and item.get("name") not in ("url", "method")
    ]
    body["fields"] = [
        *fields,
        {"name": "url", "value": url},
        {"name": "method", "value": 1},
    ]
    return body


class ArrPush:
    """One entry's webhook and its connection in the app."""

    def __init__(
        self, hass: HomeAssistant, entry: ArrConfigEntry, health: ArrHealthCoordinator
    ) -> None:
        """Bind to the entry's health coordinator."""
        self.hass = hass
        self.entry = entry
        self.health = health
        self.webhook_id: str = entry.data[CONF_WEBHOOK_ID]
        self.connected_url: str | None = None
        self.last_event: str | None = None
        self.last_event_at: str | None = None
        self._bad_payload_logged = False

    @property
    def client(self) -> ArrClient:
        """The entry's Arr client."""
        return self.health.client

    @callback
    def async_start(self) -> None:
        """Listen on the webhook; create the connection once Home Assistant runs
        (the app's live test of it needs Home Assistant answering)."""
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"{self.entry.title} (AI Arr Control)",
            self.webhook_id,
            self._async_handle,
            allowed_methods=("POST", "PUT"),
        )
        self.entry.async_on_unload(
            lambda: webhook.async_unregister(self.hass, self.webhook_id)
        )
        enabled = push_enabled(self.hass, self.entry, self.client.url)

        async def connect(hass: HomeAssistant) -> None:
            if enabled:
                await self.async_ensure_connection()
            else:
                # Turned off: the app stops posting here.
                await async_remove_connection(hass, self.entry, self.client)

        self.entry.async_on_unload(async_at_started(self.hass, connect))
        if not enabled:
            return

        async def url_changed(event: Event[Any]) -> None:
            await self.async_ensure_connection()

        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, url_changed)
        )

    async def async_ensure_connection(self) -> None:
        """Create our connection in the app, or bring it up to date; idempotent."""
        url = webhook_url(self.hass, self.webhook_id)
        if url is None:
            self._failed("no_url")
            return
        try:
            ours = find_ours(await self.client.notifications(), self.webhook_id)
            if ours is None:
                await self.client.create_notification(connection_body(url))
            elif _needs_update(ours, url):
                await self.client.update_notification(ours.id, _updated(ours, url))
        except ArrError as err:
            # The app's message names the URL it could not post to.
            self._failed(redact_text(str(err), (self.webhook_id,)))
            return
        self.connected_url = url
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    @property
    def _issue_id(self) -> str:
        return f"{ISSUE_PUSH}_{self.entry.entry_id}"

    def _failed(self, error: str) -> None:
        LOGGER.warning("%s cannot push its health: %s", self.entry.title, error)
        self.connected_url = None
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="push_no_url" if error == "no_url" else ISSUE_PUSH,
            translation_placeholders={"instance": self.entry.title, "error": error},
        )

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """An event from the app: a bad one changes nothing and is answered 400."""
        if (request.content_length or 0) > MAX_PAYLOAD:
            return self._bad("too large")
        raw = await request.content.read(MAX_PAYLOAD + 1)
        if len(raw) > MAX_PAYLOAD:
            return self._bad("too large")
        try:
            payload = json.loads(raw)
        except ValueError:
            return self._bad("not JSON")
        error = _invalid(payload)
        if error is not None:
            return self._bad(error)
        event = payload["eventType"]
        self.last_event = event
        self.last_event_at = dt_util.utcnow().isoformat()
        if event != "Test":
            self.health.apply_pushed_check(
                HealthCheck(
                    source=payload["type"],
                    type=payload["level"],
                    message=payload["message"],
                    wiki_url=payload.get("wikiUrl") or None,
                ),
                restored=event == "HealthRestored",
            )
        return web.Response(status=200)

    def _bad(self, reason: str) -> web.Response:
        if not self._bad_payload_logged:
            self._bad_payload_logged = True
            LOGGER.warning(
                "%s: ignored a webhook call that is not one of its health events "
                "(%s); further ones are not logged",
                self.entry.title,
                reason,
            )
        return web.Response(status=400)

    def diagnostics(self) -> dict[str, Any]:
        """What diagnostics show (never the webhook id)."""
        return {
            "enabled": push_enabled(self.hass, self.entry, self.client.url),
            "connected": self.connected_url is not None,
            "last_event": self.last_event,
            "last_event_at": self.last_event_at,
        }


def _invalid(payload: Any) -> str | None:
    """Why a payload is not one of the apps' health events, or None."""
    if not isinstance(payload, dict):
        return "not an object"
    event = payload.get("eventType")
    if event not in EVENT_TYPES:
        return "unknown eventType"
    if event == "Test":
        return None
    for key in ("type", "message"):
        value = payload.get(key)
        if not isinstance(value, str) or not value or len(value) > 4096:
            return f"no valid {key}"
    if payload.get("level") not in LEVELS:
        return "no valid level"
    wiki = payload.get("wikiUrl")
    if wiki is not None and not isinstance(wiki, str):
        return "no valid wikiUrl"
    return None


async def async_remove_connection(
    hass: HomeAssistant, entry: ArrConfigEntry, client: ArrClient
) -> None:
    """Remove our connection from the app (the entry is being removed)."""
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    if not isinstance(webhook_id, str):
        return
    try:
        ours = find_ours(await client.notifications(), webhook_id)
        if ours is not None:
            await client.delete_notification(ours.id)
    except ArrError as err:
        LOGGER.warning(
            "Could not remove the Home Assistant connection from %s: %s",
            entry.title,
            redact_text(str(err), (webhook_id,)),
        )
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_PUSH}_{entry.entry_id}")
