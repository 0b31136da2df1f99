"""Fewer, cheaper tests, against the simulator: copies take Prowlarr's verdict,
real traffic passes an indexer, a query reserve, Tests today, VIP expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from arr_simulator import ArrSimulator, SimulatedInstance
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .common import next_health_check, setup_entries, state_of

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
]


def asked_to_test(instance: SimulatedInstance) -> list[int]:
    """The ids of the indexers an instance was asked to test."""
    return [
        r.body["id"]
        for r in instance.requests
        if r.method == "POST" and r.path.endswith("/indexer/test")
    ]


async def test_copies_of_a_configured_prowlarr_are_not_asked_to_test(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """One site query per logical indexer: Prowlarr tests it, its copies in the
    apps take Prowlarr's verdict, and Prowlarr's history gets no row from us."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr, sonarr = arr_simulator.instance("radarr"), arr_simulator.instance("sonarr")
    await setup_entries(hass, (prowlarr, radarr, sonarr))
    for instance in (prowlarr, radarr, sonarr):
        instance.clear_requests()
    prowlarr.state.history.clear()
    # Three checks: before the first heal run takes FlakyTracker off.
    for _ in range(3):
        await next_health_check(hass, freezer)
    # Radarr's and Sonarr's own enabled indexers only (not CinemaTorrents,
    # which passed with a warning at set-up: see test_warned_indexer_...).
    assert sorted(set(asked_to_test(radarr))) == [1, 2, 3]
    assert sorted(set(asked_to_test(sonarr))) == [1, 2, 3]
    # Prowlarr tests each enabled indexer once a check (none with traffic here).
    assert sorted(asked_to_test(prowlarr)) == sorted([1, 2, 3, 4, 6, 7, 8] * 3)
    assert prowlarr.state.history == []
    flaky = hass.states.get("binary_sensor.radarr_flakytracker_prowlarr_status")
    assert flaky is not None
    assert (flaky.state, flaky.attributes["cause"]) == ("on", "cloudflare")
    assert flaky.attributes["failure_message"].startswith("Prowlarr: Unable to access")
    assert state_of(hass, "binary_sensor.sonarr_torrenthaven_prowlarr_status") == "off"


async def test_real_traffic_stands_in_for_a_test(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A successful real query since the last check passes an indexer without a
    test; a failed one makes it a suspect that is tested."""
    prowlarr = arr_simulator.instance("prowlarr")
    (entry,) = await setup_entries(hass, (prowlarr,))
    await next_health_check(hass, freezer)
    prowlarr.clear_requests()
    freezer.tick(timedelta(seconds=5))
    prowlarr.record_traffic(1, count=3, source="Radarr")
    prowlarr.record_traffic(3, successful=False, source="Sonarr")
    await next_health_check(hass, freezer)
    assert 1 not in asked_to_test(prowlarr)
    assert 3 in asked_to_test(prowlarr)
    health = entry.runtime_data.health.data.indexers
    assert (health[1].passed, health[1].checked_by) == (True, "traffic")
    assert health[3].checked_by == "test"
    # Traffic from before the last check is no evidence for this one.
    prowlarr.clear_requests()
    await next_health_check(hass, freezer)
    assert 1 in asked_to_test(prowlarr)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_query_reserve_and_queries_left(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """UsenetPrime allows 100 queries a day: with 95 used, 5 are left, which is
    within the 10 % reserve, so it is not tested; the sensor says when the
    oldest query leaves the window."""
    prowlarr = arr_simulator.instance("prowlarr")
    freezer.tick(timedelta(hours=-2))
    prowlarr.record_traffic(4, count=95, source="Sonarr")
    freezer.tick(timedelta(hours=2))
    await setup_entries(hass, (prowlarr,))
    await next_health_check(hass, freezer)
    prowlarr.clear_requests()
    await next_health_check(hass, freezer)
    await next_health_check(hass, freezer)
    assert 4 not in asked_to_test(prowlarr)
    left = hass.states.get("sensor.prowlarr_usenetprime_queries_left")
    assert left is not None
    assert left.state == "5"
    assert left.attributes["limit"] == 100
    assert left.attributes["resets_at"] == "2026-11-29T10:00:00+00:00"
    # Without a grab limit there is no Grabs left sensor.
    assert hass.states.get("sensor.prowlarr_usenetprime_grabs_left") is None


async def test_tests_today(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Our own tests, counted per local day."""
    radarr = arr_simulator.instance("radarr")
    radarr.clear_requests()
    (entry,) = await setup_entries(hass, (radarr,))
    await next_health_check(hass, freezer)
    assert state_of(hass, "sensor.radarr_tests_today") == str(
        len(asked_to_test(radarr))
    )
    by_indexer = entry.runtime_data.health.tests_today()
    assert by_indexer[1] == 2
    freezer.move_to("2026-11-29 12:00:00+00:00")
    await next_health_check(hass, freezer)
    assert entry.runtime_data.health.tests_today()[1] == 1


async def test_vip_expiry(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """UsenetPrime's VIP access ends in 10 days: a calendar event, a repairs
    issue 14 days ahead, urgent from 3, and once expired it explains an auth
    failure."""
    prowlarr = arr_simulator.instance("prowlarr")
    for item in prowlarr.indexers[4]["fields"]:
        if item["name"] == "vipExpiration":
            item["value"] = "2026-12-08"
    (entry,) = await setup_entries(hass, (prowlarr,))
    issue_id = f"vip_{entry.entry_id}_4"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert (issue.translation_key, issue.severity) == (
        "vip_expiring",
        ir.IssueSeverity.WARNING,
    )
    assert (issue.translation_placeholders or {})["date"] == "2026-12-08"
    calendar = hass.states.get("calendar.prowlarr_vip_expiry")
    assert calendar is not None
    assert calendar.attributes["message"] == "UsenetPrime"
    assert calendar.attributes["start_time"] == "2026-12-08 00:00:00"
    response: Any = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {
            "entity_id": "calendar.prowlarr_vip_expiry",
            "start_date_time": "2026-12-01 00:00:00",
            "end_date_time": "2026-12-31 00:00:00",
        },
        blocking=True,
        return_response=True,
    )
    assert [
        e["summary"] for e in response["calendar.prowlarr_vip_expiry"]["events"]
    ] == ["UsenetPrime"]
    freezer.move_to("2026-12-06 12:00:00+00:00")
    await next_health_check(hass, freezer)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity == ir.IssueSeverity.ERROR
    freezer.move_to("2026-12-09 12:00:00+00:00")
    prowlarr.set_indexer_fault(4, kind="auth")
    await next_health_check(hass, freezer)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "vip_expired_auth"


def field(instance: SimulatedInstance, indexer_id: int, name: str) -> dict[str, Any]:
    """One of an indexer's settings fields, as stored in the simulated app."""
    return next(f for f in instance.indexers[indexer_id]["fields"] if f["name"] == name)


async def test_indexer_passing_with_a_warning_is_not_tested_every_check(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """CinemaTorrents (Jackett's "all" endpoint) passes its test with a warning,
    which Radarr records as a failure on its back-off: tested again only when
    its settings change or a day later, so our tests do not keep RSS off it."""
    radarr = arr_simulator.instance("radarr")
    await setup_entries(hass, (radarr,))
    state = hass.states.get("binary_sensor.radarr_cinematorrents_status")
    assert state is not None
    assert state.state == "off"
    assert state.attributes["warning"].startswith("Jackett's all endpoint")
    radarr.clear_requests()
    for _ in range(4):
        await next_health_check(hass, freezer)
        # Radarr's own RSS sync uses it; our tests do not block it again.
        assert radarr.rss_sync()[4] is None
    assert 4 not in asked_to_test(radarr)
    assert radarr.status(4).escalation_level == 0
    # Its settings change: tested at the next check.
    field(radarr, 4, "minimumSeeders")["value"] = 10
    await next_health_check(hass, freezer)
    assert asked_to_test(radarr).count(4) == 1
    # A day after that test, once more.
    radarr.clear_requests()
    for _ in range(47):
        await next_health_check(hass, freezer)
    assert asked_to_test(radarr).count(4) == 0
    await next_health_check(hass, freezer)
    assert asked_to_test(radarr).count(4) == 1


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_copy_blocked_by_prowlarrs_query_limit_is_not_tested(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """UsenetPrime's 100 queries a day are used up: Prowlarr answers Radarr's
    RSS sync 429 and Radarr blocks its copy. The copy is not tested (that could
    only be refused too, or spend the reserve): it shows the query limit as its
    cause, a cause that never disables it."""
    prowlarr, radarr = (
        arr_simulator.instance("prowlarr"),
        arr_simulator.instance("radarr"),
    )
    entries = await setup_entries(hass, (prowlarr, radarr))
    await next_health_check(hass, freezer)
    copy = "binary_sensor.radarr_usenetprime_prowlarr_status"
    assert state_of(hass, copy) == "off"
    prowlarr.record_traffic(4, count=100, source="Sonarr")
    freezer.tick(timedelta(seconds=5))
    assert radarr.rss_sync()[8] is not None
    prowlarr.clear_requests()
    radarr.clear_requests()
    for _ in range(4):
        await next_health_check(hass, freezer)
    assert 8 not in asked_to_test(radarr)
    assert 4 not in asked_to_test(prowlarr)
    state = hass.states.get(copy)
    assert state is not None
    assert (state.state, state.attributes["cause"]) == ("on", "quota")
    assert "query limit of 100 reached" in state.attributes["failure_message"]
    assert radarr.indexers[8]["enableRss"]
    assert state_of(hass, "sensor.prowlarr_usenetprime_queries_left") == "0"
    assert entries[1].runtime_data.health.data.indexers[8].checked_by == "limit"


async def test_health_watch_finds_what_the_apps_do_not_push(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Radarr already names TipsySlug as unavailable, so when GeekNZB fails too
    its health message only changes: the apps push nothing for that. Reading
    Radarr's health every 5 minutes finds it, and GeekNZB alone is tested then,
    well before the next health check."""
    radarr = arr_simulator.instance("radarr")
    await setup_entries(hass, (radarr,))
    radarr.set_indexer_fault(2, kind="auth")
    radarr.rss_sync()
    await next_health_check(hass, freezer)
    assert state_of(hass, "binary_sensor.radarr_tipsyslug_status") == "on"
    radarr.clear_requests()
    radarr.set_indexer_fault(1, kind="auth")
    freezer.tick(timedelta(minutes=1))
    radarr.rss_sync()
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == "off"
    for _ in range(2):
        # The watch reads the health; the check it asks for follows in seconds.
        freezer.tick(timedelta(minutes=4, seconds=30))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, "binary_sensor.radarr_geeknzb_status") == "on"
    assert asked_to_test(radarr) == [1]
    # Reading the health is not a test and costs no query.
    assert [r for r in radarr.requests if r.path.endswith("/health")]


def copies_tested(instance: SimulatedInstance) -> list[int]:
    """The ids of the Prowlarr copies an app was asked to test."""
    return [
        i
        for i in asked_to_test(instance)
        if instance.state.prowlarr_id_of(instance.indexers[i]) is not None
    ]


async def test_copies_are_not_tested_from_the_first_check(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """Whether the apps start together with their Prowlarr (a restart) or are
    added one after another (as a user does), no copy is tested in an app, and
    every copy gets Prowlarr's verdict within seconds."""
    prowlarr = arr_simulator.instance("prowlarr")
    radarr, sonarr = arr_simulator.instance("radarr"), arr_simulator.instance("sonarr")
    # Sonarr first, then Prowlarr and Radarr together.
    (sonarr_entry,) = await setup_entries(hass, (sonarr,))
    await setup_entries(hass, (prowlarr, radarr))
    for _ in range(3):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert copies_tested(radarr) == []
    assert state_of(hass, "binary_sensor.radarr_torrenthaven_prowlarr_status") == "off"
    assert state_of(hass, "binary_sensor.radarr_flakytracker_prowlarr_status") == "on"
    # Sonarr started before its Prowlarr was configured: its copies were tested
    # then, as any indexer whose Prowlarr is unknown; they take Prowlarr's
    # verdicts as soon as it is.
    copy = sonarr_entry.runtime_data.health.data.indexers[5]
    assert (copy.indexer.name, copy.checked_by) == ("TorrentHaven (Prowlarr)", "source")
