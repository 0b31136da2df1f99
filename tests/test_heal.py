"""Healing over several checks, against the Arr simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, cast

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from arr_simulator import ArrSimulator, SimulatedInstance
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.const import (
    DOMAIN,
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
    EVENT_INDEXER_FAILED,
    EVENT_INDEXER_RECOVERED,
)
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir

from .common import next_health_check, setup_entries, state_of, writes

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
]

ALL_OFF = {
    "ids": [1],
    "enableRss": False,
    "enableAutomaticSearch": False,
    "enableInteractiveSearch": False,
}
ALL_ON = {
    "ids": [1],
    "enableRss": True,
    "enableAutomaticSearch": True,
    "enableInteractiveSearch": True,
}

type AddInstance = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
def add_instance(hass: HomeAssistant) -> AddInstance:
    """Set up entries for simulated instances (all at once, like a start-up)."""

    async def add(*instances: SimulatedInstance, **options: Any) -> MockConfigEntry:
        return (await setup_entries(hass, instances, **options))[0]

    return add


def report_flag(response: Any, key: str) -> Any:
    """A top-level value of an action response."""
    return dict(response)[key]


async def heal_cycle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Four health checks: two hours, one scheduled heal run."""
    for _ in range(4):
        await next_health_check(hass, freezer)


async def test_broken_indexer_disabled_then_restored_across_restart(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    hass_storage: dict[str, Any],
) -> None:
    """Steady failure: disabled after two failures, back with its flags after a restart."""
    radarr = arr_simulator.instance("radarr")
    prowlarr = arr_simulator.instance("prowlarr")
    entry = await add_instance(radarr, prowlarr)
    disabled = async_capture_events(hass, EVENT_INDEXER_DISABLED)
    enabled = async_capture_events(hass, EVENT_INDEXER_ENABLED)
    failed = async_capture_events(hass, EVENT_INDEXER_FAILED)
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    radarr.clear_requests()

    await heal_cycle(hass, freezer)

    assert writes(radarr) == [("/api/v3/indexer/bulk", ALL_OFF)]
    assert not any(
        radarr.indexers[1][k] for k in ("enableRss", "enableAutomaticSearch")
    )
    assert [e.data["indexer"] for e in failed] == ["GeekNZB"]
    assert [
        (e.data["indexer"], e.data["reason"])
        for e in disabled
        if e.data["instance"] == "Radarr"
    ] == [("GeekNZB", "Invalid API Key")]
    issue = issue_registry.async_get_issue(DOMAIN, f"auto_disabled_{entry.entry_id}")
    assert issue is not None
    assert issue.is_fixable
    assert "GeekNZB" in issue.translation_placeholders["indexers"]  # type: ignore[index]
    assert state_of(hass, "sensor.radarr_disabled_by_auto_heal") == "1"
    assert state_of(hass, "switch.radarr_geeknzb_enabled") == "off"

    # Home Assistant restarts; the ledger is what was stored.
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    assert stored["owned"]["1"]["flags"] == {
        "enableRss": True,
        "enableAutomaticSearch": True,
        "enableInteractiveSearch": True,
    }
    radarr.clear_indexer_fault(1)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    radarr.clear_requests()

    await heal_cycle(hass, freezer)

    assert writes(radarr) == [("/api/v3/indexer/bulk", ALL_ON)]
    assert [e.data["indexer"] for e in enabled] == ["GeekNZB"]
    assert (
        issue_registry.async_get_issue(DOMAIN, f"auto_disabled_{entry.entry_id}")
        is None
    )
    assert state_of(hass, "switch.radarr_geeknzb_enabled") == "on"
    # Disabled indexers are tested one by one (testall would skip them).
    assert not [r for r in radarr.requests if r.path.endswith("/testall")]


async def test_flapping_indexer_is_not_disabled(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One failure, then a pass at the heal run's fresh test: left alone."""
    radarr = arr_simulator.instance("radarr")
    await add_instance(radarr, arr_simulator.instance("prowlarr"))
    recovered = async_capture_events(hass, EVENT_INDEXER_RECOVERED)
    for _ in range(3):
        await next_health_check(hass, freezer)
    radarr.set_indexer_fault(2, fail="Request limit reached")
    await next_health_check(hass, freezer)
    radarr.clear_indexer_fault(2)
    radarr.clear_requests()
    await heal_cycle(hass, freezer)
    assert writes(radarr) == []
    assert [e.data["indexer"] for e in recovered] == ["TipsySlug"]


async def test_outage_disables_nothing(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Most indexers failing together: a network problem, not broken indexers."""
    radarr = arr_simulator.instance("radarr")
    # Radarr alone: with its Prowlarr configured, its copies are not tested in
    # Radarr. Not FlakyTracker, whose copy fails through Prowlarr.
    arr_simulator.instance("prowlarr").clear_indexer_fault(6)
    entry = await add_instance(radarr)
    # 5 of the 10 enabled: three of its own and two synced from Prowlarr (not
    # CinemaTorrents, which passed with a warning and is not tested again soon).
    failing = (1, 2, 3, 6, 7)
    for indexer_id in failing:
        radarr.set_indexer_fault(indexer_id, kind="dns")
    radarr.clear_requests()
    await heal_cycle(hass, freezer)
    assert writes(radarr) == []
    issue = issue_registry.async_get_issue(DOMAIN, f"outage_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "outage"
    assert (issue.translation_placeholders or {})["failing"] == "5"

    for indexer_id in failing:
        radarr.clear_indexer_fault(indexer_id)
    # Gone with the next health check, not the next heal run.
    await next_health_check(hass, freezer)
    assert issue_registry.async_get_issue(DOMAIN, f"outage_{entry.entry_id}") is None


async def test_unreachable_instance(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The instance is down at the heal run: one issue, nothing changed."""
    sonarr = arr_simulator.instance("sonarr")
    entry = await add_instance(sonarr)
    sonarr.set_indexer_fault(1, fail="boom")
    for _ in range(3):
        await next_health_check(hass, freezer)
    await sonarr.set_down(True)
    await next_health_check(hass, freezer)
    issue = issue_registry.async_get_issue(DOMAIN, f"outage_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "unreachable"
    assert writes(sonarr) == []
    # Back: the issue goes with the next health check, auto-heal off or not.
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: "switch.sonarr_auto_heal"}, blocking=True
    )
    await sonarr.set_down(False)
    await next_health_check(hass, freezer)
    assert issue_registry.async_get_issue(DOMAIN, f"outage_{entry.entry_id}") is None


async def test_synced_indexer_without_prowlarr_is_reported(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Without its Prowlarr in Home Assistant, a synced copy is only reported:
    the sync level that decides whether a change would last is unknown."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr)
    # The app's link to Prowlarr is broken (a wrong Prowlarr API key in Radarr).
    radarr.set_indexer_fault(6, kind="auth")
    radarr.clear_requests()
    await heal_cycle(hass, freezer)
    assert writes(radarr) == []
    issue = issue_registry.async_get_issue(
        DOMAIN, f"prowlarr_unconfigured_{entry.entry_id}"
    )
    assert issue is not None
    assert "TorrentHaven (Prowlarr)" in issue.translation_placeholders["indexers"]  # type: ignore[index]


async def test_dry_run_action_sends_nothing(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """heal_now with dry_run decides and reports, and changes nothing."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    radarr.clear_requests()
    response = await hass.services.async_call(
        DOMAIN,
        "heal_now",
        {"config_entry_id": entry.entry_id, "dry_run": True},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert report_flag(response, "dry_run") is True
    report: dict[str, Any] = dict(response)
    decisions = {d["indexer"]: d for d in report["decisions"]}
    assert decisions == {
        "GeekNZB": {
            "indexer_id": 1,
            "indexer": "GeekNZB",
            "action": "disable",
            "reason": "Invalid API Key",
            "cause": "auth",
        }
    }
    assert writes(radarr) == []
    assert radarr.indexers[1]["enableRss"] is True


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_dry_run_option(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With the dry-run option the scheduled heal runs change nothing either."""
    radarr = arr_simulator.instance("radarr")
    await add_instance(radarr, arr_simulator.instance("prowlarr"), dry_run=True)
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    radarr.clear_requests()
    await heal_cycle(hass, freezer)
    assert writes(radarr) == []
    assert state_of(hass, "sensor.radarr_last_heal") == "2026-11-28T14:00:04+00:00"


async def test_heal_now_action_follows_the_dry_run_option(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """heal_now without dry_run (as the UI calls it) follows the entry's Dry
    run option: nothing is disabled while the option says dry run."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"), dry_run=True)
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    await next_health_check(hass, freezer)
    radarr.clear_requests()
    response = await hass.services.async_call(
        DOMAIN,
        "heal_now",
        {"config_entry_id": entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert report_flag(response, "dry_run") is True
    assert writes(radarr) == []


async def test_dry_run_still_lets_go_of_what_the_user_took_back(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Auto-heal disabled GeekNZB; the user turns it on in the app itself. A dry
    run (or auto-heal off) still forgets it, so no later run overrides the user."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    ledger = entry.runtime_data.ledger
    assert 1 in ledger.owned
    for flag in ("enableRss", "enableAutomaticSearch", "enableInteractiveSearch"):
        radarr.indexers[1][flag] = True
    await next_health_check(hass, freezer)
    await hass.services.async_call(
        DOMAIN,
        "heal_now",
        {"config_entry_id": entry.entry_id, "dry_run": True},
        blocking=True,
        return_response=True,
    )
    assert 1 not in ledger.owned


async def test_user_takes_and_hands_back_control(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Switched off by the user: auto-heal never turns it on; on again: handed back."""
    radarr = arr_simulator.instance("radarr")
    await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    assert radarr.indexers[1]["enableRss"] is False

    # The user takes it over, and it starts passing: auto-heal leaves it off.
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: "switch.radarr_geeknzb_enabled"},
        blocking=True,
    )
    radarr.clear_indexer_fault(1)
    radarr.clear_requests()
    await heal_cycle(hass, freezer)
    assert writes(radarr) == []
    assert state_of(hass, "sensor.radarr_disabled_by_auto_heal") == "0"

    # Turned on again: the original flags come back and auto-heal may act again.
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: "switch.radarr_geeknzb_enabled"},
        blocking=True,
    )
    assert writes(radarr) == [("/api/v3/indexer/bulk", ALL_ON)]
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    radarr.clear_requests()
    await heal_cycle(hass, freezer)
    assert writes(radarr) == [("/api/v3/indexer/bulk", ALL_OFF)]


async def test_auto_heal_switch_and_heal_now_button(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Auto-heal off: scheduled runs change nothing; Heal now still acts."""
    radarr = arr_simulator.instance("radarr")
    await add_instance(radarr, arr_simulator.instance("prowlarr"))
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: "switch.radarr_auto_heal"},
        blocking=True,
    )
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    radarr.clear_requests()
    await heal_cycle(hass, freezer)
    assert writes(radarr) == []
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.radarr_heal_now"},
        blocking=True,
    )
    assert writes(radarr) == [("/api/v3/indexer/bulk", ALL_OFF)]


async def test_repair_re_enables_now(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The fix of the auto-disabled issue puts the indexers back at once."""
    from custom_components.ai_arr_control.repairs import (
        ReEnableIndexersFlow,
        async_create_fix_flow,
    )

    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    issue_id = f"auto_disabled_{entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    flow = cast(
        "ReEnableIndexersFlow", await async_create_fix_flow(hass, issue_id, issue.data)
    )
    flow.hass = hass
    result = await flow.async_step_init()
    assert result["step_id"] == "confirm"
    radarr.clear_requests()
    result = await flow.async_step_confirm({})
    assert result["type"] == "create_entry"
    assert writes(radarr) == [("/api/v3/indexer/bulk", ALL_ON)]
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_last_enabled_indexer_is_kept(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An instance's only indexer keeps running, however broken."""
    simulator = await arr_simulator_factory(
        """
        [[instance]]
        name = "small"
        app = "Sonarr"
        api_key = "00112233445566778899aabbccddeeff"
        [[instance.indexer]]
        name = "Lonely"
        implementation = "Newznab"
        fields = { baseUrl = "https://lonely.example-nzb.test", apiKey = "k" }
        fault = { fail = "Invalid API Key" }
        """
    )
    small = simulator.instance("small")
    await add_instance(small)
    await heal_cycle(hass, freezer)
    assert writes(small) == []


async def test_actions_refuse_unknown_entries(
    hass: HomeAssistant, arr_simulator: ArrSimulator, add_instance: AddInstance
) -> None:
    """Clear errors for a wrong or unloaded config entry."""
    entry = await add_instance(arr_simulator.instance("sonarr"))
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "test_indexers", {"config_entry_id": "nope"}, blocking=True
        )
    assert err.value.translation_key == "entry_not_found"
    await hass.services.async_call(
        DOMAIN, "test_indexers", {"config_entry_id": entry.entry_id}, blocking=True
    )
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "heal_now", {"config_entry_id": entry.entry_id}, blocking=True
        )
    assert err.value.translation_key == "entry_not_loaded"


async def test_events_and_logbook(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Failed and recovered fire once per change, and read well in the logbook."""
    from custom_components.ai_arr_control.logbook import async_describe_events

    sonarr = arr_simulator.instance("sonarr")
    await add_instance(sonarr)
    events: list[Event[Any]] = async_capture_events(hass, EVENT_INDEXER_FAILED)
    sonarr.set_indexer_fault(2, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    await next_health_check(hass, freezer)
    assert len(events) == 1

    described: dict[str, Callable[[Event[Any]], dict[str, str]]] = {}
    async_describe_events(
        hass, lambda domain, event, fn: described.__setitem__(event, fn)
    )
    data = events[0].data
    assert (data["cause"], data["code"]) == ("auth", "failing")
    # On the indexer's device page (the logbook filters events by device_id).
    device = dr.async_get(hass).async_get(data["device_id"])
    assert device is not None
    assert device.name == "TipsySlug"
    assert described[EVENT_INDEXER_FAILED](events[0]) == {
        "name": "Sonarr",
        "icon": "mdi:alert-circle-outline",
        "entity_id": "binary_sensor.sonarr_tipsyslug_status",
        "message": "indexer TipsySlug started failing (auth): Invalid API Key",
    }
    assert set(described) == {
        EVENT_INDEXER_FAILED,
        EVENT_INDEXER_RECOVERED,
        EVENT_INDEXER_DISABLED,
        EVENT_INDEXER_ENABLED,
    }


async def test_actions_when_the_instance_is_down(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Both actions and both buttons say clearly, once, that the instance could
    not be reached; the Check button stays available, to retry, and a check
    that succeeds makes the entities available again at once."""
    sonarr = arr_simulator.instance("sonarr")
    entry = await add_instance(sonarr)
    await sonarr.set_down(True)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "test_indexers", {"config_entry_id": entry.entry_id}, blocking=True
        )
    assert err.value.translation_key == "update_failed"
    message = str(err.value)
    assert message.startswith("Could not check the indexers: ")
    assert message.count("Could not check the indexers") == 1
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "heal_now",
            {"config_entry_id": entry.entry_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "heal_unreachable"
    assert state_of(hass, "binary_sensor.sonarr_health") == "unavailable"
    assert state_of(hass, "button.sonarr_check_indexers_now") != "unavailable"
    for button, key in (
        ("button.sonarr_check_indexers_now", "update_failed"),
        ("button.sonarr_heal_now", "heal_unreachable"),
    ):
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                "button", "press", {ATTR_ENTITY_ID: button}, blocking=True
            )
        assert err.value.translation_key == key
    await sonarr.set_down(False)
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: "button.sonarr_check_indexers_now"},
        blocking=True,
    )
    assert state_of(hass, "binary_sensor.sonarr_health") != "unavailable"


async def test_auto_heal_switch_survives_a_restart(
    hass: HomeAssistant, arr_simulator: ArrSimulator, add_instance: AddInstance
) -> None:
    """Off stays off across a reload; on again lets the heal runs act."""
    entry = await add_instance(arr_simulator.instance("sonarr"))
    switch = "switch.sonarr_auto_heal"
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, switch) == "off"
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: switch}, blocking=True
    )
    assert state_of(hass, switch) == "on"
    assert entry.runtime_data.ledger.auto_heal


async def test_repair_when_not_loaded(
    hass: HomeAssistant, arr_simulator: ArrSimulator, add_instance: AddInstance
) -> None:
    """The fix flow of an instance that is not loaded ends with a clear reason."""
    from custom_components.ai_arr_control.repairs import (
        ReEnableIndexersFlow,
        async_create_fix_flow,
    )

    entry = await add_instance(arr_simulator.instance("sonarr"))
    await hass.config_entries.async_unload(entry.entry_id)
    flow = cast(
        "ReEnableIndexersFlow",
        await async_create_fix_flow(hass, "x", {"entry_id": entry.entry_id}),
    )
    flow.hass = hass
    result = await flow.async_step_init()
    assert result["type"] == "abort"
    assert result["reason"] == "not_loaded"


async def test_removing_the_entry_puts_back_what_auto_heal_disabled(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Removed while the app answers: GeekNZB, disabled by auto-heal, is turned
    back on with the flags it had; nothing is left behind."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"))
    flags = ("enableRss", "enableAutomaticSearch", "enableInteractiveSearch")
    before = {k: radarr.indexers[1][k] for k in flags}
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    assert radarr.indexers[1]["enableRss"] is False
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert {k: radarr.indexers[1][k] for k in flags} == before
    assert [
        i for (d, i) in issue_registry.issues if d == DOMAIN and entry.entry_id in i
    ] == []


async def test_removing_the_entry_while_the_app_is_down_says_what_is_left_off(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Removed while the app cannot be reached: a repairs issue lists the
    indexers auto-heal left disabled, with the flags to turn back on."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    await radarr.set_down(True)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, f"left_disabled_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "left_disabled"
    assert (issue.translation_placeholders or {})["indexers"] == (
        "- GeekNZB: enableRss, enableAutomaticSearch, enableInteractiveSearch"
    )


async def test_switching_on_clears_it_from_the_auto_disabled_issue(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Auto-heal disabled GeekNZB; the user turns it on with its switch: the
    repairs issue listing it goes at once, not at the next heal run."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    issue_id = f"auto_disabled_{entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: "switch.radarr_geeknzb_enabled"},
        blocking=True,
    )
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_state_status_and_counts_agree(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One rule for every indexer: GeekNZB auto-disabled, TipsySlug rate
    limited, RetiredNZB turned off by the user. The Status sensors that are on
    are what Failing indexers counts; Disabled indexers counts both kinds off."""
    radarr = arr_simulator.instance("radarr")
    await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await heal_cycle(hass, freezer)
    radarr.set_indexer_fault(2, kind="quota")
    await next_health_check(hass, freezer)
    expected = {
        "geeknzb": ("auto_disabled", "on"),
        "tipsyslug": ("rate_limited", "on"),
        "retirednzb": ("user_disabled", "off"),
        "nzbseeker": ("passing", "off"),
    }
    for name, (state, status) in expected.items():
        assert (
            state_of(hass, f"sensor.radarr_{name}_state"),
            state_of(hass, f"binary_sensor.radarr_{name}_status"),
        ) == (state, status), name
    problems = [
        s.entity_id
        for s in hass.states.async_all("binary_sensor")
        if s.entity_id.startswith("binary_sensor.radarr_")
        and s.entity_id.endswith("_status")
        and s.state == "on"
    ]
    assert state_of(hass, "sensor.radarr_failing_indexers") == str(len(problems))
    disabled = [
        s
        for s in hass.states.async_all("sensor")
        if s.entity_id.startswith("sensor.radarr_")
        and s.entity_id.endswith("_state")
        and s.state in ("auto_disabled", "user_disabled")
    ]
    assert state_of(hass, "sensor.radarr_disabled_indexers") == str(len(disabled))


async def test_heal_run_and_health_check_never_test_an_indexer_twice_at_once(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_instance: AddInstance,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Heal now pressed while a health check runs: their tests of GeekNZB never
    overlap (each test moves the app's back-off), and an indexer deleted in the
    app meanwhile is dropped, not an error."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(radarr, arr_simulator.instance("prowlarr"))
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    radarr.set_indexer_fault(2, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    running: dict[int, int] = {}
    most = 0
    original = radarr.run_test

    async def counting(resource: dict[str, Any]) -> Any:
        nonlocal most
        indexer_id = int(resource.get("id") or 0)
        running[indexer_id] = running.get(indexer_id, 0) + 1
        most = max(most, running[indexer_id])
        try:
            for _ in range(5):  # let the other run start its test, if it could
                await asyncio.sleep(0)
            return await original(resource)
        finally:
            running[indexer_id] -= 1

    radarr.run_test = counting  # type: ignore[method-assign]
    health = entry.runtime_data.health
    heal = entry.runtime_data.heal
    check = hass.async_create_task(health.async_refresh())
    radarr.remove_indexer(2)
    await asyncio.gather(heal.async_heal_now(), check)
    assert most == 1
    assert 2 not in health.data.indexers
