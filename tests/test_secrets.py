"""No secret ever leaves the integration.

A faulty day across the whole default stack (Prowlarr, Radarr, Radarr 4K,
Sonarr): indexers failing in different ways, a heal run, a refused API key,
actions that fail, diagnostics downloaded. Everything a user, an automation
or a bug report can see is collected (log lines, events, state attributes,
repairs issues, flows, exception messages, action responses, logbook texts,
calendar events, diagnostics) and searched for every secret that is
configured: each instance's API key and every secret setting of every indexer
as the apps store it (Newznab API keys, Cardigann API keys, passwords,
cookies, 2FA tokens).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
import dataclasses
from datetime import datetime
import json
import logging
import re
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.arr import ArrError
from custom_components.ai_arr_control.const import CONF_PUSH, DOMAIN
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    CONF_URL,
    CONF_VERIFY_SSL,
    MATCH_ALL,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from .common import entry_for, next_health_check, setup_entries

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
    pytest.mark.timeout(120),
]

# Settings that hold credentials, by name (Newznab/Torznab apiKey, UNIT3D
# apikey, Cardigann password, cookie, alt2fatoken, passkey, rsskey, pid ...).
SECRET_SETTING = re.compile(
    r"(?i)api_?key|pass(word|key)?|cookie|2fa|token|secret|rsskey|authkey|^pid$"
)
# The values the seed makes recognisable, which must be among those found.
SEEDED = (
    "AITHER-SECRET-APIKEY-7f3e9b1c5d",
    "TL-SECRET-PASSWORD-a81f",
    "TL-SECRET-2FA-TOKEN-4c2d",
    "hunter2-haven",
    "0d4f6a8c2e1b3d5f7a9c1e3b5d7f9a2c",
    "7c2e9a4f1b6d8e3a5c7f9b1d2e4a6c8e",
)
COOKIE = "uid=48151623; pass=COOKIE-SECRET-9c1e3b5d7f"
WRONG_KEY = "ffffffffffffffffffffffffffffffff"
INTEGRATION_LOGGER = "custom_components.ai_arr_control"


def configured_secrets(simulator: ArrSimulator) -> dict[str, str]:
    """Every secret the stack is configured with: value → where it is set."""
    secrets: dict[str, str] = {}
    for instance in simulator.instances.values():
        secrets[instance.api_key] = f"{instance.name} API key"
        for indexer_id, resource in instance.indexers.items():
            for item in resource.get("fields", []):
                value = item.get("value")
                if (
                    SECRET_SETTING.search(str(item.get("name", "")))
                    and isinstance(value, str)
                    and len(value) >= 6
                    and value != "********"
                ):
                    secrets[value] = (
                        f"{instance.name} indexer {indexer_id} {item['name']}"
                    )
    return secrets


def as_text(value: Any) -> str:
    """Anything, as searchable text."""

    def default(item: Any) -> Any:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item)
        if isinstance(item, set | frozenset | tuple):
            return list(item)
        if isinstance(item, datetime):
            return item.isoformat()
        return repr(item)

    return json.dumps(value, default=default, ensure_ascii=False)


@dataclasses.dataclass
class Seen:
    """What a user, an automation or a bug report could see, by where."""

    texts: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def add(self, where: str, value: Any) -> None:
        """Keep something seen."""
        self.texts.append((where, value if isinstance(value, str) else as_text(value)))

    def leaks(self, secrets: dict[str, str]) -> list[str]:
        """Where each secret shows up (empty when none does)."""
        return [
            f"{label} in {where}: …{text[max(0, text.find(secret) - 80) : text.find(secret) + len(secret) + 20]}…"
            for where, text in self.texts
            for secret, label in secrets.items()
            if secret in text
        ]


@pytest.fixture
def raised(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Every Arr client error and Home Assistant error created while a test runs
    (each is what some log line, form, notification or action response says)."""
    created: list[BaseException] = []

    def arr_init(self: ArrError, *args: Any) -> None:
        created.append(self)
        Exception.__init__(self, *args)

    ha_init = HomeAssistantError.__init__

    def ha_error_init(self: HomeAssistantError, *args: Any, **kwargs: Any) -> None:
        created.append(self)
        ha_init(self, *args, **kwargs)

    monkeypatch.setattr(ArrError, "__init__", arr_init)
    monkeypatch.setattr(HomeAssistantError, "__init__", ha_error_init)
    return created


@pytest.fixture
def events(hass: HomeAssistant) -> Generator[list[Event[Any]]]:
    """Every event fired on the bus."""
    fired: list[Event[Any]] = []

    @callback
    def listener(event: Event[Any]) -> None:
        fired.append(event)

    unsubscribe = hass.bus.async_listen(MATCH_ALL, listener)
    yield fired
    unsubscribe()


def exception_text(error: BaseException) -> dict[str, Any]:
    """What an exception tells: its message, arguments and placeholders."""
    return {
        "type": type(error).__name__,
        "message": str(error),
        "args": [repr(arg) for arg in error.args],
        "placeholders": getattr(error, "translation_placeholders", None),
        "cause": str(error.__cause__) if error.__cause__ else None,
    }


def log_text(records: Iterable[logging.LogRecord]) -> list[str]:
    """Log lines as written, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [
        formatter.format(record)
        for record in records
        if record.name.startswith((INTEGRATION_LOGGER, "homeassistant"))
    ]


async def call(
    hass: HomeAssistant,
    seen: Seen,
    domain: str,
    service: str,
    data: dict[str, Any],
    *,
    response: bool = False,
) -> None:
    """Call an action as a user or automation does; keep its answer or error."""
    where = f"action {domain}.{service} {data}"
    try:
        result = await hass.services.async_call(
            domain, service, data, blocking=True, return_response=response
        )
    except HomeAssistantError as err:
        seen.add(f"{where} error", exception_text(err))
    else:
        seen.add(f"{where} response", result)


async def test_no_secret_leaks_anywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
    events: list[Event[Any]],
    raised: list[BaseException],
) -> None:
    """A faulty day across the stack shows no configured secret anywhere."""
    caplog.set_level(logging.DEBUG, logger=INTEGRATION_LOGGER)
    caplog.set_level(logging.DEBUG, logger="homeassistant")
    prowlarr = arr_simulator.instance("prowlarr")
    radarr = arr_simulator.instance("radarr")
    radarr4k = arr_simulator.instance("radarr4k")
    sonarr = arr_simulator.instance("sonarr")
    # A Cardigann tracker logged in with a cookie (in clear in Prowlarr).
    cookie_tracker = prowlarr.add_indexer(
        {
            "name": "CookieJar",
            "implementation": "Cardigann",
            "protocol": "torrent",
            "privacy": "private",
            "definition_name": "cookiejar",
            "indexer_urls": ["https://cookiejar.example-tracker.test/"],
            "categories": [2000, 5000],
            "fields": {"cookie": COOKIE, "freeleech": False},
        }
    )
    secrets = configured_secrets(arr_simulator)
    secrets[WRONG_KEY] = "the wrong API key a user typed"
    for value in (*SEEDED, COOKIE):
        assert value in secrets, value
    seen = Seen()

    # Failures of every kind, each in the app's own words (which quote the
    # URL the app fetched, API key included).
    prowlarr.set_indexer_fault(7, kind="server_error")  # Aither: UNIT3D apikey
    prowlarr.set_indexer_fault(8, kind="auth")  # TorrentLeech: password, 2FA
    prowlarr.set_indexer_fault(4, kind="quota")  # UsenetPrime: Newznab apiKey
    # A site that echoes the cookie it refused.
    prowlarr.set_indexer_fault(
        cookie_tracker["id"],
        fail=f"Login failed: the site no longer accepts the cookie '{COOKIE}'",
    )
    radarr.set_indexer_fault(2, kind="auth")
    radarr4k.set_indexer_fault(2, kind="timeout")
    sonarr.set_indexer_fault(1, kind="quota")
    instances = (prowlarr, radarr, radarr4k, sonarr)
    entries = await setup_entries(hass, instances)
    # These passed at start-up, and start failing now.
    radarr.set_indexer_fault(1, kind="server_error")
    sonarr.set_indexer_fault(2, kind="server_error")
    # A site that echoes the password it refused.
    prowlarr.set_indexer_fault(
        1, fail="Login failed: wrong password 'hunter2-haven' for simuser"
    )
    # An entry added with a wrong API key.
    wrong = MockConfigEntry(
        domain=DOMAIN,
        title="Sonarr (wrong key)",
        data={
            CONF_URL: sonarr.url,
            CONF_API_KEY: WRONG_KEY,
            CONF_VERIFY_SSL: True,
            "app": "Sonarr",
        },
        options={CONF_PUSH: False},
    )
    wrong.add_to_hass(hass)
    await hass.config_entries.async_setup(wrong.entry_id)
    await hass.async_block_till_done()

    # Two hours: failures repeat, the heal run disables and reports.
    for _ in range(4):
        await next_health_check(hass, freezer)
    assert any(e.event_type == f"{DOMAIN}_indexer_disabled" for e in events)

    # Actions: a dry run, a refused switch of a Full Sync copy, a switch
    # round trip, a check.
    by_title = {entry.title: entry for entry in entries}
    for entry in entries:
        await call(
            hass,
            seen,
            DOMAIN,
            "heal_now",
            {"config_entry_id": entry.entry_id, "dry_run": True},
            response=True,
        )
    await call(
        hass,
        seen,
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: "switch.radarr_aither_prowlarr_enabled"},
    )
    for service in (SERVICE_TURN_OFF, SERVICE_TURN_ON):
        await call(
            hass,
            seen,
            SWITCH_DOMAIN,
            service,
            {ATTR_ENTITY_ID: "switch.prowlarr_torrentleech_enabled"},
        )
    await call(
        hass,
        seen,
        "calendar",
        "get_events",
        {
            ATTR_ENTITY_ID: "calendar.prowlarr_vip_expiry",
            "start_date_time": "2026-11-28T00:00:00+00:00",
            "end_date_time": "2027-01-28T00:00:00+00:00",
        },
        response=True,
    )

    # The key is revoked in Sonarr: checks, actions and the heal run fail.
    sonarr.set_fault("unauthorized")
    await next_health_check(hass, freezer)
    await call(
        hass,
        seen,
        DOMAIN,
        "test_indexers",
        {"config_entry_id": by_title["Sonarr"].entry_id},
    )
    await call(
        hass,
        seen,
        DOMAIN,
        "heal_now",
        {"config_entry_id": by_title["Sonarr"].entry_id},
        response=True,
    )
    # The user answers the re-authentication with a wrong key first.
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        seen.add("flow in progress", flow)
        if flow["context"]["source"] == SOURCE_REAUTH:
            result = await hass.config_entries.flow.async_configure(
                flow["flow_id"], {CONF_API_KEY: WRONG_KEY}
            )
            seen.add("reauth form", result)
    sonarr.set_fault(None)

    # Diagnostics, as downloaded for a bug report (with a token issued now:
    # the test's first one expired hours ago).
    refresh_token = next(iter(hass_admin_user.refresh_tokens.values()))
    token = hass.auth.async_create_access_token(refresh_token)

    async def fresh_client() -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = await hass_client(token)
        return client

    for entry in entries:
        seen.add(
            f"diagnostics {entry.title}",
            await get_diagnostics_for_config_entry(hass, fresh_client, entry),
        )

    # Everything else a user or an automation can see.
    from custom_components.ai_arr_control.logbook import async_describe_events

    described: dict[str, Callable[[Event[Any]], dict[str, str]]] = {}
    async_describe_events(
        hass, lambda _domain, event, fn: described.__setitem__(event, fn)
    )
    for event in events:
        seen.add(f"event {event.event_type}", event.data)
        if (event_type := str(event.event_type)) in described:
            seen.add("logbook", described[event_type](event))
    for state in hass.states.async_all():
        seen.add(f"state {state.entity_id}", {"state": state.state, **state.attributes})
    for issue in issue_registry.issues.values():
        if issue.domain == DOMAIN:
            seen.add(f"issue {issue.issue_id}", issue.to_json())
    for entry in [*entries, wrong]:
        seen.add(
            f"entry {entry.title} state",
            {
                "reason": entry.reason,
                "placeholders": entry.error_reason_translation_placeholders,
            },
        )
        runtime = getattr(entry, "runtime_data", None)
        if runtime is not None:
            for coordinator in (runtime.health, runtime.heal):
                if coordinator.last_exception is not None:
                    seen.add(
                        f"{coordinator.name} last error",
                        exception_text(coordinator.last_exception),
                    )
    for error in raised:
        seen.add("exception", exception_text(error))
    for line in log_text(caplog.records):
        seen.add("log", line)

    # The scenario did what it should: failures, a disable, a refused key.
    assert any("indexer_failed" in where for where, _ in seen.texts)
    assert any(where.startswith("issue auth_") for where, _ in seen.texts)
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    )
    assert raised
    assert len(caplog.records) > 100

    # Messages that quoted secrets were seen, cleaned.
    assert any(
        "apikey=**REDACTED**" in text
        for where, text in seen.texts
        if where.startswith("state ")
    )
    # The search finds a secret where there is one.
    probe = Seen()
    probe.add("probe", {"message": f"Login failed: {COOKIE}"})
    assert probe.leaks(secrets)

    assert seen.leaks(secrets) == []


async def test_tls_verification_is_on_by_default(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """The config flow offers certificate verification on, an entry created
    without touching it verifies, and so does one stored without the key."""
    radarr = arr_simulator.instance("radarr")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    (verify,) = [key for key in schema.schema if key == CONF_VERIFY_SSL]
    assert verify.default() is True

    sessions: list[bool] = []
    from homeassistant.helpers import aiohttp_client

    real = aiohttp_client.async_get_clientsession

    def spy(hass: HomeAssistant, verify_ssl: bool = True, **kwargs: Any) -> Any:
        sessions.append(verify_ssl)
        return real(hass, verify_ssl, **kwargs)

    module = "custom_components.ai_arr_control"
    with (
        patch(f"{module}.async_get_clientsession", side_effect=spy),
        patch(f"{module}.async_setup_entry", return_value=True),
        patch(f"{module}.async_unload_entry", return_value=True),
        patch(f"{module}.async_remove_entry", return_value=None),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: radarr.url, CONF_API_KEY: radarr.api_key}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_VERIFY_SSL] is True
        await hass.config_entries.async_remove(result["result"].entry_id)
        await hass.async_block_till_done()
    assert sessions == [True]

    # An entry stored without the setting (older data) verifies too.
    entry = entry_for(radarr)
    data = dict(entry.data)
    del data[CONF_VERIFY_SSL]
    legacy = MockConfigEntry(
        domain=DOMAIN, title="Radarr", data=data, options={CONF_PUSH: False}
    )
    sessions.clear()
    with patch(f"{module}.async_get_clientsession", side_effect=spy):
        legacy.add_to_hass(hass)
        await hass.config_entries.async_setup(legacy.entry_id)
        await hass.async_block_till_done()
    assert sessions
    assert all(sessions)
