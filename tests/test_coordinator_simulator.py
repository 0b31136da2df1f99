"""The health coordinator against the Arr simulator: real HTTP, real back-off."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from arr_simulator import ArrSimulator, SimulatedInstance
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from .common import entry_for, next_health_check, setup_entries, state_of

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
]


async def add_instance(
    hass: HomeAssistant, instance: SimulatedInstance
) -> MockConfigEntry:
    """Set up an entry for a simulated instance."""
    entry = entry_for(instance)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_radarr_cycles(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Verdicts follow the indexers; one test per enabled indexer per cycle."""
    radarr = arr_simulator.instance("radarr")
    entry = await add_instance(hass, radarr)

    # Every enabled indexer was tested once, one by one, and testall never used.
    tests = [r for r in radarr.requests if r.path.startswith("/api/v3/indexer/test")]
    enabled = [
        i
        for i, r in radarr.indexers.items()
        if r["enableRss"] or r["enableAutomaticSearch"] or r["enableInteractiveSearch"]
    ]
    assert sorted(r.body["id"] for r in tests) == sorted(enabled)
    assert all(r.path == "/api/v3/indexer/test" for r in tests)

    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_OFF
    # FlakyTracker is blocked in Prowlarr, so its synced copy fails with a 429.
    flaky = hass.states.get("binary_sensor.radarr_flakytracker_prowlarr_status")
    assert flaky is not None
    assert flaky.state == STATE_ON
    assert "429" in flaky.attributes["failure_message"]
    assert state_of(hass, "binary_sensor.radarr_retirednzb_status") == STATE_OFF
    assert state_of(hass, "sensor.radarr_retirednzb_state") == "user_disabled"
    assert state_of(hass, "sensor.radarr_indexers") == str(len(radarr.indexers))

    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await next_health_check(hass, freezer)
    geek = hass.states.get("binary_sensor.radarr_geeknzb_status")
    assert geek is not None
    assert geek.state == STATE_ON
    assert geek.attributes["failure_message"] == "Invalid API Key"
    assert radarr.status(1).escalation_level == 1
    # The app's own health now names it too.
    assert state_of(hass, "binary_sensor.radarr_health") == STATE_ON

    await radarr.set_down(True)
    await next_health_check(hass, freezer)
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_UNAVAILABLE

    await radarr.set_down(False)
    radarr.clear_indexer_fault(1)
    await next_health_check(hass, freezer)
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == STATE_OFF
    assert radarr.status(1).escalation_level == 0

    # An indexer deleted in the app disappears; a new one appears.
    radarr.remove_indexer(2)
    radarr.add_indexer(
        {
            "name": "FreshNZB",
            "implementation": "Newznab",
            "fields": {"baseUrl": "https://fresh.example-nzb.test", "apiKey": "k"},
        }
    )
    await next_health_check(hass, freezer)
    assert hass.states.get("binary_sensor.radarr_tipsyslug_status") is None
    assert state_of(hass, "binary_sensor.radarr_freshnzb_status") == STATE_OFF
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_prowlarr_back_off_is_shown(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """Prowlarr's own block of a failing indexer shows on its sensor."""
    prowlarr = arr_simulator.instance("prowlarr")
    entry = await add_instance(hass, prowlarr)
    assert state_of(hass, "binary_sensor.prowlarr_flakytracker_status") == STATE_ON
    blocked = state_of(hass, "sensor.prowlarr_flakytracker_blocked_by_prowlarr_until")
    assert blocked.startswith("2026-11-28T12:")
    assert (
        state_of(hass, "sensor.prowlarr_torrenthaven_blocked_by_prowlarr_until")
        == "unknown"
    )
    # Disabled in Prowlarr: not tested, switch off.
    assert state_of(hass, "switch.prowlarr_oldtracker_enabled") == STATE_OFF
    await hass.config_entries.async_unload(entry.entry_id)


async def test_start_goes_straight_to_the_api_found_before(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """The first start probes /api/v3 before Prowlarr's /api/v1 (a 404 in
    Prowlarr's log); the entry keeps where the app was found, so the next
    start asks there first and leaves no 404 behind."""
    prowlarr = arr_simulator.instance("prowlarr")
    (entry,) = await setup_entries(hass, (prowlarr,))
    assert entry.data["api_version"] == "v1"
    assert any(r.path.startswith("/api/v3/") for r in prowlarr.requests)
    prowlarr.clear_requests()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert prowlarr.requests
    assert not any(r.path.startswith("/api/v3/") for r in prowlarr.requests)
