"""Healing a whole stack: Prowlarr, its Full Sync and Add-Only apps, causes,
fresh settings and concurrent heal runs, against the Arr simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.arr import Cause
from custom_components.ai_arr_control.const import (
    DOMAIN,
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
    EVENT_INDEXER_FAILED,
)
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from .common import entry_for, next_health_check, setup_entries, state_of, writes

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
]

type AddStack = Callable[..., Awaitable[dict[str, MockConfigEntry]]]


@pytest.fixture
def add_stack(hass: HomeAssistant, arr_simulator: ArrSimulator) -> AddStack:
    """Set up entries for simulated instances, all at once like a start-up."""

    async def add(
        *names: str, keep_faults: bool = False, **options: Any
    ) -> dict[str, MockConfigEntry]:
        if not keep_faults:
            # The default set-up's broken FlakyTracker and Radarr 4K's GeekNZB
            # work here, unless a test says otherwise.
            arr_simulator.instance("prowlarr").clear_indexer_fault(6)
            arr_simulator.instance("radarr4k").clear_indexer_fault(1)
        entries = await setup_entries(
            hass, (arr_simulator.instance(name) for name in names), **options
        )
        return dict(zip(names, entries, strict=True))

    return add


async def checks(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, count: int
) -> None:
    """Let some health checks pass (every fourth brings a heal run)."""
    for _ in range(count):
        await next_health_check(hass, freezer)


def names(events: list[Event[Any]]) -> list[tuple[str, str]]:
    """(instance, indexer) of captured events."""
    return [(e.data["instance"], e.data["indexer"]) for e in events]


ALL = ("prowlarr", "radarr", "radarr4k", "sonarr")


async def test_copy_failing_only_in_one_app_is_reported_not_acted_on(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """TorrentHaven passes in Prowlarr but Sonarr cannot reach it: nothing is
    disabled anywhere, over many heal runs, and one repairs issue says where."""
    entries = await add_stack(*ALL)
    prowlarr, sonarr = (
        arr_simulator.instance("prowlarr"),
        arr_simulator.instance("sonarr"),
    )
    disabled = async_capture_events(hass, EVENT_INDEXER_DISABLED)
    enabled = async_capture_events(hass, EVENT_INDEXER_ENABLED)
    sonarr.set_indexer_fault(5, kind="refused")
    for instance in arr_simulator.instances.values():
        instance.clear_requests()
    for _ in range(12):
        # Sonarr's own RSS sync is what finds it out: its back-off blocks the
        # copy, its health names it, and the copy becomes a suspect to test.
        sonarr.rss_sync()
        await checks(hass, freezer, 1)
    assert writes(prowlarr) == []
    assert writes(sonarr) == []
    assert (disabled, enabled) == ([], [])
    # Tested in Sonarr once to learn why; while Sonarr keeps blocking it, that
    # verdict stands (and counts) without another query through Prowlarr.
    tests_of_copy = [
        r
        for r in sonarr.requests
        if r.path.endswith("/indexer/test") and r.body["id"] == 5
    ]
    assert len(tests_of_copy) == 1
    issue = issue_registry.async_get_issue(
        DOMAIN, f"app_local_{entries['sonarr'].entry_id}_5"
    )
    assert issue is not None
    placeholders = issue.translation_placeholders or {}
    assert (
        placeholders["indexer"],
        placeholders["instance"],
        placeholders["cause"],
    ) == (
        "TorrentHaven (Prowlarr)",
        "Sonarr",
        "upstream",
    )
    assert placeholders["prowlarr"] == "Prowlarr"
    state = hass.states.get("binary_sensor.sonarr_torrenthaven_prowlarr_status")
    assert state is not None
    assert (state.state, state.attributes["cause"]) == ("on", "upstream")
    # Fixed: the user tests it in Sonarr (which lifts its back-off) and Sonarr's
    # next RSS sync uses it again; that real query passes it at the next check
    # (the back-off running out alone would not), and the issue goes.
    sonarr.clear_indexer_fault(5)
    assert await sonarr.run_test(sonarr.indexers[5]) is None
    await checks(hass, freezer, 1)
    assert issue_registry.async_get_issue(
        DOMAIN, f"app_local_{entries['sonarr'].entry_id}_5"
    )
    freezer.tick(timedelta(seconds=5))
    sonarr.rss_sync()
    await checks(hass, freezer, 1)
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"app_local_{entries['sonarr'].entry_id}_5"
        )
        is None
    )


async def test_broken_in_prowlarr_is_disabled_once_at_the_source(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """TorrentLeech breaks: Prowlarr disables it once (Full Sync takes its
    copies off in Radarr and Sonarr); the Add-Only Radarr 4K, which Prowlarr no
    longer updates, takes its own copy off. On recovery each is put back once."""
    entries = await add_stack(*ALL)
    prowlarr = arr_simulator.instance("prowlarr")
    radarr, radarr4k = (
        arr_simulator.instance("radarr"),
        arr_simulator.instance("radarr4k"),
    )
    sonarr = arr_simulator.instance("sonarr")
    disabled = async_capture_events(hass, EVENT_INDEXER_DISABLED)
    enabled = async_capture_events(hass, EVENT_INDEXER_ENABLED)
    prowlarr.set_indexer_fault(8, kind="auth")
    for instance in arr_simulator.instances.values():
        instance.clear_requests()
    await checks(hass, freezer, 8)
    assert writes(prowlarr) == [("/api/v1/indexer/bulk", {"ids": [8], "enable": False})]
    assert writes(radarr) == writes(sonarr) == []
    assert radarr.indexers[11]["enableRss"] is False
    assert sonarr.indexers[10]["enableRss"] is False
    assert [path for path, _ in writes(radarr4k)] == ["/radarr4k/api/v3/indexer/bulk"]
    assert radarr4k.indexers[9]["enableRss"] is False
    assert sorted(names(disabled)) == [
        ("Prowlarr", "TorrentLeech"),
        ("Radarr 4K", "TorrentLeech (Prowlarr)"),
    ]
    auth = issue_registry.async_get_issue(
        DOMAIN, f"auth_{entries['prowlarr'].entry_id}_8"
    )
    assert auth is not None
    # The copies fail because their source does: no app issue says otherwise.
    assert not [
        issue_id
        for (domain, issue_id) in issue_registry.issues
        if domain == DOMAIN
        and issue_id.startswith(("app_local_", "config_"))
        and not issue_id.endswith(f"{entries['sonarr'].entry_id}_3")
    ]

    prowlarr.clear_indexer_fault(8)
    await checks(hass, freezer, 8)
    assert sorted(names(enabled)) == [
        ("Prowlarr", "TorrentLeech"),
        ("Radarr 4K", "TorrentLeech (Prowlarr)"),
    ]
    assert len(disabled) == 2
    for instance, copy_id in ((radarr, 11), (sonarr, 10), (radarr4k, 9)):
        assert instance.indexers[copy_id]["enableRss"] is True
    assert prowlarr.indexers[8]["enable"] is True
    assert (
        issue_registry.async_get_issue(DOMAIN, f"auth_{entries['prowlarr'].entry_id}_8")
        is None
    )


async def test_concurrent_heal_runs_never_lose_the_flags_to_restore(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every "Heal now" pressed at once, with an indexer failing in Prowlarr and
    in its copies: its flags to restore are its real ones, and it comes back
    (regression: the record was overwritten with the already-disabled flags)."""
    entries = await add_stack(*ALL)
    prowlarr = arr_simulator.instance("prowlarr")
    prowlarr.set_indexer_fault(8, kind="auth")
    await checks(hass, freezer, 2)
    await asyncio.gather(
        *(e.runtime_data.heal.async_heal_now(dry_run=False) for e in entries.values()),
        *(e.runtime_data.heal.async_heal_now(dry_run=False) for e in entries.values()),
    )
    ledger = entries["prowlarr"].runtime_data.ledger
    assert ledger.owned[8].flags == {"enable": True}
    assert [p for p, _ in writes(prowlarr) if p.endswith("bulk")] == [
        "/api/v1/indexer/bulk"
    ]
    prowlarr.clear_indexer_fault(8)
    await checks(hass, freezer, 1)
    await asyncio.gather(
        *(e.runtime_data.heal.async_heal_now(dry_run=False) for e in entries.values())
    )
    assert prowlarr.indexers[8]["enable"] is True
    assert 8 not in ledger.owned


async def test_one_write_path_serialises_writers(
    hass: HomeAssistant, arr_simulator: ArrSimulator, add_stack: AddStack
) -> None:
    """Two disables of one indexer at once: one write, the real flags kept, and
    an indexer already off is never owned with off flags."""
    entries = await add_stack("radarr")
    control = entries["radarr"].runtime_data.control
    radarr = arr_simulator.instance("radarr")
    radarr.clear_requests()
    done = await asyncio.gather(
        control.async_disable(3, reason="x", cause=None),
        control.async_disable(3, reason="y", cause=None),
    )
    assert sorted(done) == [False, True]
    assert len(writes(radarr)) == 1
    assert entries["radarr"].runtime_data.ledger.owned[3].flags == {
        "enableRss": True,
        "enableAutomaticSearch": True,
        "enableInteractiveSearch": False,
    }
    # Already off (the user's RetiredNZB): not owned, not written.
    assert await control.async_disable(5, reason="x", cause=None) is False
    assert 5 not in entries["radarr"].runtime_data.ledger.owned


async def test_heal_tests_the_settings_the_user_just_fixed(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Radarr 4K's GeekNZB points at a dead domain and is disabled; the user
    fixes its URL in Radarr 4K; the next heal run tests the fixed settings (read
    afresh), puts it back, and the app's back-off goes down, not up."""
    entries = await add_stack("radarr4k", keep_faults=True)
    radarr4k = arr_simulator.instance("radarr4k")
    await checks(hass, freezer, 4)
    assert radarr4k.indexers[1]["enableRss"] is False
    level = radarr4k.status(1).escalation_level
    # The user edits the indexer in Radarr 4K (its UI saves the whole resource).
    for item in radarr4k.indexers[1]["fields"]:
        if item["name"] == "baseUrl":
            item["value"] = "https://api.geeknzb.example-nzb.test"
    run = await entries["radarr4k"].runtime_data.heal.async_heal_now()
    assert [(d.name, str(d.action)) for d in run.plan.decisions] == [
        ("GeekNZB", "enable")
    ]
    assert radarr4k.indexers[1]["enableAutomaticSearch"] is True
    assert radarr4k.status(1).escalation_level == level - 1
    tested = [r.body for r in radarr4k.requests if r.path.endswith("/indexer/test")]
    assert {f["name"]: f.get("value") for f in tested[-1]["fields"]}["baseUrl"] == (
        "https://api.geeknzb.example-nzb.test"
    )


async def test_a_fix_before_the_heal_run_saves_the_indexer(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Failing twice, then fixed before the heal run: the run's fresh test
    passes, and it is not disabled."""
    entries = await add_stack("radarr4k", keep_faults=True)
    radarr4k = arr_simulator.instance("radarr4k")
    await checks(hass, freezer, 1)
    for item in radarr4k.indexers[1]["fields"]:
        if item["name"] == "baseUrl":
            item["value"] = "https://api.geeknzb.example-nzb.test"
    run = await entries["radarr4k"].runtime_data.heal.async_heal_now()
    assert run.plan.decisions == ()
    assert radarr4k.indexers[1]["enableRss"] is True
    assert state_of(hass, "binary_sensor.radarr_4k_geeknzb_status") == "off"


async def test_causes_with_their_policies(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A deleted download client (a setting to fix), Jackett's "all" endpoint (a
    warning, so a pass) and a quota are never disabled; the quota is not tested
    again for a while; the setting to fix is named in a repairs issue."""
    entries = await add_stack("radarr", "sonarr")
    radarr, sonarr = arr_simulator.instance("radarr"), arr_simulator.instance("sonarr")
    radarr.set_indexer_fault(1, kind="quota")
    await checks(hass, freezer, 1)
    radarr.clear_requests()
    sonarr.clear_requests()
    await checks(hass, freezer, 7)
    assert writes(radarr) == writes(sonarr) == []
    quota = hass.states.get("binary_sensor.radarr_geeknzb_status")
    assert quota is not None
    assert (quota.state, quota.attributes["cause"]) == ("on", "quota")
    tested = [r.body["id"] for r in radarr.requests if r.path.endswith("/indexer/test")]
    # Paused 1 h, then 2 h: 2 tests in the 3.5 h instead of 7.
    assert tested.count(1) == 2
    jackett = hass.states.get("binary_sensor.radarr_cinematorrents_status")
    assert jackett is not None
    assert (jackett.state, jackett.attributes["cause"]) == ("off", None)
    assert "Jackett's all endpoint" in jackett.attributes["warning"]
    config = hass.states.get("binary_sensor.sonarr_anitorrenthub_status")
    assert config is not None
    assert (config.state, config.attributes["cause"]) == ("on", "config")
    issue = issue_registry.async_get_issue(
        DOMAIN, f"config_{entries['sonarr'].entry_id}_3"
    )
    assert issue is not None
    assert (issue.translation_placeholders or {})["setting"] == "Download Client"
    assert sonarr.status(3).escalation_level == 0


async def test_switch_of_a_full_sync_copy_refuses(
    hass: HomeAssistant, arr_simulator: ArrSimulator, add_stack: AddStack
) -> None:
    """Full Sync would undo it: the switch says to use the Prowlarr indexer's.
    An Add-Only copy's switch works in the app, where the change lasts."""
    await add_stack("prowlarr", "radarr", "radarr4k")
    radarr, radarr4k = (
        arr_simulator.instance("radarr"),
        arr_simulator.instance("radarr4k"),
    )
    radarr.clear_requests()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: "switch.radarr_torrenthaven_prowlarr_enabled"},
            blocking=True,
        )
    assert err.value.translation_key == "switch_full_sync"
    assert (err.value.translation_placeholders or {})["prowlarr_indexer"] == (
        "TorrentHaven"
    )
    assert writes(radarr) == []
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: "switch.radarr_4k_torrenthaven_prowlarr_enabled"},
        blocking=True,
    )
    assert radarr4k.indexers[4]["enableRss"] is False
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: "switch.radarr_4k_torrenthaven_prowlarr_enabled"},
        blocking=True,
    )
    assert radarr4k.indexers[4]["enableRss"] is True


async def test_switch_of_a_copy_without_its_prowlarr_refuses(
    hass: HomeAssistant, arr_simulator: ArrSimulator, add_stack: AddStack
) -> None:
    """Without its Prowlarr the sync level is unknown: change it in Prowlarr."""
    await add_stack("radarr")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN,
            SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: "switch.radarr_torrenthaven_prowlarr_enabled"},
            blocking=True,
        )
    assert err.value.translation_key == "switch_unknown_source"


async def test_tracker_secrets_stay_out_of_states_and_events(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A failure message with the tracker's key in its URL (HttpException shows
    it) reaches no attribute, event or logbook line with the key in it."""
    await add_stack("prowlarr")
    prowlarr = arr_simulator.instance("prowlarr")
    events = async_capture_events(hass, EVENT_INDEXER_FAILED)
    prowlarr.set_indexer_fault(7, kind="server_error")
    await checks(hass, freezer, 1)
    state = hass.states.get("binary_sensor.prowlarr_aither_status")
    assert state is not None
    message = state.attributes["failure_message"]
    assert "AITHER-SECRET" not in message
    assert "**REDACTED**" in message
    assert [e.data["cause"] for e in events] == ["site_error"]
    assert "AITHER-SECRET" not in str(events[0].data)


async def test_a_hold_on_a_full_sync_copy_is_never_dropped_by_a_sync(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Full Sync turns a copy back on; that is Prowlarr, not the user handing it
    back, so the hold stays (a held indexer the user turns on in the app itself
    is handed back)."""
    entries = await add_stack("prowlarr", "radarr")
    ledger = entries["radarr"].runtime_data.ledger
    ledger.hold(6)
    ledger.hold(2)
    await entries["radarr"].runtime_data.heal.async_heal_now()
    assert ledger.holds == frozenset({6})


async def test_a_ledger_that_lost_its_flags_still_puts_the_indexer_back(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    hass_storage: dict[str, Any],
) -> None:
    """A ledger written by the old concurrent heal runs kept all-off flags for a
    Prowlarr indexer; once it passes, it comes back on all the same."""
    prowlarr = arr_simulator.instance("prowlarr")
    prowlarr.clear_indexer_fault(6)
    prowlarr.indexers[6]["enable"] = False
    entry = entry_for(prowlarr)
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "owned": {
                "6": {"name": "FlakyTracker", "flags": {"enable": False}, "reason": "x"}
            }
        },
    }
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    run = await entry.runtime_data.heal.async_heal_now()
    assert [(d.name, str(d.action)) for d in run.plan.decisions] == [
        ("FlakyTracker", "enable")
    ]
    assert prowlarr.indexers[6]["enable"] is True


async def test_copies_follow_a_prowlarr_switch_within_seconds(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Turning FilmVault off in Prowlarr: Full Sync turns Radarr's copy off, and
    Radarr's switch shows it within seconds, without a health check or a test."""
    await add_stack("prowlarr", "radarr")
    # The checks asked for at start-up (copies taking Prowlarr's verdicts).
    freezer.tick(timedelta(seconds=3))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    radarr = arr_simulator.instance("radarr")
    radarr.clear_requests()
    copy = "switch.radarr_filmvault_prowlarr_enabled"
    assert state_of(hass, copy) == "on"
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": "switch.prowlarr_filmvault_enabled"},
        blocking=True,
    )
    freezer.tick(timedelta(seconds=3))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, copy) == "off"
    assert not [r for r in radarr.requests if r.path.endswith("/indexer/test")]


async def test_copy_of_an_auto_disabled_indexer_says_so(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Auto-heal disables FlakyTracker in Prowlarr; Full Sync turns Radarr's
    copy off. The copy's State says auto-heal did it (not the user), and its
    Status stays on: it does not work."""
    await add_stack("prowlarr", "radarr", keep_faults=True)
    await checks(hass, freezer, 4)
    freezer.tick(timedelta(seconds=3))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, "sensor.prowlarr_flakytracker_state") == "auto_disabled"
    assert state_of(hass, "sensor.radarr_flakytracker_prowlarr_state") == (
        "auto_disabled"
    )
    assert state_of(hass, "binary_sensor.radarr_flakytracker_prowlarr_status") == "on"


def copy_issues(issue_registry: ir.IssueRegistry, entry: MockConfigEntry) -> list[str]:
    """The repairs issues about Sonarr's copy of EpisodeFeed (id 6)."""
    return sorted(
        issue_id
        for (domain, issue_id) in issue_registry.issues
        if domain == DOMAIN and issue_id.endswith(f"_{entry.entry_id}_6")
    )


async def blocked_episodefeed_copy_tested(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    entries: dict[str, MockConfigEntry],
    freezer: FrozenDateTimeFactory,
    *,
    flaky_at_test: bool = True,
) -> None:
    """EpisodeFeed is flaky in Prowlarr (every 2nd use of the site fails):
    Sonarr's second RSS sync fails and Sonarr blocks its copy; Prowlarr's own
    test passes, so the copy is tested in Sonarr (meeting the flaky site, or
    with ``flaky_at_test`` off a site that works by then), then checked again
    while Sonarr still blocks it. Prowlarr checks first, then Sonarr, as after
    news."""
    prowlarr, sonarr = (
        arr_simulator.instance("prowlarr"),
        arr_simulator.instance("sonarr"),
    )
    # After set-up: the copies took Prowlarr's verdict.
    await checks(hass, freezer, 1)
    prowlarr.set_indexer_fault(2, kind="cloudflare", every=2)
    prowlarr.state.fault_uses.pop(2, None)
    freezer.tick(timedelta(seconds=5))
    assert sonarr.rss_sync()[6] is None
    freezer.tick(timedelta(seconds=5))
    assert sonarr.rss_sync()[6] is not None
    if not flaky_at_test:
        prowlarr.clear_indexer_fault(2)
    freezer.tick(timedelta(seconds=5))
    sonarr.clear_requests()
    await entries["prowlarr"].runtime_data.health.async_refresh()
    assert entries["prowlarr"].runtime_data.health.data.indexers[2].passed is True
    freezer.tick(timedelta(seconds=5))
    for _ in range(2):
        await entries["sonarr"].runtime_data.health.async_refresh()
    await hass.async_block_till_done()
    tests_of_copy = [
        r
        for r in sonarr.requests
        if r.path.endswith("/indexer/test") and r.body["id"] == 6
    ]
    assert len(tests_of_copy) == 1


async def test_flaky_site_through_prowlarr_is_not_a_setting_to_fix(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The copy's test meets the flaky site: Sonarr says "no results in the
    configured categories", but Prowlarr's history shows Sonarr's query failed
    there. The site failed, not a setting: no config cause, no repairs issue
    in Sonarr, and the copy is not touched."""
    entries = await add_stack("prowlarr", "sonarr")
    await blocked_episodefeed_copy_tested(hass, arr_simulator, entries, freezer)
    health = entries["sonarr"].runtime_data.health.data.indexers[6]
    assert (health.passed, health.cause, health.at_source) == (
        False,
        Cause.SITE_ERROR,
        True,
    )
    assert health.consecutive_failures == 2
    assert health.strikes == 0
    assert (health.message or "").startswith(
        "Prowlarr: the site failed this query (Query successful, but no results"
    )
    state = hass.states.get("binary_sensor.sonarr_episodefeed_prowlarr_status")
    assert state is not None
    assert (state.state, state.attributes["cause"]) == ("on", "site_error")
    assert copy_issues(issue_registry, entries["sonarr"]) == []
    # Heal runs leave the copy alone (and test nothing more in Sonarr).
    sonarr = arr_simulator.instance("sonarr")
    await checks(hass, freezer, 4)
    assert writes(sonarr) == []
    assert copy_issues(issue_registry, entries["sonarr"]) == []


async def test_categories_prowlarr_does_not_serve_are_a_setting_to_fix(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    add_stack: AddStack,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The counter-case: the copy asks for categories EpisodeFeed does not
    serve. Prowlarr records Sonarr's query as successful (no results): that is
    a setting to fix, and a repairs issue says so."""
    entries = await add_stack("prowlarr", "sonarr")
    sonarr = arr_simulator.instance("sonarr")
    for field in sonarr.indexers[6]["fields"]:
        if field["name"] == "categories":
            field["value"] = [5070]
    await blocked_episodefeed_copy_tested(
        hass, arr_simulator, entries, freezer, flaky_at_test=False
    )
    health = entries["sonarr"].runtime_data.health.data.indexers[6]
    assert (health.passed, health.cause, health.setting, health.at_source) == (
        False,
        Cause.CONFIG,
        "Categories",
        False,
    )
    assert copy_issues(issue_registry, entries["sonarr"]) == [
        f"config_{entries['sonarr'].entry_id}_6"
    ]
