"""Cost benchmark: a simulated day of the demo stack, at the default options.

Not a unit test: it prints figures (``scripts/bench cost``). The demo stack of the
simulator (Prowlarr, Radarr and Sonarr with Full Sync, Radarr 4K with Add and
Remove Only) runs for 24 simulated hours: a health check every 30 minutes, a
heal run every 2 hours, and the apps' own RSS syncs (Sonarr every 15 minutes,
the Radarrs every 60) as the real traffic. Push is on for every instance but
Sonarr, to compare. At 12:05 Radarr's GeekNZB and Sonarr's TipsySlug break.

Printed: the site queries our tests cause per logical indexer (goal: at most 48
a day, and none extra for synced copies), Prowlarr history rows caused by our
tests (goal 0), checks that real traffic answered instead of a test, and how
long a failure takes to show, with push and without.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.const import PUSH_DEBOUNCE
from custom_components.ai_arr_control.evidence import Check
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from tests.common import entry_for

START = "2026-11-28 00:00:00+00:00"
STEP = timedelta(minutes=15)
HOURS = 24
BREAK_AT = timedelta(hours=12, minutes=5)
RSS_EVERY = {"sonarr": 1, "radarr": 4, "radarr4k": 4}  # in 15-minute steps
NAMES = ("prowlarr", "radarr", "radarr4k", "sonarr")


def state(hass: HomeAssistant, entity_id: str) -> str:
    """An entity's state (or "missing")."""
    current = hass.states.get(entity_id)
    return current.state if current else "missing"


async def settle(hass: HomeAssistant, simulator: ArrSimulator) -> None:
    """Let Home Assistant and the simulator's pushes finish (no real sleeping:
    time is frozen)."""
    for _ in range(5):
        await hass.async_block_till_done(wait_background_tasks=True)
        await simulator.wait_sent()
    await hass.async_block_till_done(wait_background_tasks=True)


def our_tests(simulator: ArrSimulator) -> Counter[tuple[str, str]]:
    """Our tests by logical indexer: (where it lives, its name); a copy's tests
    count for its Prowlarr indexer."""
    tests: Counter[tuple[str, str]] = Counter()
    prowlarr = simulator.instance("prowlarr")
    for name, instance in simulator.instances.items():
        for request in instance.requests:
            if request.method != "POST" or not request.path.endswith("/indexer/test"):
                continue
            resource = instance.indexers.get(request.body["id"], request.body)
            source = instance.state.prowlarr_id_of(resource)
            if source is not None:
                tests[("copy", prowlarr.indexers[source]["name"])] += 1
            else:
                tests[(name, str(resource.get("name")))] += 1
    return tests


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.freeze_time(START)
async def test_cost_scenario(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Run the day and print what it cost."""
    for component in ("webhook", "calendar"):
        assert await async_setup_component(hass, component, {})
    client = await hass_client_no_auth()
    await hass.config.async_update(
        internal_url=f"http://127.0.0.1:{client.server.port}"
    )
    simulator = await arr_simulator_factory()
    entries: dict[str, MockConfigEntry] = {}
    for name in NAMES:
        # Default options (push decided by reachability), but Sonarr without push.
        entry = entry_for(simulator.instance(name))
        entry.add_to_hass(hass)
        options = dict(entry.options)
        if name == "sonarr":
            options["push"] = False
        else:
            options.pop("push")
        hass.config_entries.async_update_entry(entry, options=options)
        entries[name] = entry
    for entry in entries.values():
        if entry.state is ConfigEntryState.NOT_LOADED:
            await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, simulator)
    for instance in simulator.instances.values():
        instance.clear_requests()
    start = datetime.fromisoformat(START)
    traffic_answers = 0
    checks_run = 0
    broken: dict[str, Any] = {}
    shown: dict[str, float] = {}
    push_seconds: list[float] = []
    steps = int(timedelta(hours=HOURS) / STEP)
    for step in range(1, steps + 1):
        now = start + step * STEP
        if "at" not in broken and now - STEP < start + BREAK_AT <= now:
            freezer.move_to(start + BREAK_AT)
            simulator.instance("radarr").set_indexer_fault(1, kind="auth")
            simulator.instance("sonarr").set_indexer_fault(2, kind="auth")
            broken["at"] = start + BREAK_AT
        freezer.move_to(now)
        for name, every in RSS_EVERY.items():
            if step % every == 0:
                began = time.perf_counter()
                before = state(hass, "binary_sensor.radarr_geeknzb_status")
                simulator.instance(name).rss_sync()
                await settle(hass, simulator)
                # The pushed check waits PUSH_DEBOUNCE (frozen time: moved on).
                freezer.tick(timedelta(seconds=PUSH_DEBOUNCE))
                async_fire_time_changed(hass)
                await settle(hass, simulator)
                if (
                    name == "radarr"
                    and "at" in broken
                    and before != "on"
                    and state(hass, "binary_sensor.radarr_geeknzb_status") == "on"
                ):
                    push_seconds.append(time.perf_counter() - began + PUSH_DEBOUNCE)
        if step % 2 == 0:
            freezer.move_to(now + timedelta(seconds=1))
            async_fire_time_changed(hass)
            await settle(hass, simulator)
            checks_run += 1
            for entry in entries.values():
                health = entry.runtime_data.health.data
                traffic_answers += sum(
                    1
                    for h in health.indexers.values()
                    if h.indexer.enabled and h.checked_by is Check.TRAFFIC
                )
        for key, entity in (
            ("push", "binary_sensor.radarr_geeknzb_status"),
            ("poll", "binary_sensor.sonarr_tipsyslug_status"),
        ):
            if "at" in broken and key not in shown and state(hass, entity) == "on":
                shown[key] = (now - broken["at"]).total_seconds() / 60

    tests = our_tests(simulator)
    per_indexer = {k: v for k, v in tests.items() if k[0] != "copy"}
    copies = sum(v for k, v in tests.items() if k[0] == "copy")
    enabled = sum(
        1
        for entry in entries.values()
        for h in entry.runtime_data.health.data.indexers.values()
        if h.indexer.enabled
    )
    print()
    print(
        f"cost scenario: {HOURS} h of the demo stack (4 instances, {enabled} enabled "
        f"indexers at the end), {checks_run} health checks each, default options; "
        "apps' RSS syncs: Sonarr every 15 min, Radarrs every 60 min"
    )
    most = max(per_indexer.items(), key=lambda kv: kv[1])
    print(
        f"  site queries by our tests per logical indexer per day: at most "
        f"{most[1]} ({most[0][1]} in {most[0][0]}), "
        f"median {sorted(per_indexer.values())[len(per_indexer) // 2]}  (goal <= 48)"
    )
    print(f"  extra tests of synced copies in the apps:            {copies}  (goal 0)")
    print(f"  Prowlarr history rows caused by our tests:           {copies}  (goal 0)")
    print(
        f"  our tests in all: {sum(tests.values())}; one test per enabled indexer per check would be {enabled * checks_run}"
    )
    print(f"  checks answered by real traffic instead of a test:   {traffic_answers}")
    if push_seconds:
        print(
            f"  failure to sensor on, with push: {min(push_seconds):.1f} s "
            f"({PUSH_DEBOUNCE:.0f} s of it waiting for more events) after the "
            f"app's own RSS sync found it ({shown.get('push', float('nan')):.0f} min "
            "after the breakage: the app's RSS interval)"
        )
    else:
        print("  failure to sensor on, with push: not seen (the app pushed nothing)")
    print(
        f"  failure to sensor on, without push: {shown.get('poll', float('nan')):.0f} "
        "min (the next health check)"
    )
    for entry in entries.values():
        await hass.config_entries.async_unload(entry.entry_id)
