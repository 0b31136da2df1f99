"""The fault matrix: what a user sees when something breaks, and after it heals.

Each fault runs against the Arr simulator (real HTTP on 127.0.0.1), with a small
reverse proxy in front of it for what only a proxy or a broken app answers (403,
a 404 for a wrong URL base, a redirect to a login page, truncated or malformed
JSON) and a TLS listener for certificate errors. For every fault: entities go
unavailable (or show the indexer failing) as a user expects, nothing is logged
with a traceback, no indexer setting or enable flag is lost, and everything
recovers once the fault clears.

Time is frozen: nothing waits for real. Whatever a fault makes wait (a slow app,
a hanging indexer test) is released by moving the clock and firing the timers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import ipaddress
import logging
from pathlib import Path
import random
import socket
import ssl
import threading
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp import web
from aiohttp.abc import ResolveResult
from aiohttp.resolver import AsyncResolver
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from arr_simulator import ArrSimulator, SimulatedInstance
from arr_simulator.app import RecordedRequest
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.const import (
    CONF_PUSH,
    DOMAIN,
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    CONF_URL,
    CONF_VERIFY_SSL,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from .common import HEALTH_INTERVAL, next_health_check, state_of, writes

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
    # A fault that made the test wait for real would otherwise hang it.
    pytest.mark.timeout(120),
]

FLAG_KEYS = frozenset(
    {"enable", "enableRss", "enableAutomaticSearch", "enableInteractiveSearch"}
)
INTEGRATION_LOGGER = "custom_components.ai_arr_control"
# The server side of these tests (the simulator and the proxy) is not ours.
SERVER_LOGGERS = ("aiohttp.server", "aiohttp.web", "aiohttp.access", "arr_simulator")

# Radarr's entities that follow its health checks (the default simulator set).
RADARR_HEALTH_ENTITIES = (
    "binary_sensor.radarr_health",
    "sensor.radarr_indexers",
    "sensor.radarr_failing_indexers",
    "binary_sensor.radarr_geeknzb_status",
    "switch.radarr_geeknzb_enabled",
    "binary_sensor.radarr_nzbseeker_status",
    "switch.radarr_nzbseeker_enabled",
    "sensor.radarr_nzbseeker_state",
)
GEEK = 1
NZBSEEKER = 3  # RSS and automatic search on, interactive search off
NZBSEEKER_FLAGS = {
    "enableRss": True,
    "enableAutomaticSearch": True,
    "enableInteractiveSearch": False,
}
ALL_OFF = dict.fromkeys(NZBSEEKER_FLAGS, False)


# -- what must never be lost --------------------------------------------------


def settings_of(instance: SimulatedInstance) -> dict[int, dict[str, Any]]:
    """Every stored indexer resource without its enable flags."""
    return {
        indexer_id: {
            key: copy.deepcopy(value)
            for key, value in resource.items()
            if key not in FLAG_KEYS
        }
        for indexer_id, resource in instance.indexers.items()
    }


def flags_of(instance: SimulatedInstance) -> dict[int, dict[str, bool]]:
    """Every stored indexer's enable flags."""
    return {
        indexer_id: {key: resource[key] for key in FLAG_KEYS if key in resource}
        for indexer_id, resource in instance.indexers.items()
    }


@dataclass
class Baseline:
    """An instance's indexers as they were before a fault."""

    instance: SimulatedInstance
    settings: dict[int, dict[str, Any]] = field(init=False)
    flags: dict[int, dict[str, bool]] = field(init=False)

    def __post_init__(self) -> None:
        """Take the snapshot."""
        self.settings = settings_of(self.instance)
        self.flags = flags_of(self.instance)

    def assert_nothing_lost(self, *, flags: bool = True) -> None:
        """Every setting as it was; every enable flag too unless ``flags`` is off."""
        assert settings_of(self.instance) == self.settings
        if flags:
            assert flags_of(self.instance) == self.flags


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records that carry a traceback (or an error-level record saying
    "Traceback"), from anything but the test servers."""
    return [
        f"{record.name} {record.levelname}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and not record.name.startswith(SERVER_LOGGERS)
        and record.threadName != TlsRelay.THREAD
        and (record.exc_info is not None or "Traceback" in record.getMessage())
    ]


def errors_of_ours(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Error-level records of the integration."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.name.startswith(INTEGRATION_LOGGER)
    ]


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """The re-authentication flows in progress for an entry."""
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
        and flow["context"].get("entry_id") == entry.entry_id
    ]


# -- driving time and the simulator -------------------------------------------


def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Move the clock and fire what is due, without waiting for it to finish."""
    freezer.tick(delta)
    async_fire_time_changed(hass)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the event loop run until ``condition`` holds (bounded)."""
    for _ in range(50_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never happened: {what}")


def received(
    instance: SimulatedInstance, method: str, path: str, body_id: int | None = None
) -> Callable[[], bool]:
    """Whether the instance received such a request (a test of ``body_id``)."""

    def check() -> bool:
        return any(
            r.method == method
            and r.path == path
            and (
                body_id is None
                or (isinstance(r.body, dict) and r.body.get("id") == body_id)
            )
            for r in instance.requests
        )

    return check


@dataclass
class _Rule:
    matches: Callable[[RecordedRequest], bool]
    action: Callable[[RecordedRequest], None]


class RequestHook:
    """Acts when an instance receives a request, before the request is answered:
    what happens then is what a concurrent user or app does at that moment."""

    def __init__(
        self, instance: SimulatedInstance, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Wrap the instance's request log."""
        self._record = instance.record_request
        self._rules: list[_Rule] = []
        monkeypatch.setattr(instance, "record_request", self._on_request)

    def once(
        self,
        method: str,
        path: str,
        action: Callable[[RecordedRequest], None],
        *,
        when: Callable[[RecordedRequest], bool] = lambda _: True,
    ) -> None:
        """Run ``action`` at the first such request (after ``when`` holds)."""
        self._rules.append(
            _Rule(lambda r: r.method == method and r.path == path and when(r), action)
        )

    def clear(self) -> None:
        """Forget the actions not run yet."""
        self._rules.clear()

    def _on_request(self, request: RecordedRequest) -> None:
        self._record(request)
        for rule in list(self._rules):
            if rule.matches(request):
                self._rules.remove(rule)
                rule.action(request)


def bulk_of(indexer_id: int) -> Callable[[RecordedRequest], bool]:
    """A bulk edit of one indexer."""
    return lambda r: isinstance(r.body, dict) and r.body.get("ids") == [indexer_id]


def start_heal(hass: HomeAssistant, entry: MockConfigEntry) -> asyncio.Task[None]:
    """A heal run as its schedule starts it: a background task of the entry."""
    heal = entry.runtime_data.heal
    task: asyncio.Task[None] = entry.async_create_background_task(
        hass, heal.async_refresh(), "heal run"
    )
    return task


async def heal_cycle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Four health checks: two hours, one scheduled heal run."""
    for _ in range(4):
        await next_health_check(hass, freezer)


async def switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    """Turn a switch on or off, as the UI does."""
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


# -- entries ------------------------------------------------------------------


def entry_at(
    instance: SimulatedInstance, url: str | None = None, *, verify_ssl: bool = True
) -> MockConfigEntry:
    """An entry for an instance, as the config flow creates it (push off)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=instance.config.instance_name,
        data={
            CONF_URL: url or instance.url,
            CONF_API_KEY: instance.api_key,
            CONF_VERIFY_SSL: verify_ssl,
            "app": instance.app,
        },
        options={CONF_PUSH: False},
    )


def state_of_entry(entry: MockConfigEntry) -> ConfigEntryState:
    """An entry's state, read afresh."""
    state: ConfigEntryState = entry.state
    return state


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up an entry."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
def quiet_prowlarr(arr_simulator: ArrSimulator) -> None:
    """Radarr alone: Prowlarr's FlakyTracker no longer fails nor is blocked, so
    the copy of it that Radarr tests passes and only the faults a test makes
    show."""
    prowlarr = arr_simulator.instance("prowlarr")
    prowlarr.clear_indexer_fault(6)
    prowlarr.state.statuses.pop(6, None)


# -- name resolution: never the network ----------------------------------------


class FakeDns:
    """Home Assistant's resolver, answering from a table: any other name does
    not exist (as a real NXDOMAIN answers), and nothing goes to the network."""

    def __init__(self) -> None:
        """No names known."""
        self.hosts: dict[str, str] = {}
        self.lookups: list[str] = []

    async def resolve(
        self,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        """Resolve from the table, or fail like a name that does not exist."""
        self.lookups.append(host)
        address = self.hosts.get(host)
        if address is None:
            raise OSError(None, "Domain name not found")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]


@pytest.fixture(autouse=True)
def dns() -> Generator[FakeDns]:
    """No test here resolves a name through the network."""
    fake = FakeDns()

    async def resolve(
        _resolver: AsyncResolver,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        return await fake.resolve(host, port, family)

    with patch.object(AsyncResolver, "resolve", resolve):
        yield fake


# -- a reverse proxy that misbehaves -------------------------------------------

NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
NGINX_403 = NGINX_404.replace("404 Not Found", "403 Forbidden")
LOGIN_URL = "https://auth.example.invalid/login"


class ArrProxy:
    """A reverse proxy on 127.0.0.1 serving one instance under ``/radarr``.

    ``mode`` makes it misbehave: ``forbidden`` (403), ``wrong_base`` (404, as
    for a URL base it does not serve), ``login_redirect`` (307 to another host's
    login page), ``truncated_body`` (the connection drops half-way through the
    announced body), ``truncated_json`` and ``malformed_json`` (a complete
    answer whose JSON is cut off, or has a stray comma).
    """

    PREFIX = "/radarr"

    def __init__(self, upstream: SimulatedInstance) -> None:
        """Proxy to the upstream instance."""
        self.upstream = upstream
        self.mode: str | None = None
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """The URL Home Assistant is given."""
        return f"http://127.0.0.1:{self.port}{self.PREFIX}"

    async def start(self) -> None:
        """Listen on an ephemeral port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop listening."""
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        mode = self.mode
        if mode == "forbidden":
            return web.Response(status=403, text=NGINX_403, content_type="text/html")
        path = request.path
        if mode == "wrong_base" or not (
            path == self.PREFIX or path.startswith(f"{self.PREFIX}/")
        ):
            return web.Response(status=404, text=NGINX_404, content_type="text/html")
        if mode == "login_redirect":
            return web.Response(
                status=307, headers={"Location": f"{LOGIN_URL}?rd={request.url}"}
            )
        assert self._session is not None
        async with self._session.request(
            request.method,
            f"{self.upstream.root_url}{path[len(self.PREFIX) :] or '/'}",
            params=request.query,
            data=await request.read(),
            headers={
                key: value
                for key, value in request.headers.items()
                if key.lower() in ("x-api-key", "content-type", "accept")
            },
            allow_redirects=False,
        ) as upstream:
            body = await upstream.read()
            status = upstream.status
            headers = {
                key: value
                for key, value in upstream.headers.items()
                if key.lower() in ("content-type", "location", "x-application-version")
            }
        if body and mode == "truncated_json":
            body = body[: len(body) // 2]
        elif body and mode == "malformed_json":
            body = body[:-1] + b"," + body[-1:]
        elif body and mode == "truncated_body":
            response = web.StreamResponse(status=status, headers=headers)
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            assert request.transport is not None
            request.transport.close()
            return response
        return web.Response(body=body, status=status, headers=headers)


type ProxyFactory = Callable[[SimulatedInstance], Awaitable[ArrProxy]]


@pytest.fixture
async def proxy_factory() -> AsyncGenerator[ProxyFactory]:
    """Start proxies; all are stopped at teardown."""
    started: list[ArrProxy] = []

    async def factory(upstream: SimulatedInstance) -> ArrProxy:
        proxy = ArrProxy(upstream)
        await proxy.start()
        started.append(proxy)
        return proxy

    yield factory
    for proxy in started:
        await proxy.stop()


# -- instance-level faults -----------------------------------------------------

# (fault, served through the proxy, what a user must do to recover)
INSTANCE_FAULTS = [
    ("refused", False, "wait"),
    ("starting", False, "wait"),
    ("unauthorized", False, "reauth"),
    ("server_error", False, "wait"),
    ("html_login_page", False, "wait"),
    ("forbidden", True, "reauth"),
    ("wrong_base", True, "wait"),
    ("login_redirect", True, "wait"),
    ("truncated_body", True, "wait"),
    ("truncated_json", True, "wait"),
    ("malformed_json", True, "wait"),
]


async def start_fault(
    fault: str, instance: SimulatedInstance, proxy: ArrProxy | None
) -> None:
    """Make an instance (or the proxy in front of it) misbehave."""
    match fault:
        case "refused":
            await instance.set_down(True)
        case "starting":
            instance.set_fault("starting")
        case "unauthorized":
            instance.set_fault("unauthorized")
        case "server_error":
            instance.set_fault("error")
        case "html_login_page":
            instance.set_fault("html")
        case _:
            assert proxy is not None
            proxy.mode = fault


async def clear_fault(
    fault: str, instance: SimulatedInstance, proxy: ArrProxy | None
) -> None:
    """The instance (or the proxy) behaves again."""
    if fault == "refused":
        await instance.set_down(False)
    instance.set_fault(None)
    if proxy is not None:
        proxy.mode = None


@pytest.mark.usefixtures("quiet_prowlarr")
@pytest.mark.parametrize(
    ("fault", "proxied", "recovery"),
    INSTANCE_FAULTS,
    ids=[fault for fault, _, _ in INSTANCE_FAULTS],
)
async def test_instance_fault(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    proxy_factory: ProxyFactory,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
    dns: FakeDns,
    fault: str,
    proxied: bool,
    recovery: str,
) -> None:
    """The instance stops answering properly: its entities become unavailable
    (logged once, no traceback), a heal run changes nothing and says the
    instance is unreachable, a refused key asks for it again, and everything
    comes back as it was once the fault clears."""
    radarr = arr_simulator.instance("radarr")
    proxy = await proxy_factory(radarr) if proxied else None
    entry = await set_up(hass, entry_at(radarr, proxy.url if proxy else None))
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    assert state_of(hass, "binary_sensor.radarr_nzbseeker_status") == STATE_ON
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_OFF
    before = {e: state_of(hass, e) for e in RADARR_HEALTH_ENTITIES}
    baseline = Baseline(radarr)
    caplog.clear()
    radarr.clear_requests()

    await start_fault(fault, radarr, proxy)
    # Two hours: a heal run comes while the instance cannot be used.
    await heal_cycle(hass, freezer)

    for entity_id in RADARR_HEALTH_ENTITIES:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    assert writes(radarr) == []
    baseline.assert_nothing_lost()
    issue = issue_registry.async_get_issue(DOMAIN, f"outage_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "unreachable"
    assert tracebacks(caplog) == []
    # Logged once, however long it lasts.
    assert len(errors_of_ours(caplog)) == 1, errors_of_ours(caplog)
    flows = reauth_flows(hass, entry)
    assert len(flows) == (1 if recovery == "reauth" else 0)
    # The login page's host is never contacted, nor looked up.
    assert dns.lookups == []

    await clear_fault(fault, radarr, proxy)
    if recovery == "reauth":
        result = await hass.config_entries.flow.async_configure(
            flows[0], {CONF_API_KEY: radarr.api_key}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reauth_successful"
        await hass.async_block_till_done()
    else:
        await next_health_check(hass, freezer)

    assert state_of_entry(entry) is ConfigEntryState.LOADED
    assert {e: state_of(hass, e) for e in RADARR_HEALTH_ENTITIES} == before
    assert issue_registry.async_get_issue(DOMAIN, f"outage_{entry.entry_id}") is None
    assert reauth_flows(hass, entry) == []
    baseline.assert_nothing_lost()
    assert tracebacks(caplog) == []


@pytest.mark.usefixtures("quiet_prowlarr")
async def test_app_too_slow_times_out(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An app that answers nothing within the request timeout is unavailable,
    and available again once it answers in time."""
    radarr = arr_simulator.instance("radarr")
    entry = await set_up(hass, entry_at(radarr))
    before = {e: state_of(hass, e) for e in RADARR_HEALTH_ENTITIES}
    baseline = Baseline(radarr)
    radarr.clear_requests()
    radarr.set_fault("slow", delay=600.0)

    advance(hass, freezer, HEALTH_INTERVAL)
    await until(received(radarr, "GET", "/api/v3/indexer"), "the indexer list read")
    # The request timeout (15 s) passes; the app would answer after 10 minutes.
    advance(hass, freezer, timedelta(seconds=16))
    await hass.async_block_till_done(wait_background_tasks=True)

    for entity_id in RADARR_HEALTH_ENTITIES:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    assert entry.runtime_data.health.last_exception is not None
    assert "within 15 s" in str(entry.runtime_data.health.last_exception)
    assert tracebacks(caplog) == []

    radarr.set_fault(None)
    await next_health_check(hass, freezer)
    assert {e: state_of(hass, e) for e in RADARR_HEALTH_ENTITIES} == before
    baseline.assert_nothing_lost()
    assert tracebacks(caplog) == []


@pytest.mark.usefixtures("quiet_prowlarr")
@pytest.mark.parametrize(
    ("hang_timeout", "wait", "message"),
    [
        # The app itself gives up on the site before our test timeout.
        (90.0, 91, "Http request timed out"),
        # The app never answers: our test timeout (120 s) ends it.
        (300.0, 121, "within 120 s"),
    ],
    ids=["app_gives_up", "our_timeout"],
)
async def test_hanging_indexer_test(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    hang_timeout: float,
    wait: int,
    message: str,
) -> None:
    """A test that hangs fails that indexer only (a network cause); the
    instance and the other indexers stay as they are, and it passes again
    once the site answers."""
    radarr = arr_simulator.instance("radarr")
    radarr.hang_timeout = hang_timeout
    entry = await set_up(hass, entry_at(radarr))
    baseline = Baseline(radarr)
    radarr.set_indexer_fault(NZBSEEKER, hang=True)
    client = entry.runtime_data.client
    test_indexer = client.test_indexer
    started: list[int] = []
    finished: list[int] = []

    async def counted(indexer: Any) -> Any:
        started.append(indexer.id)
        try:
            return await test_indexer(indexer)
        finally:
            finished.append(indexer.id)

    monkeypatch.setattr(client, "test_indexer", counted)

    advance(hass, freezer, HEALTH_INTERVAL)
    # Every other test has its answer; only the hanging one is left.
    await until(
        lambda: NZBSEEKER in started and len(finished) == len(started) - 1,
        "the other tests to finish",
    )
    assert NZBSEEKER not in finished
    advance(hass, freezer, timedelta(seconds=wait))
    await hass.async_block_till_done(wait_background_tasks=True)

    status = hass.states.get("binary_sensor.radarr_nzbseeker_status")
    assert status is not None
    assert status.state == STATE_ON
    assert status.attributes["cause"] == "network"
    assert message in status.attributes["failure_message"]
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_OFF
    assert state_of(hass, "sensor.radarr_indexers") == str(len(radarr.indexers))
    assert state_of(hass, "switch.radarr_nzbseeker_enabled") == STATE_ON
    assert tracebacks(caplog) == []

    radarr.clear_indexer_fault(NZBSEEKER)
    await next_health_check(hass, freezer)
    assert state_of(hass, "binary_sensor.radarr_nzbseeker_status") == STATE_OFF
    baseline.assert_nothing_lost()
    assert tracebacks(caplog) == []


# -- name resolution, TLS, URL bases and redirects ------------------------------


async def test_dns_failure(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    dns: FakeDns,
) -> None:
    """A host name that does not resolve: the flow says so, an entry waits
    for it without a traceback, and loads once the name resolves."""
    radarr = arr_simulator.instance("radarr")
    url = f"http://radarr.invalid:{radarr.port}"
    result = await user_flow(hass, url, radarr.api_key, verify_ssl=True)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "cannot_connect"}

    entry = await set_up(hass, entry_at(radarr, url))
    assert state_of_entry(entry) is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "cannot_connect"
    placeholders = entry.error_reason_translation_placeholders or {}
    assert "host name not found" in placeholders["error"]
    assert set(dns.lookups) == {"radarr.invalid"}
    assert radarr.requests == []
    assert tracebacks(caplog) == []

    dns.hosts["radarr.invalid"] = "127.0.0.1"
    advance(hass, freezer, timedelta(minutes=2))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_OFF
    assert tracebacks(caplog) == []


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # The handshake checks the real clock, not the frozen one.
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file = directory / "cert.pem"
    key_file = directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


class TlsRelay:
    """TLS in front of a plain-HTTP port, in a thread of its own (as another
    process would be): a certificate Home Assistant refuses is the server's
    failed handshake, not an error of Home Assistant's event loop."""

    THREAD = "tls-relay"

    def __init__(self, target_port: int, context: ssl.SSLContext) -> None:
        """Relay to ``target_port`` on 127.0.0.1."""
        self.target_port = target_port
        self.port = 0
        self._context = context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen on an ephemeral port (bounded wait for the thread)."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop

            async def serve() -> None:
                self._server = await asyncio.start_server(
                    self._relay, "127.0.0.1", 0, ssl=self._context
                )
                self.port = self._server.sockets[0].getsockname()[1]
                ready.set()

            loop.run_until_complete(serve())
            loop.run_forever()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name=self.THREAD, daemon=True)
        self._thread.start()
        assert ready.wait(10), "the TLS relay did not start"

    def stop(self) -> None:
        """Close every connection and the thread (bounded wait)."""
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            # Abort (no TLS close handshake to wait for), let the transports
            # detach, then close the server.
            for writer in self._writers:
                writer.transport.abort()
            for _ in range(10):
                await asyncio.sleep(0)
            if self._server is not None:
                self._server.close()
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        self._thread.join(10)

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.close()
            return
        self._writers.add(upstream_writer)

        async def pipe(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter
        ) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()

        await asyncio.gather(
            pipe(reader, upstream_writer), pipe(upstream_reader, writer)
        )


@pytest.fixture
def tls_relay(arr_simulator: ArrSimulator, tmp_path: Path) -> Generator[TlsRelay]:
    """Radarr behind TLS with a self-signed certificate."""
    relay = TlsRelay(
        arr_simulator.instance("radarr").port, self_signed_context(tmp_path)
    )
    relay.start()
    yield relay
    relay.stop()


async def user_flow(
    hass: HomeAssistant, url: str, api_key: str, *, verify_ssl: bool
) -> dict[str, Any]:
    """The user step of the config flow. An entry it creates is not set up,
    and is removed again."""
    module = "custom_components.ai_arr_control"
    with (
        patch(f"{module}.async_setup_entry", return_value=True),
        patch(f"{module}.async_unload_entry", return_value=True),
        patch(f"{module}.async_remove_entry", return_value=None),
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_USER},
            data={CONF_URL: url, CONF_API_KEY: api_key, CONF_VERIFY_SSL: verify_ssl},
        )
        await hass.async_block_till_done()
        if result["type"] is FlowResultType.CREATE_ENTRY:
            await hass.config_entries.async_remove(result["result"].entry_id)
            await hass.async_block_till_done()
    return dict(result)


async def test_tls_error_with_verification(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """https to a port that speaks plain HTTP: the handshake fails, and turning
    verification off does not hide that (there is no certificate to ignore).
    An entry waits without a traceback; fixing its URL loads it."""
    radarr = arr_simulator.instance("radarr")
    url = f"https://127.0.0.1:{radarr.port}"
    for verify_ssl in (True, False):
        result = await user_flow(hass, url, radarr.api_key, verify_ssl=verify_ssl)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_URL: "cannot_connect"}

    entry = await set_up(hass, entry_at(radarr, url))
    assert state_of_entry(entry) is ConfigEntryState.SETUP_RETRY
    placeholders = entry.error_reason_translation_placeholders or {}
    assert "TLS" in placeholders["error"]
    assert tracebacks(caplog) == []

    flow = await entry.start_reconfigure_flow(hass)
    done = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_URL: radarr.url, CONF_VERIFY_SSL: True}
    )
    assert done["type"] is FlowResultType.ABORT
    assert done["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_OFF
    assert tracebacks(caplog) == []


async def test_self_signed_certificate(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    tls_relay: TlsRelay,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A self-signed certificate: refused with verification on (the default),
    accepted with it off, where the entry works, writes included."""
    radarr = arr_simulator.instance("radarr")
    url = f"https://127.0.0.1:{tls_relay.port}"

    result = await user_flow(hass, url, radarr.api_key, verify_ssl=True)
    assert result["errors"] == {CONF_URL: "cannot_connect"}
    entry = await set_up(hass, entry_at(radarr, url, verify_ssl=True))
    assert state_of_entry(entry) is ConfigEntryState.SETUP_RETRY
    placeholders = entry.error_reason_translation_placeholders or {}
    assert "TLS" in placeholders["error"]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    result = await user_flow(hass, url, radarr.api_key, verify_ssl=False)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VERIFY_SSL] is False
    assert result["data"][CONF_URL] == url

    entry = await set_up(hass, entry_at(radarr, url, verify_ssl=False))
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    baseline = Baseline(radarr)
    await switch(hass, SERVICE_TURN_OFF, "switch.radarr_nzbseeker_enabled")
    assert flags_of(radarr)[NZBSEEKER] == ALL_OFF
    await switch(hass, SERVICE_TURN_ON, "switch.radarr_nzbseeker_enabled")
    baseline.assert_nothing_lost()
    await next_health_check(hass, freezer)
    assert state_of(hass, "binary_sensor.radarr_nzbseeker_status") == STATE_OFF
    assert tracebacks(caplog) == []


async def test_wrong_url_base(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    proxy_factory: ProxyFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A URL base the proxy does not serve (404) is not taken for an Arr app;
    the right one is."""
    radarr = arr_simulator.instance("radarr")
    proxy = await proxy_factory(radarr)
    wrong = proxy.url.replace("/radarr", "/radar")
    result = await user_flow(hass, wrong, radarr.api_key, verify_ssl=True)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "not_arr_app"}
    result = await user_flow(hass, proxy.url, radarr.api_key, verify_ssl=True)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert tracebacks(caplog) == []


async def test_redirect_to_the_url_base(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Radarr 4K without its URL base answers 307 to it: followed (writes
    too), the corrected base kept, and nothing else of the indexer changes."""
    radarr4k = arr_simulator.instance("radarr4k")
    entry = await set_up(hass, entry_at(radarr4k, radarr4k.root_url))
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    assert entry.runtime_data.client.url == radarr4k.url
    baseline = Baseline(radarr4k)
    radarr4k.clear_requests()

    await switch(hass, SERVICE_TURN_OFF, "switch.radarr_4k_ultrahdvault_enabled")
    assert flags_of(radarr4k)[2] == {
        "enableRss": False,
        "enableAutomaticSearch": False,
        "enableInteractiveSearch": False,
    }
    await switch(hass, SERVICE_TURN_ON, "switch.radarr_4k_ultrahdvault_enabled")
    await next_health_check(hass, freezer)
    baseline.assert_nothing_lost()
    # Once learnt, the URL base is used directly.
    assert all(r.path.startswith("/radarr4k/") for r in radarr4k.requests)
    assert state_of(hass, "binary_sensor.radarr_4k_ultrahdvault_status") == STATE_OFF
    assert tracebacks(caplog) == []


# -- indexer lists and indexers that change under us ---------------------------

EMPTY_RADARR = """
[[instance]]
name = "empty"
app = "Radarr"
instance_name = "Empty"
api_key = "0123456789abcdef0123456789abcdee"
"""


async def test_empty_indexer_list(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An instance without indexers loads, checks and heals without effect;
    an indexer added later gets its entities, and losing all of them again
    removes theirs."""
    simulator = await arr_simulator_factory(EMPTY_RADARR)
    empty = simulator.instance("empty")
    entry = await set_up(hass, entry_at(empty))
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.empty_indexers") == "0"
    assert state_of(hass, "sensor.empty_failing_indexers") == "0"
    assert state_of(hass, "sensor.empty_tests_today") == "0"

    await heal_cycle(hass, freezer)
    assert writes(empty) == []
    assert state_of(hass, "sensor.empty_disabled_by_auto_heal") == "0"
    heal = entry.runtime_data.heal.data
    assert heal is not None
    assert heal.plan.decisions == ()
    assert [
        i.issue_id for i in issue_registry.issues.values() if i.domain == DOMAIN
    ] == []

    empty.add_indexer(
        {
            "name": "Fresh",
            "implementation": "Newznab",
            "fields": {"baseUrl": "https://fresh.example-nzb.test", "apiKey": "k1"},
        }
    )
    await next_health_check(hass, freezer)
    assert state_of(hass, "sensor.empty_indexers") == "1"
    assert state_of(hass, "binary_sensor.empty_fresh_status") == STATE_OFF

    for indexer_id in list(empty.indexers):
        empty.remove_indexer(indexer_id)
    await next_health_check(hass, freezer)
    assert state_of(hass, "sensor.empty_indexers") == "0"
    assert hass.states.get("binary_sensor.empty_fresh_status") is None
    await heal_cycle(hass, freezer)
    assert writes(empty) == []
    assert tracebacks(caplog) == []


@pytest.mark.usefixtures("quiet_prowlarr")
@pytest.mark.parametrize("moment", ["health_check_test", "heal_write", "switch_write"])
async def test_indexer_deleted_midway(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    issue_registry: ir.IssueRegistry,
    moment: str,
) -> None:
    """An indexer deleted in the app while we work on it: between the list and
    its test, or between our fresh read and our write. Nothing else changes,
    nothing is owned or held for it, and its entities go."""
    radarr = arr_simulator.instance("radarr")
    entry = await set_up(hass, entry_at(radarr))
    disabled = async_capture_events(hass, EVENT_INDEXER_DISABLED)
    hook = RequestHook(radarr, monkeypatch)

    def delete(_: RecordedRequest) -> None:
        radarr.remove_indexer(NZBSEEKER)

    if moment == "health_check_test":
        hook.once(
            "POST", "/api/v3/indexer/test", delete, when=lambda r: r.body["id"] == 3
        )
        await next_health_check(hass, freezer)
    elif moment == "heal_write":
        radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key")
        await next_health_check(hass, freezer)
        await next_health_check(hass, freezer)
        hook.once("PUT", "/api/v3/indexer/bulk", delete, when=bulk_of(NZBSEEKER))
        await entry.runtime_data.heal.async_heal_now()
        await hass.async_block_till_done()
    else:
        hook.once("PUT", "/api/v3/indexer/bulk", delete, when=bulk_of(NZBSEEKER))
        with pytest.raises(HomeAssistantError) as err:
            await switch(hass, SERVICE_TURN_OFF, "switch.radarr_nzbseeker_enabled")
        assert err.value.translation_key == "action_failed"
    baseline = Baseline(radarr)

    await next_health_check(hass, freezer)
    assert NZBSEEKER not in radarr.indexers
    assert hass.states.get("binary_sensor.radarr_nzbseeker_status") is None
    assert hass.states.get("switch.radarr_nzbseeker_enabled") is None
    assert state_of(hass, "sensor.radarr_indexers") == str(len(radarr.indexers))
    ledger = entry.runtime_data.ledger
    assert NZBSEEKER not in ledger.owned
    assert NZBSEEKER not in ledger.holds
    assert ledger.flags_before_off(NZBSEEKER) is None
    assert [e.data["indexer_id"] for e in disabled] == []
    assert state_of(hass, "sensor.radarr_disabled_by_auto_heal") == "0"
    assert (
        issue_registry.async_get_issue(DOMAIN, f"auto_disabled_{entry.entry_id}")
        is None
    )
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_OFF
    await heal_cycle(hass, freezer)
    baseline.assert_nothing_lost()
    assert tracebacks(caplog) == []


EDITABLE = """
[[instance]]
name = "radarr"
app = "Radarr"
instance_name = "Radarr"
api_key = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
bulk = {bulk}
rss_interval = 0

[[instance.indexer]]
name = "GeekNZB"
implementation = "Newznab"
fields = {{ baseUrl = "https://api.geeknzb.example-nzb.test", apiKey = "7c2e9a4f1b6d8e3a" }}

[[instance.indexer]]
name = "TipsySlug"
implementation = "Newznab"
fields = {{ baseUrl = "https://api.tipsyslug.example-nzb.test", apiKey = "3e5a7c9e1f2b4d6f" }}

[[instance.indexer]]
name = "NZBSeeker"
implementation = "Newznab"
priority = 30
enable_interactive_search = false
fields = {{ baseUrl = "https://api.nzbseeker.example-nzb.test", apiKey = "9b1d3f5a7c9e2b4d" }}
"""
FIXED_URL = "https://api.nzbseeker-new.example-nzb.test"


def edit(instance: SimulatedInstance) -> None:
    """The user edits NZBSeeker in the app: a new URL, a new priority."""
    resource = instance.indexers[NZBSEEKER]
    resource["priority"] = 5
    for item in resource["fields"]:
        if item["name"] == "baseUrl":
            item["value"] = FIXED_URL


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk_editor", "full_put"])
@pytest.mark.parametrize("writer", ["switch", "heal"])
async def test_edit_between_our_read_and_write(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    bulk: bool,
    writer: str,
) -> None:
    """The user edits an indexer in the app after our fresh read and before
    our write: the write changes the flags only, the edit stays, and what
    comes back later is the flags it had."""
    simulator = await arr_simulator_factory(EDITABLE.format(bulk=str(bulk).lower()))
    radarr = simulator.instance("radarr")
    entry = await set_up(hass, entry_at(radarr))
    client = entry.runtime_data.client
    set_flags = client.set_indexer_flags
    edits: list[int] = []

    async def edit_first(indexer_id: int, flags: dict[str, bool]) -> Any:
        if indexer_id == NZBSEEKER and not edits:
            edits.append(indexer_id)
            edit(radarr)
        return await set_flags(indexer_id, flags)

    # The site refuses NZBSeeker's old URL; the user's new one works.
    radarr.set_indexer_fault(
        NZBSEEKER, fail="Invalid API Key", url="https://api.nzbseeker.example"
    )
    with patch.object(client, "set_indexer_flags", side_effect=edit_first):
        if writer == "switch":
            await switch(hass, SERVICE_TURN_OFF, "switch.radarr_nzbseeker_enabled")
        else:
            await next_health_check(hass, freezer)
            await next_health_check(hass, freezer)
            run = await entry.runtime_data.heal.async_heal_now()
            assert [d.indexer_id for d in run.plan.decisions] == [NZBSEEKER]
    assert edits == [NZBSEEKER]
    stored = radarr.indexers[NZBSEEKER]
    assert stored["priority"] == 5
    assert {f["name"]: f.get("value") for f in stored["fields"]}["baseUrl"] == FIXED_URL
    assert flags_of(radarr)[NZBSEEKER] == ALL_OFF

    if writer == "switch":
        await switch(hass, SERVICE_TURN_ON, "switch.radarr_nzbseeker_enabled")
    else:
        # The heal run's fresh test is of the fixed URL: it passes.
        await entry.runtime_data.heal.async_heal_now()
    stored = radarr.indexers[NZBSEEKER]
    assert flags_of(radarr)[NZBSEEKER] == NZBSEEKER_FLAGS
    assert stored["priority"] == 5
    assert {f["name"]: f.get("value") for f in stored["fields"]}["baseUrl"] == FIXED_URL
    assert {f["name"]: f.get("value") for f in stored["fields"]}["apiKey"] == (
        "9b1d3f5a7c9e2b4d"
    )
    assert tracebacks(caplog) == []


async def test_edit_as_our_bulk_write_arrives(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An edit saved in the app the instant our write arrives: the bulk editor
    sends the flags alone, so it cannot undo it."""
    radarr = arr_simulator.instance("radarr")
    await set_up(hass, entry_at(radarr))
    hook = RequestHook(radarr, monkeypatch)
    hook.once(
        "PUT", "/api/v3/indexer/bulk", lambda _: edit(radarr), when=bulk_of(NZBSEEKER)
    )
    await switch(hass, SERVICE_TURN_OFF, "switch.radarr_nzbseeker_enabled")
    stored = radarr.indexers[NZBSEEKER]
    assert stored["priority"] == 5
    assert {f["name"]: f.get("value") for f in stored["fields"]}["baseUrl"] == FIXED_URL
    await switch(hass, SERVICE_TURN_ON, "switch.radarr_nzbseeker_enabled")
    assert flags_of(radarr)[NZBSEEKER] == NZBSEEKER_FLAGS
    assert radarr.indexers[NZBSEEKER]["priority"] == 5
    assert tracebacks(caplog) == []


# -- restarts during a heal run --------------------------------------------------


async def prepare_two_suspects(
    hass: HomeAssistant, radarr: SimulatedInstance, freezer: FrozenDateTimeFactory
) -> Baseline:
    """GeekNZB and NZBSeeker fail twice in a row: the next heal run disables
    both (GeekNZB first). Returns the indexers as they were."""
    baseline = Baseline(radarr)
    radarr.set_indexer_fault(GEEK, fail="Invalid API Key")
    radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    await next_health_check(hass, freezer)
    return baseline


async def heal_both_back(
    hass: HomeAssistant,
    radarr: SimulatedInstance,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    baseline: Baseline,
) -> None:
    """The sites work again: a heal cycle puts both back, with their flags."""
    radarr.clear_indexer_fault(GEEK)
    radarr.clear_indexer_fault(NZBSEEKER)
    await heal_cycle(hass, freezer)
    baseline.assert_nothing_lost()
    assert entry.runtime_data.ledger.owned == {}
    assert state_of(hass, "sensor.radarr_disabled_by_auto_heal") == "0"
    assert state_of(hass, "switch.radarr_nzbseeker_enabled") == STATE_ON


@pytest.mark.usefixtures("quiet_prowlarr")
@pytest.mark.parametrize("moment", ["during_retest", "between_writes"])
async def test_app_restarts_during_heal(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    issue_registry: ir.IssueRegistry,
    moment: str,
) -> None:
    """The app goes down (then answers 503 while starting) in the middle of a
    heal run: what was written stays owned, what was not is not, the run
    reports the instance unreachable, and once the app is back the next runs
    finish the job and later put everything back."""
    radarr = arr_simulator.instance("radarr")
    entry = await set_up(hass, entry_at(radarr))
    baseline = await prepare_two_suspects(hass, radarr, freezer)
    radarr.clear_requests()
    hook = RequestHook(radarr, monkeypatch)

    if moment == "during_retest":
        # NZBSeeker's site is slow: its re-test is still running when the app
        # goes down.
        radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key", latency=60)
        task = start_heal(hass, entry)
        await until(
            received(radarr, "POST", "/api/v3/indexer/test", NZBSEEKER),
            "the heal run's re-test",
        )
        await radarr.set_down(True)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert task.done()
        assert writes(radarr) == []
        owned: set[int] = set()
    else:
        # The app restarts right after the first write: the second indexer's
        # fresh read finds it starting up.
        hook.once(
            "GET",
            f"/api/v3/indexer/{NZBSEEKER}",
            lambda _: radarr.set_fault("starting"),
            when=lambda _: bool(writes(radarr)),
        )
        await entry.runtime_data.heal.async_heal_now()
        assert [body["ids"] for _, body in writes(radarr)] == [[GEEK]]
        owned = {GEEK}
    assert set(entry.runtime_data.ledger.owned) == owned
    assert {
        i
        for i, f in flags_of(radarr).items()
        if i in (GEEK, NZBSEEKER) and not any(f.values())
    } == owned
    assert tracebacks(caplog) == []

    # Back up.
    await radarr.set_down(False)
    radarr.set_fault(None)
    radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    assert set(entry.runtime_data.ledger.owned) == {GEEK, NZBSEEKER}
    assert flags_of(radarr)[NZBSEEKER] == ALL_OFF
    assert state_of(hass, "sensor.radarr_disabled_by_auto_heal") == "2"
    assert issue_registry.async_get_issue(DOMAIN, f"outage_{entry.entry_id}") is None

    await heal_both_back(hass, radarr, entry, freezer, baseline)
    assert tracebacks(caplog) == []


@pytest.mark.usefixtures("quiet_prowlarr")
@pytest.mark.parametrize("moment", ["between_writes", "write_in_flight"])
async def test_home_assistant_restarts_during_heal(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    moment: str,
) -> None:
    """Home Assistant stops in the middle of a heal run: the ledger keeps
    every indexer auto-heal turned off (with the flags to restore), claims
    none it did not, and after the restart everything is put back once the
    sites work."""
    radarr = arr_simulator.instance("radarr")
    entry = await set_up(hass, entry_at(radarr))
    baseline = await prepare_two_suspects(hass, radarr, freezer)
    radarr.clear_requests()
    hook = RequestHook(radarr, monkeypatch)

    def stall(_: RecordedRequest) -> None:
        # The app stops answering: the run waits on it when the stop comes.
        radarr.set_fault("slow", delay=600.0)

    if moment == "between_writes":
        hook.once(
            "GET",
            f"/api/v3/indexer/{NZBSEEKER}",
            stall,
            when=lambda _: bool(writes(radarr)),
        )

        # Its first read was the heal run's re-test; the second, the disable's.
        def waiting_for() -> bool:
            reads = [
                r
                for r in radarr.requests
                if r.method == "GET" and r.path == f"/api/v3/indexer/{NZBSEEKER}"
            ]
            return len(reads) == 2

    else:
        hook.once("PUT", "/api/v3/indexer/bulk", stall, when=bulk_of(NZBSEEKER))

        def waiting_for() -> bool:
            return len(writes(radarr)) == 2

    start_heal(hass, entry)
    await until(waiting_for, "the run to reach the stop")

    # Home Assistant stops: the run is cancelled with the entry.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hook.clear()
    radarr.set_fault(None)
    stored = copy.deepcopy(hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"])
    # GeekNZB was written; NZBSeeker's write never reached the app.
    assert {i for i in (GEEK, NZBSEEKER) if not any(flags_of(radarr)[i].values())} == {
        GEEK
    }
    assert flags_of(radarr)[NZBSEEKER] == NZBSEEKER_FLAGS
    # What auto-heal turned off survives, with the flags to restore.
    assert stored["owned"][str(GEEK)]["flags"] == baseline.flags[GEEK]

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of_entry(entry) is ConfigEntryState.LOADED
    assert state_of(hass, "switch.radarr_geeknzb_enabled") == STATE_OFF
    assert state_of(hass, "switch.radarr_nzbseeker_enabled") == STATE_ON
    # What the user is told auto-heal disabled is what it did disable.
    assert state_of(hass, "sensor.radarr_disabled_by_auto_heal") == "1"
    issue = issue_registry.async_get_issue(DOMAIN, f"auto_disabled_{entry.entry_id}")
    assert issue is not None
    listed = (issue.translation_placeholders or {})["indexers"]
    assert "GeekNZB" in listed
    assert "NZBSeeker" not in listed
    assert set(entry.runtime_data.ledger.owned) == {GEEK}

    await heal_cycle(hass, freezer)
    assert set(entry.runtime_data.ledger.owned) == {GEEK, NZBSEEKER}
    await heal_both_back(hass, radarr, entry, freezer, baseline)
    assert tracebacks(caplog) == []


@pytest.mark.usefixtures("quiet_prowlarr")
@pytest.mark.parametrize("action", ["off_during_retest", "on_during_disable"])
async def test_user_switches_during_heal(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    issue_registry: ir.IssueRegistry,
    action: str,
) -> None:
    """The user switches the indexer a heal run is about to disable: the user
    wins, writes never interleave, and the flags it had come back exactly."""
    radarr = arr_simulator.instance("radarr")
    entry = await set_up(hass, entry_at(radarr))
    baseline = Baseline(radarr)
    radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    await next_health_check(hass, freezer)
    disabled: list[Event[Any]] = async_capture_events(hass, EVENT_INDEXER_DISABLED)
    enabled: list[Event[Any]] = async_capture_events(hass, EVENT_INDEXER_ENABLED)
    entity_id = "switch.radarr_nzbseeker_enabled"
    ledger = entry.runtime_data.ledger

    if action == "off_during_retest":
        radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key", latency=60)
        radarr.clear_requests()
        task = start_heal(hass, entry)
        await until(
            received(radarr, "POST", "/api/v3/indexer/test", NZBSEEKER),
            "the heal run's re-test",
        )
        await switch(hass, SERVICE_TURN_OFF, entity_id)
        advance(hass, freezer, timedelta(seconds=61))
        await hass.async_block_till_done(wait_background_tasks=True)
        assert task.done()
        # The user holds it; auto-heal neither owns it nor announced a disable.
        assert ledger.holds == {NZBSEEKER}
        assert ledger.owned == {}
        assert disabled == []
        assert state_of(hass, entity_id) == STATE_OFF
        assert flags_of(radarr)[NZBSEEKER] == ALL_OFF
        radarr.set_indexer_fault(NZBSEEKER, fail="Invalid API Key")
        await heal_cycle(hass, freezer)
        assert flags_of(radarr)[NZBSEEKER] == ALL_OFF
        assert ledger.owned == {}
        await switch(hass, SERVICE_TURN_ON, entity_id)
    else:
        hook = RequestHook(radarr, monkeypatch)
        pending: list[asyncio.Task[Any]] = []
        hook.once(
            "PUT",
            "/api/v3/indexer/bulk",
            lambda _: pending.append(
                hass.async_create_task(switch(hass, SERVICE_TURN_ON, entity_id))
            ),
            when=bulk_of(NZBSEEKER),
        )
        await entry.runtime_data.heal.async_heal_now()
        await hass.async_block_till_done()
        assert len(pending) == 1
        assert pending[0].done()
        assert pending[0].exception() is None
        assert [e.data["indexer_id"] for e in disabled] == [NZBSEEKER]
        assert ledger.holds == frozenset()

    assert flags_of(radarr)[NZBSEEKER] == NZBSEEKER_FLAGS
    assert state_of(hass, entity_id) == STATE_ON
    assert ledger.owned == {}
    assert state_of(hass, "sensor.radarr_disabled_by_auto_heal") == "0"
    assert (
        issue_registry.async_get_issue(DOMAIN, f"auto_disabled_{entry.entry_id}")
        is None
    )
    assert enabled == []
    # Handed back: auto-heal acts again after two fresh failures, and puts
    # it back once it passes.
    await heal_cycle(hass, freezer)
    assert flags_of(radarr)[NZBSEEKER] == ALL_OFF
    radarr.clear_indexer_fault(NZBSEEKER)
    await heal_cycle(hass, freezer)
    baseline.assert_nothing_lost()
    assert tracebacks(caplog) == []


# -- a flapping indexer ---------------------------------------------------------

FLAPPING = """
[[instance]]
name = "sonarr"
app = "Sonarr"
instance_name = "Sonarr"
api_key = "6d7e8f90a1b2c3d4e5f60718293a4b5c"
rss_interval = 0

[[instance.indexer]]
name = "Flappy"
implementation = "Newznab"
enable_interactive_search = false
fields = { baseUrl = "https://api.flappy.example-nzb.test", apiKey = "f1a2b3c4d5e6f708" }

[[instance.indexer]]
name = "Steady"
implementation = "Newznab"
fields = { baseUrl = "https://api.steady.example-nzb.test", apiKey = "a1b2c3d4e5f60718" }

[[instance.indexer]]
name = "Stable"
implementation = "Torznab"
fields = { baseUrl = "https://stable.example-tracker.test/api", apiKey = "0a9b8c7d6e5f4a3b" }

[[instance.indexer]]
name = "Solid"
implementation = "Newznab"
fields = { baseUrl = "https://api.solid.example-nzb.test", apiKey = "1b2c3d4e5f6a7b8c" }
"""
FLAPPY = 1
CHECKS = 200


async def test_flapping_indexer(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An indexer that fails and passes at random for 200 checks: it is only
    ever disabled after two failed tests in a row, only put back after a pass,
    each time with exactly its flags, and nothing else is touched."""
    simulator = await arr_simulator_factory(FLAPPING)
    sonarr = simulator.instance("sonarr")
    entry = await set_up(hass, entry_at(sonarr))
    baseline = Baseline(sonarr)
    original = baseline.flags[FLAPPY]
    rng = random.Random(20261128)  # noqa: S311 - a repeatable pattern, no secret
    in_a_row = 0
    off = False
    disables = enables = 0

    for _ in range(CHECKS):
        failing = rng.random() < 0.5
        if failing:
            sonarr.set_indexer_fault(FLAPPY, fail="Invalid API Key")
        else:
            sonarr.clear_indexer_fault(FLAPPY)
        sonarr.clear_requests()
        await next_health_check(hass, freezer)
        # Replay what the app saw, in order: the tests of the flapping indexer
        # (each failing exactly when the site did) and the writes to it.
        for request in sonarr.requests:
            body = request.body if isinstance(request.body, dict) else {}
            if request.path == "/api/v3/indexer/test" and body.get("id") == FLAPPY:
                in_a_row = in_a_row + 1 if failing else 0
            elif request.method == "PUT":
                assert request.path == "/api/v3/indexer/bulk"
                assert body["ids"] == [FLAPPY], "only the flapping indexer changes"
                flags = {k: v for k, v in body.items() if k != "ids"}
                if any(flags.values()):
                    assert off, "put back while on"
                    assert in_a_row == 0, "put back without a pass"
                    assert flags == original
                    off = False
                    enables += 1
                else:
                    assert not off, "disabled twice"
                    assert in_a_row >= 2, "disabled after fewer than two failures"
                    off = True
                    disables += 1
        assert flags_of(sonarr)[FLAPPY] == (
            dict.fromkeys(original, False) if off else original
        )
        baseline.assert_nothing_lost(flags=False)

    # It flapped enough to be disabled and put back along the way.
    assert disables >= 1
    assert enables >= 1
    sonarr.clear_indexer_fault(FLAPPY)
    await heal_cycle(hass, freezer)
    baseline.assert_nothing_lost()
    assert entry.runtime_data.ledger.owned == {}
    assert entry.runtime_data.ledger.holds == frozenset()
    assert tracebacks(caplog) == []
