"""The notification blueprints (blueprints/automation/ai_arr_control/).

Most tests drive a fake stack: devices and entities registered as the
integration registers them (an instance device, a child device per indexer with
its Status, State and Enabled entities), states set by hand and the
integration's events fired in the order it fires them. One test runs the real
integration with the indexer blueprint, to show the two fit together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.ai_arr_control.arr import (
    Indexer,
    IndexerTestResult,
    ValidationFailure,
)
from custom_components.ai_arr_control.const import (
    DOMAIN,
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
    EVENT_INDEXER_FAILED,
    EVENT_INDEXER_RECOVERED,
)
from homeassistant.components import persistent_notification as pn
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity import entity_sources
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util

from .common import HEALTH_INTERVAL

BLUEPRINTS = Path(__file__).parent.parent / "blueprints" / "automation" / DOMAIN
INDEXER_PROBLEM = f"{DOMAIN}/indexer_problem.yaml"
INSTANCE_OUTAGE = f"{DOMAIN}/instance_outage.yaml"
SOURCE_URL = (
    "https://github.com/ai-arr-control/ai-arr-control/blob/main/"
    "blueprints/automation/ai_arr_control/"
)
PHONE = "Pixel 9"
PHONE_SERVICE = "mobile_app_pixel_9"

pytestmark = pytest.mark.freeze_time("2026-11-28 12:00:00+00:00")


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of the test's own, to copy the blueprints into."""
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
def _blueprints(hass: HomeAssistant) -> None:
    """The blueprints where Home Assistant looks for them."""
    shutil.copytree(BLUEPRINTS, hass.config.path("blueprints", "automation", DOMAIN))


@dataclass
class Notifications:
    """What persistent_notification shows, and each create or update in order."""

    current: dict[str, pn.Notification] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)

    def message(self, notification_id: str) -> str:
        """The message of a notification that must be shown."""
        return self.current[notification_id]["message"]


@pytest.fixture
async def notifications(hass: HomeAssistant) -> Notifications:
    """The real persistent notifications, followed."""
    assert await async_setup_component(hass, "persistent_notification", {})
    seen = Notifications()

    @callback
    def updated(
        update_type: pn.UpdateType, changed: dict[str, pn.Notification]
    ) -> None:
        for notification_id, notification in changed.items():
            if update_type is pn.UpdateType.REMOVED:
                seen.current.pop(notification_id, None)
            else:
                seen.current[notification_id] = notification
                seen.log.append((notification_id, notification["message"]))

    pn.async_register_callback(hass, updated)
    return seen


@pytest.fixture
def phone(hass: HomeAssistant) -> str:
    """A phone with the Companion app: its device id."""
    entry = MockConfigEntry(domain="mobile_app", title=PHONE)
    entry.add_to_hass(hass)
    return (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={("mobile_app", "pixel-9-webhook")},
            name=PHONE,
            manufacturer="Google",
            model="Pixel 9",
        )
        .id
    )


@pytest.fixture
def pushes(hass: HomeAssistant) -> list[ServiceCall]:
    """What was sent to the phone."""
    calls: list[ServiceCall] = async_mock_service(hass, "notify", PHONE_SERVICE)
    return calls


@dataclass
class FakeIndexer:
    """An indexer's device and entities, as the integration registers them."""

    name: str
    number: int
    instance: FakeInstance
    device_id: str
    status: str
    state: str
    switch: str

    @property
    def notification_id(self) -> str:
        """The id and tag of its incident's notification."""
        return f"ai_arr_control_indexer_{self.device_id}"

    def _event_data(
        self, code: str, cause: str | None, reason: str | None
    ) -> dict[str, Any]:
        return {
            "config_entry_id": self.instance.entry.entry_id,
            "device_id": self.device_id,
            "instance": self.instance.entry.title,
            "indexer_id": self.number,
            "indexer": self.name,
            "code": code,
            "reason": reason,
            "cause": cause,
        }

    def fails(self, cause: str = "network", reason: str = "Connection refused") -> None:
        """A health check sees it fail (the event comes before the states)."""
        hass = self.instance.hass
        hass.bus.async_fire(
            EVENT_INDEXER_FAILED, self._event_data("failing", cause, reason)
        )
        hass.states.async_set(
            self.status, "on", {"cause": cause, "failure_message": reason}
        )
        hass.states.async_set(self.state, "failing")

    def passes(self) -> None:
        """A health check sees it pass again."""
        hass = self.instance.hass
        hass.bus.async_fire(
            EVENT_INDEXER_RECOVERED, self._event_data("passing", None, None)
        )
        hass.states.async_set(self.status, "off", {})
        hass.states.async_set(self.state, "passing")

    def auto_disabled(
        self, cause: str = "network", reason: str = "Connection refused"
    ) -> None:
        """Auto-heal turns it off (the states come before the event)."""
        hass = self.instance.hass
        hass.states.async_set(self.switch, "off")
        hass.states.async_set(self.state, "auto_disabled")
        hass.bus.async_fire(
            EVENT_INDEXER_DISABLED, self._event_data("kept_failing", cause, reason)
        )

    def auto_enabled(self) -> None:
        """Auto-heal turns it back on after it passed."""
        hass = self.instance.hass
        hass.states.async_set(self.switch, "on")
        hass.states.async_set(self.status, "off", {})
        hass.states.async_set(self.state, "passing")
        hass.bus.async_fire(
            EVENT_INDEXER_ENABLED, self._event_data("passed", "network", "passed")
        )

    def user_off(self) -> None:
        """Its switch is turned off by the user."""
        hass = self.instance.hass
        hass.states.async_set(self.switch, "off")
        hass.states.async_set(self.status, "off", {})
        hass.states.async_set(self.state, "user_disabled")


@dataclass
class FakeInstance:
    """An instance's entry and device, its Failing indexers sensor, its indexers."""

    hass: HomeAssistant
    entry: MockConfigEntry
    device_id: str
    failing_sensor: str
    indexers: dict[str, FakeIndexer] = field(default_factory=dict)

    def count_failing(self) -> None:
        """The Failing indexers sensor follows the Status sensors."""
        self.hass.states.async_set(
            self.failing_sensor,
            str(
                sum(
                    self.hass.states.is_state(i.status, "on")
                    for i in self.indexers.values()
                )
            ),
        )


def _entity(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device_id: str,
    domain: str,
    unique_id: str,
    object_id: str,
    state: str,
) -> str:
    """An entity of the integration: registered, loaded, with a state."""
    entity_id = (
        er.async_get(hass)
        .async_get_or_create(
            domain,
            DOMAIN,
            unique_id,
            config_entry=entry,
            device_id=device_id,
            suggested_object_id=object_id,
        )
        .entity_id
    )
    # What a platform records for each entity it adds (integration_entities()).
    entity_sources(hass)[entity_id] = {
        "domain": DOMAIN,
        "config_entry": entry.entry_id,
    }
    hass.states.async_set(entity_id, state)
    return entity_id


@pytest.fixture
def add_instance(hass: HomeAssistant) -> Callable[..., FakeInstance]:
    """Register an instance with indexers, all passing."""

    def add(title: str, names: list[str]) -> FakeInstance:
        entry = MockConfigEntry(domain=DOMAIN, title=title)
        entry.add_to_hass(hass)
        devices = dr.async_get(hass)
        slug = title.lower().replace(" ", "_")
        instance_device = devices.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, entry.entry_id)},
            entry_type=dr.DeviceEntryType.SERVICE,
            manufacturer="Servarr",
            model="Radarr",
            name=title,
        )
        _entity(
            hass,
            entry,
            instance_device.id,
            "binary_sensor",
            f"{entry.entry_id}_health",
            f"{slug}_health",
            "off",
        )
        _entity(
            hass,
            entry,
            instance_device.id,
            "sensor",
            f"{entry.entry_id}_indexers",
            f"{slug}_indexers",
            str(len(names)),
        )
        instance = FakeInstance(
            hass,
            entry,
            instance_device.id,
            _entity(
                hass,
                entry,
                instance_device.id,
                "sensor",
                f"{entry.entry_id}_failing_indexers",
                f"{slug}_failing_indexers",
                "0",
            ),
        )
        for number, name in enumerate(names, start=1):
            device = devices.async_get_or_create_child(
                config_entry_id=entry.entry_id,
                identifiers={(DOMAIN, f"{entry.entry_id}_indexer_{number}")},
                parent_device_id=instance_device.id,
                name=name,
            )
            prefix = f"{entry.entry_id}_indexer_{number}"
            object_id = f"{slug}_{name.lower()}"
            instance.indexers[name] = FakeIndexer(
                name=name,
                number=number,
                instance=instance,
                device_id=device.id,
                status=_entity(
                    hass,
                    entry,
                    device.id,
                    "binary_sensor",
                    f"{prefix}_status",
                    f"{object_id}_status",
                    "off",
                ),
                state=_entity(
                    hass,
                    entry,
                    device.id,
                    "sensor",
                    f"{prefix}_state",
                    f"{object_id}_state",
                    "passing",
                ),
                switch=_entity(
                    hass,
                    entry,
                    device.id,
                    "switch",
                    f"{prefix}_enabled",
                    f"{object_id}_enabled",
                    "on",
                ),
            )
        return instance

    return add


async def setup_automation(hass: HomeAssistant, path: str, **inputs: Any) -> None:
    """One automation from a blueprint, with these inputs."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "under_test",
                "alias": "Under test",
                "use_blueprint": {"path": path, "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.under_test")
    assert state is not None
    assert state.state == "on"


async def settle(hass: HomeAssistant) -> None:
    """Let whatever is due run.

    Not hass.async_block_till_done(): it waits for every run, and a run waits
    for the end of its incident.
    """
    for _ in range(200):
        await asyncio.sleep(0)


async def later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, **delta: float
) -> None:
    """Let what is due now run, then time pass, and what is due then run."""
    await settle(hass)
    freezer.tick(timedelta(**delta))
    async_fire_time_changed(hass)
    await settle(hass)


def running(hass: HomeAssistant) -> int:
    """How many runs of the automation are under way."""
    state = hass.states.get("automation.under_test")
    assert state is not None
    return int(state.attributes["current"])


def buttons(push: ServiceCall) -> list[tuple[str, str]]:
    """A push's buttons: (action, title)."""
    return [(b["action"], b["title"]) for b in push.data["data"]["actions"]]


# -- the blueprints themselves ------------------------------------------------


@pytest.mark.parametrize("name", ["indexer_problem.yaml", "instance_outage.yaml"])
def test_blueprint_is_valid(name: str) -> None:
    """Each file is an automation blueprint Home Assistant accepts."""
    data = yaml_util.load_yaml(BLUEPRINTS / name)
    assert isinstance(data, dict)
    blueprint = Blueprint(
        data,
        path=name,
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    metadata = blueprint.metadata
    assert metadata["source_url"] == SOURCE_URL + name
    assert metadata["homeassistant"]["min_version"] == "2026.10.0"
    assert metadata["description"]
    assert "notify_devices" in blueprint.inputs
    assert "persistent" in blueprint.inputs


# -- indexer problems ---------------------------------------------------------


async def test_short_failure_sends_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
    phone: str,
    pushes: list[ServiceCall],
) -> None:
    """A failure that recovers before the chosen time is not news."""
    radarr = add_instance("Radarr", ["GeekNZB", "TipsySlug"])
    await setup_automation(hass, INDEXER_PROBLEM, notify_devices=[phone])
    geek = radarr.indexers["GeekNZB"]

    geek.fails()
    await later(hass, freezer, minutes=30)
    geek.passes()
    await later(hass, freezer, hours=2)

    assert notifications.log == []
    assert pushes == []
    assert running(hass) == 0


async def test_long_failure_is_one_incident(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
    phone: str,
    pushes: list[ServiceCall],
) -> None:
    """Failing for the chosen time: one notification, updated when auto-heal
    disables it, and "restored after" when it is back, all under one id."""
    radarr = add_instance("Radarr", ["GeekNZB", "TipsySlug"])
    await setup_automation(hass, INDEXER_PROBLEM, notify_devices=[phone])
    geek = radarr.indexers["GeekNZB"]
    incident = geek.notification_id

    geek.fails(cause="auth", reason="Invalid API Key")
    await later(hass, freezer, minutes=59)
    assert notifications.log == []
    assert pushes == []

    await later(hass, freezer, minutes=1)
    assert list(notifications.current) == [incident]
    assert notifications.message(incident).startswith(
        "GeekNZB on Radarr has been failing for 1 hour (credentials refused): "
        "Invalid API Key."
    )
    assert f"(/config/devices/device/{geek.device_id})" in notifications.message(
        incident
    )
    assert len(pushes) == 1
    assert pushes[0].data["title"] == "GeekNZB is failing"
    assert pushes[0].data["data"]["tag"] == incident
    assert buttons(pushes[0]) == [
        (f"AI_ARR_TEST_{geek.device_id}", "Test now"),
        (f"AI_ARR_KEEP_OFF_{geek.device_id}", "Turn off"),
    ]

    # Auto-heal disables it an hour later: the same notification, updated.
    await later(hass, freezer, hours=1)
    geek.auto_disabled(cause="auth", reason="Invalid API Key")
    await settle(hass)
    assert list(notifications.current) == [incident]
    assert notifications.message(incident).startswith(
        "Auto-heal turned GeekNZB on Radarr off after repeated failures "
        "(credentials refused): Invalid API Key. It turns it back on once it "
        "passes its tests."
    )
    assert len(pushes) == 2
    assert pushes[1].data["data"]["tag"] == incident
    assert [action for action, _ in buttons(pushes[1])] == [
        f"AI_ARR_TEST_{geek.device_id}",
        f"AI_ARR_ENABLE_{geek.device_id}",
        f"AI_ARR_KEEP_OFF_{geek.device_id}",
    ]
    assert running(hass) == 1

    # Back two hours and a half after it started failing.
    await later(hass, freezer, minutes=30)
    geek.auto_enabled()
    await settle(hass)
    assert list(notifications.current) == [incident]
    assert notifications.message(incident).startswith(
        "GeekNZB on Radarr restored after 2 hours 30 minutes."
    )
    assert len(pushes) == 3
    assert pushes[2].data["title"] == "GeekNZB restored"
    assert pushes[2].data["data"]["tag"] == incident
    assert pushes[2].data["data"]["actions"] == []
    assert [notification_id for notification_id, _ in notifications.log] == [
        incident
    ] * 3
    assert running(hass) == 0


async def test_flap_starts_a_new_incident(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """Failing, passing, failing again: the hour counts from the second failure."""
    radarr = add_instance("Radarr", ["GeekNZB"])
    await setup_automation(hass, INDEXER_PROBLEM)
    geek = radarr.indexers["GeekNZB"]

    geek.fails()
    await later(hass, freezer, minutes=40)
    geek.passes()
    await later(hass, freezer, minutes=10)
    geek.fails()
    await later(hass, freezer, minutes=30)
    assert notifications.log == []
    assert running(hass) == 1
    await later(hass, freezer, minutes=30)
    assert notifications.message(geek.notification_id).startswith(
        "GeekNZB on Radarr has been failing for 1 hour (network error):"
    )
    assert len(notifications.log) == 1


async def test_disabled_before_the_chosen_time(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
    phone: str,
    pushes: list[ServiceCall],
) -> None:
    """Auto-disabled within the hour: told at once, and not again at the hour."""
    radarr = add_instance("Radarr", ["GeekNZB"])
    await setup_automation(hass, INDEXER_PROBLEM, notify_devices=[phone])
    geek = radarr.indexers["GeekNZB"]

    geek.fails()
    await later(hass, freezer, minutes=30)
    geek.auto_disabled()
    await settle(hass)
    assert len(pushes) == 1
    assert pushes[0].data["title"] == "GeekNZB was disabled"
    await later(hass, freezer, hours=2)
    assert len(pushes) == 1
    assert len(notifications.log) == 1
    assert running(hass) == 1


async def test_disable_notification_can_be_turned_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """Without notify_on_disable, a disabled indexer is one that keeps failing."""
    radarr = add_instance("Radarr", ["GeekNZB"])
    await setup_automation(
        hass,
        INDEXER_PROBLEM,
        notify_on_disable=False,
        failing_for={"hours": 2, "minutes": 0, "seconds": 0},
    )
    geek = radarr.indexers["GeekNZB"]

    geek.fails()
    await later(hass, freezer, minutes=30)
    geek.auto_disabled()
    await later(hass, freezer, minutes=89)
    assert notifications.log == []
    await later(hass, freezer, minutes=2)
    assert notifications.message(geek.notification_id).startswith(
        "GeekNZB on Radarr has been failing for 2 hours"
    )


async def test_phone_buttons(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
    phone: str,
    pushes: list[ServiceCall],
) -> None:
    """Each button calls what it says, on the indexer it names."""
    radarr = add_instance("Radarr", ["GeekNZB", "TipsySlug"])
    tipsy = radarr.indexers["TipsySlug"]
    tests = async_mock_service(hass, DOMAIN, "test_indexer")
    turned_on = async_mock_service(hass, "switch", "turn_on")
    turned_off = async_mock_service(hass, "switch", "turn_off")
    await setup_automation(
        hass, INDEXER_PROBLEM, notify_devices=[phone], persistent=False
    )
    tipsy.fails()
    tipsy.auto_disabled()
    await settle(hass)
    actions = [action for action, _ in buttons(pushes[0])]

    for action in actions:
        hass.bus.async_fire("mobile_app_notification_action", {"action": action})
    await settle(hass)

    assert notifications.log == []
    assert [call.data for call in tests] == [{"device_id": tipsy.device_id}]
    assert [call.data for call in turned_on] == [{"entity_id": [tipsy.switch]}]
    assert [call.data for call in turned_off] == [{"entity_id": [tipsy.switch]}]

    # Other apps' buttons, and ids that are not an indexer of AI Arr Control.
    for action in (
        "OPEN_GARAGE",
        f"AI_ARR_REBOOT_{tipsy.device_id}",
        f"AI_ARR_ENABLE_{radarr.device_id}",
        f"AI_ARR_ENABLE_{phone}",
        "AI_ARR_ENABLE_0123456789abcdef",
    ):
        hass.bus.async_fire("mobile_app_notification_action", {"action": action})
    await settle(hass)
    assert len(tests) == len(turned_on) == len(turned_off) == 1


async def test_buttons_ignored_without_phones(
    hass: HomeAssistant,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """An automation that sends no buttons does not answer them (another one,
    for the phones, does)."""
    radarr = add_instance("Radarr", ["GeekNZB"])
    turned_on = async_mock_service(hass, "switch", "turn_on")
    await setup_automation(hass, INDEXER_PROBLEM)
    geek = radarr.indexers["GeekNZB"]
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": f"AI_ARR_ENABLE_{geek.device_id}"},
    )
    await settle(hass)
    assert turned_on == []


async def test_kept_off_ends_the_incident(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
    phone: str,
    pushes: list[ServiceCall],
) -> None:
    """Turned off by the user: the notification says so, not "restored"."""
    radarr = add_instance("Radarr", ["GeekNZB"])
    await setup_automation(hass, INDEXER_PROBLEM, notify_devices=[phone])
    geek = radarr.indexers["GeekNZB"]
    geek.fails()
    await later(hass, freezer, minutes=20)
    geek.auto_disabled()
    await later(hass, freezer, minutes=10)
    geek.user_off()
    await settle(hass)
    assert notifications.message(geek.notification_id).startswith(
        "GeekNZB on Radarr was turned off after failing for 30 minutes: auto-heal "
        "leaves it off until it is turned on again."
    )
    assert pushes[-1].data["title"] == "GeekNZB is off"
    assert running(hass) == 0


async def test_removed_indexer_ends_the_incident(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """An indexer deleted in the app: its incident ends with its device."""
    radarr = add_instance("Radarr", ["GeekNZB"])
    await setup_automation(hass, INDEXER_PROBLEM)
    geek = radarr.indexers["GeekNZB"]
    geek.fails()
    await later(hass, freezer, hours=1, minutes=1)
    # The device goes, and its entities with it (their states too, as the
    # integration's loaded entities would).
    dr.async_get(hass).async_remove_device(geek.device_id)
    for entity_id in (geek.status, geek.state, geek.switch):
        hass.states.async_remove(entity_id)
    await settle(hass)
    assert notifications.message(geek.notification_id) == (
        "GeekNZB was removed from Radarr."
    )
    assert running(hass) == 0


async def test_only_chosen_instances(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """Restricted to Sonarr, a failing Radarr indexer sends nothing."""
    radarr = add_instance("Radarr", ["GeekNZB"])
    sonarr = add_instance("Sonarr", ["GeekNZB"])
    await setup_automation(
        hass,
        INDEXER_PROBLEM,
        instances=[sonarr.device_id],
        failing_for={"hours": 0, "minutes": 0, "seconds": 0},
    )
    radarr.indexers["GeekNZB"].fails()
    sonarr.indexers["GeekNZB"].fails()
    await later(hass, freezer, seconds=1)
    assert list(notifications.current) == [sonarr.indexers["GeekNZB"].notification_id]
    assert notifications.message(sonarr.indexers["GeekNZB"].notification_id).startswith(
        "GeekNZB on Sonarr has been failing for"
    )


async def test_outage_and_unreachable_hold_notifications_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """Three of four failing together: their notifications wait for the outage
    to end; the one still failing then is told, the others not at all."""
    radarr = add_instance("Radarr", ["A", "B", "C", "D"])
    await setup_automation(hass, INDEXER_PROBLEM)
    for name in ("A", "B", "C"):
        radarr.indexers[name].fails()
    await later(hass, freezer, hours=2)
    assert notifications.log == []

    # The instance is unreachable for a while: still nothing.
    for indexer in radarr.indexers.values():
        hass.states.async_set(indexer.status, STATE_UNAVAILABLE)
    await later(hass, freezer, hours=1)
    assert notifications.log == []

    # Back: A and B pass, C is still failing.
    for name, state in (("A", "off"), ("B", "off"), ("C", "on"), ("D", "off")):
        hass.states.async_set(radarr.indexers[name].status, state)
    await settle(hass)
    assert list(notifications.current) == [radarr.indexers["C"].notification_id]
    assert notifications.message(radarr.indexers["C"].notification_id).startswith(
        "C on Radarr has been failing for 3 hours (network error): Connection refused."
    )


async def test_outage_notifies_each_when_not_waiting(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """With quiet_during_outage off, each failing indexer is told."""
    radarr = add_instance("Radarr", ["A", "B", "C", "D"])
    await setup_automation(hass, INDEXER_PROBLEM, quiet_during_outage=False)
    for name in ("A", "B", "C"):
        radarr.indexers[name].fails()
    await later(hass, freezer, hours=1, minutes=1)
    assert len(notifications.current) == 3


# -- instance outages ---------------------------------------------------------


async def test_unreachable_instance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
    phone: str,
    pushes: list[ServiceCall],
) -> None:
    """Unreachable for the chosen time: one notification, then "back after"."""
    radarr = add_instance("Radarr", ["A", "B", "C", "D"])
    await setup_automation(
        hass,
        INSTANCE_OUTAGE,
        failing_sensors=[radarr.failing_sensor],
        notify_devices=[phone],
    )
    incident = f"ai_arr_control_instance_{radarr.device_id}"

    # A short gap (a reload) is not an outage.
    hass.states.async_set(radarr.failing_sensor, STATE_UNAVAILABLE)
    await later(hass, freezer, minutes=1)
    hass.states.async_set(radarr.failing_sensor, "0")
    await later(hass, freezer, minutes=30)
    assert notifications.log == []

    hass.states.async_set(radarr.failing_sensor, STATE_UNAVAILABLE)
    await later(hass, freezer, minutes=14)
    assert notifications.log == []
    await later(hass, freezer, minutes=2)
    assert list(notifications.current) == [incident]
    assert notifications.message(incident).startswith(
        "Home Assistant has not reached Radarr for 16 minutes: its indexers are not "
        "checked."
    )
    assert len(pushes) == 1
    assert pushes[0].data["title"] == "Radarr is unreachable"
    assert pushes[0].data["data"]["tag"] == incident

    await later(hass, freezer, minutes=44)
    hass.states.async_set(radarr.failing_sensor, "0")
    await settle(hass)
    assert notifications.message(incident).startswith("Radarr is back after 1 hour.")
    assert len(pushes) == 2
    assert pushes[1].data["title"] == "Radarr is back"
    assert pushes[1].data["data"]["tag"] == incident
    assert [notification_id for notification_id, _ in notifications.log] == [
        incident
    ] * 2
    assert running(hass) == 0


async def test_many_indexers_failing_together(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    add_instance: Callable[..., FakeInstance],
    notifications: Notifications,
) -> None:
    """Half of the indexers (and at least 3) failing together is an outage;
    becoming unreachable during it is the same outage."""
    radarr = add_instance("Radarr", ["A", "B", "C", "D", "E", "F"])
    sonarr = add_instance("Sonarr", ["A", "B"])
    await setup_automation(
        hass,
        INSTANCE_OUTAGE,
        failing_sensors=[radarr.failing_sensor, sonarr.failing_sensor],
    )
    incident = f"ai_arr_control_instance_{radarr.device_id}"

    # Two of six, then two of two: not an outage.
    for indexer in (radarr.indexers["A"], radarr.indexers["B"]):
        indexer.fails()
    radarr.count_failing()
    for indexer in sonarr.indexers.values():
        indexer.fails()
    sonarr.count_failing()
    await later(hass, freezer, hours=1)
    assert notifications.log == []

    radarr.indexers["C"].fails()
    radarr.count_failing()
    await later(hass, freezer, minutes=16)
    assert list(notifications.current) == [incident]
    assert notifications.message(incident).startswith(
        "3 of 6 indexers of Radarr have been failing together for 16 minutes: more "
        "likely a network, VPN or DNS problem than broken indexers."
    )

    hass.states.async_set(radarr.failing_sensor, STATE_UNAVAILABLE)
    await later(hass, freezer, minutes=30)
    for indexer in radarr.indexers.values():
        hass.states.async_set(indexer.status, "off")
    radarr.count_failing()
    await settle(hass)
    assert notifications.message(incident).startswith(
        "Radarr is back after 46 minutes."
    )
    assert len(notifications.log) == 2
    assert running(hass) == 0


# -- with the real integration ------------------------------------------------


async def test_real_integration_failing_indexer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    mock_arr_client: MagicMock,
    notifications: Notifications,
    phone: str,
    pushes: list[ServiceCall],
) -> None:
    """The integration's events, devices and switch with the indexer blueprint:
    a failing indexer is told after the hour, and Turn off turns it off."""
    await setup_automation(hass, INDEXER_PROBLEM, notify_devices=[phone])
    device = dr.async_get(hass).async_get_child_device_by_identifier(
        (DOMAIN, f"{init_integration.entry_id}_indexer_3"), init_integration.entry_id
    )
    assert device is not None

    async def test_indexer(indexer: Indexer) -> IndexerTestResult:
        if indexer.id == 3:
            return IndexerTestResult(3, False, (ValidationFailure("Invalid API Key"),))
        return IndexerTestResult(indexer.id, True, response_time=0.25)

    mock_arr_client.test_indexer.side_effect = test_indexer
    for _ in range(3):
        await later(hass, freezer, seconds=HEALTH_INTERVAL.total_seconds())

    incident = f"ai_arr_control_indexer_{device.id}"
    assert list(notifications.current) == [incident]
    assert notifications.message(incident).startswith(
        "GeekNZB on Radarr has been failing for 1 hour"
    )
    assert len(pushes) == 1

    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": f"AI_ARR_KEEP_OFF_{device.id}"}
    )
    await settle(hass)
    assert mock_arr_client.stored_indexers[3].enabled is False
    assert notifications.message(incident).startswith(
        "GeekNZB on Radarr was turned off after failing for 1 hour"
    )
