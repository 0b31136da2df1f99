"""Cost benchmark: a simulated day of the demo stack, at the default options.

Not a unit test: it prints figures (``scripts/bench cost``). The demo stack of the
simulator (Prowlarr, Radarr and Sonarr with Full Sync, Radarr 4K with Add and
Remove Only) runs for 24 simulated hours in 5-minute steps: a health check every
30 minutes, a heal run every 2 hours, the health watch every 5 minutes, and the
apps' own RSS syncs as the real traffic (Sonarr every 15 minutes, Radarr at :45
and Radarr 4K at :15 each hour). UsenetPrime's query limit (100 a day) runs out
in the afternoon: the apps' RSS syncs use more than that. Push is on for every
instance but Sonarr, to compare. At 12:35 Radarr's GeekNZB and Sonarr's TipsySlug
start refusing their API keys; each app finds out at its next RSS sync.

Printed: the site queries our tests cause per logical indexer (goal: at most 48
a day, and none extra for synced copies), Prowlarr history rows caused by us
(goal 0), checks that real traffic answered instead of a test, and how long a
failure the app found takes to show in Home Assistant, with push and without.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
import os

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from benchmarks.demo_stack import set_up_demo_stack
from custom_components.ai_arr_control.const import PUSH_DEBOUNCE
from custom_components.ai_arr_control.evidence import Check
from homeassistant.core import HomeAssistant

START = datetime.fromisoformat("2026-11-28 00:00:00+00:00")
STEP = timedelta(minutes=5)
HOURS = 24
BREAK_AT = START + timedelta(hours=12, minutes=35)
# RSS syncs: (every so many minutes, at this minute offset).
RSS = {"sonarr": (15, 0), "radarr": (60, 45), "radarr4k": (60, 15)}
# (instance, indexer id, its binary sensor): broken at BREAK_AT.
BROKEN = {
    "push": ("radarr", 1, "binary_sensor.radarr_geeknzb_status"),
    "watch": ("sonarr", 2, "binary_sensor.sonarr_tipsyslug_status"),
}


async def settle(hass: HomeAssistant, simulator: ArrSimulator) -> None:
    """Let Home Assistant and the simulator's pushes finish (no real sleeping:
    time is frozen)."""
    for _ in range(5):
        await hass.async_block_till_done(wait_background_tasks=True)
        await simulator.wait_sent()
    await hass.async_block_till_done(wait_background_tasks=True)


async def tick(
    hass: HomeAssistant,
    simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    moment: datetime,
) -> None:
    """Move to ``moment`` and run what is due."""
    freezer.move_to(moment)
    async_fire_time_changed(hass)
    await settle(hass, simulator)


def our_tests(simulator: ArrSimulator) -> Counter[tuple[str, str]]:
    """Our tests by logical indexer: (where it lives, its name); a copy's tests
    count as ("copy", its Prowlarr indexer)."""
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
    simulator = await arr_simulator_factory()
    entries = await set_up_demo_stack(
        hass, simulator, hass_client_no_auth, push_off=("sonarr",)
    )
    await settle(hass, simulator)
    for instance in simulator.instances.values():
        instance.clear_requests()
    prowlarr = simulator.instance("prowlarr")
    history_rows = len(prowlarr.state.history)
    rows_by_rss = 0
    traffic_answers = 0
    checks_run = 0
    found: dict[str, datetime] = {}
    shown: dict[str, datetime] = {}
    processing: list[float] = []
    began = os.times().elapsed
    steps = int(timedelta(hours=HOURS) / STEP)
    for step in range(1, steps + 1):
        now = START + step * STEP
        minute = int((now - START).total_seconds() // 60)
        if now - STEP < BREAK_AT <= now:
            for name, indexer_id, _ in BROKEN.values():
                simulator.instance(name).set_indexer_fault(indexer_id, kind="auth")
        await tick(hass, simulator, freezer, now)
        synced = False
        started = os.times().elapsed
        for name, (every, offset) in RSS.items():
            if minute % every != offset:
                continue
            rows = len(prowlarr.state.history)
            outcomes = simulator.instance(name).rss_sync()
            rows_by_rss += len(prowlarr.state.history) - rows
            synced = True
            for key, (where, indexer_id, _) in BROKEN.items():
                if where == name and outcomes.get(indexer_id) and key not in found:
                    found[key] = now
        await settle(hass, simulator)
        # A check that a push or the health watch asked for waits PUSH_DEBOUNCE
        # for more events.
        await tick(hass, simulator, freezer, now + timedelta(seconds=PUSH_DEBOUNCE))
        if synced and "push" in found and "push" not in shown:
            processing.append(os.times().elapsed - started)
        if minute % 30 == 0:
            # The health checks (scheduled a second after the step).
            await tick(hass, simulator, freezer, now + timedelta(seconds=5))
            checks_run += 1
            for entry in entries.values():
                health = entry.runtime_data.health.data
                traffic_answers += sum(
                    1
                    for h in health.indexers.values()
                    if h.indexer.enabled and h.checked_by is Check.TRAFFIC
                )
        for key, (_, _, entity_id) in BROKEN.items():
            state = hass.states.get(entity_id)
            if key not in shown and state is not None and state.state == "on":
                shown[key] = state.last_changed
    wall = os.times().elapsed - began

    tests = our_tests(simulator)
    per_indexer = {k: v for k, v in tests.items() if k[0] != "copy"}
    copies = sum(v for k, v in tests.items() if k[0] == "copy")
    rows_by_us = len(prowlarr.state.history) - history_rows - rows_by_rss
    enabled = sum(
        1
        for entry in entries.values()
        for h in entry.runtime_data.health.data.indexers.values()
        if h.indexer.enabled
    )
    by_instance = Counter(k[0] for k in tests.elements())
    most = max(per_indexer.items(), key=lambda kv: kv[1])
    print()
    print(
        f"cost scenario: {HOURS} h of the demo stack (4 instances, {enabled} enabled "
        f"indexers at the end), {checks_run} health checks each, default options "
        f"({wall:.1f} s of wall time)"
    )
    print(
        "  site queries by our tests per logical indexer per day: at most "
        f"{most[1]} ({most[0][1]} in {most[0][0]}), median "
        f"{sorted(per_indexer.values())[len(per_indexer) // 2]}  (goal <= 48)"
    )
    prowlarr_tests = {k[1]: v for k, v in per_indexer.items() if k[0] == "prowlarr"}
    print(
        "  of which Prowlarr's indexers (each with its copies in the apps): "
        f"{', '.join(f'{k} {v}' for k, v in sorted(prowlarr_tests.items()))}, none for the "
        "others (a test in Prowlarr and in each app at every check: up to 192 each)"
    )
    print(f"  extra tests of synced copies in the apps:           {copies}  (goal 0)")
    print(
        f"  Prowlarr history rows caused by us:                 {rows_by_us}  (goal 0)"
    )
    print(
        f"  our tests in all: {sum(tests.values())} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_instance.items()))}); "
        f"one test per enabled indexer per check would be {enabled * checks_run}"
    )
    print(f"  checks answered by real traffic instead of a test:  {traffic_answers}")
    for key, label in (
        ("push", "with push (Radarr's GeekNZB)"),
        ("watch", "without push (Sonarr's TipsySlug; the health watch)"),
    ):
        if key in found and key in shown:
            delay = (shown[key] - found[key]).total_seconds()
            print(
                f"  failure found by the app's RSS sync to sensor on, {label}: "
                f"{delay:.0f} s ({(found[key] - BREAK_AT).total_seconds() / 60:.0f} "
                "min after the breakage: the app's RSS interval)"
            )
        else:
            print(
                f"  {label}: not seen (found {found.get(key)}, shown {shown.get(key)})"
            )
    if processing:
        print(
            f"  with push, {PUSH_DEBOUNCE:.0f} s of that is the wait for more events; "
            f"the rest (the push, the test, the state) took {min(processing) * 1000:.0f} ms "
            "of wall time"
        )
    for entry in entries.values():
        await hass.config_entries.async_unload(entry.entry_id)
