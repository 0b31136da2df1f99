"""Scenario benchmark: a 48-hour trace replayed through the real coordinators.

Not a unit test: it asserts nothing about the figures, it prints them. Run it with
``scripts/bench``. One simulated Radarr with eight indexers; the health check runs
every 30 minutes and the heal run every 2 hours, with the default options (2
failures, 50 % outage threshold). The trace:

- Flappy fails single checks now and then; Jittery fails two checks in a row, and
  is fine again by the next heal run;
- Broken is broken for 3 hours (10:00-13:00), then recovers;
- a 1-hour network outage (29:15-30:15, across the 30:00 heal run) makes every
  indexer fail;
- everything else passes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.const import (
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
)
from homeassistant.core import Event, HomeAssistant
from tests.common import entry_for

START = "2026-11-28 00:00:00+00:00"
CHECK = timedelta(minutes=30)
HOURS = 48
NAMES = [
    "Broken",
    "Flappy",
    "Jittery",
    "Steady1",
    "Steady2",
    "Steady3",
    "Steady4",
    "Steady5",
]
BREAKAGE = (10.0, 13.0)
OUTAGE = (29.25, 30.25)
FLAPPY_FAILS = {3.5, 9.0, 15.5, 22.0, 33.5, 41.0}
# Two checks in a row, over by the next heal run.
JITTERY_FAILS = {19.0, 19.5}

CONFIG = "\n".join(
    [
        """
[[instance]]
name = "radarr"
app = "Radarr"
api_key = "00112233445566778899aabbccddeeff"
"""
    ]
    + [
        f"""
[[instance.indexer]]
name = "{name}"
implementation = "Newznab"
fields = {{ baseUrl = "https://{name.lower()}.example-nzb.test", apiKey = "k" }}
"""
        for name in NAMES
    ]
)


def failing_at(hour: float) -> set[str]:
    """The indexers whose tests fail at this hour of the trace."""
    if OUTAGE[0] <= hour < OUTAGE[1]:
        return set(NAMES)
    failing = set()
    if BREAKAGE[0] <= hour < BREAKAGE[1]:
        failing.add("Broken")
    if hour in FLAPPY_FAILS:
        failing.add("Flappy")
    if hour in JITTERY_FAILS:
        failing.add("Jittery")
    return failing


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.freeze_time(START)
async def test_heal_scenario(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Replay the trace and print what auto-heal did."""
    simulator = await arr_simulator_factory(CONFIG)
    radarr = simulator.instance("radarr")
    ids = {
        resource["name"]: indexer_id for indexer_id, resource in radarr.indexers.items()
    }
    entry = entry_for(radarr)
    entry.add_to_hass(hass)
    disabled: list[Event[Any]] = async_capture_events(hass, EVENT_INDEXER_DISABLED)
    enabled: list[Event[Any]] = async_capture_events(hass, EVENT_INDEXER_ENABLED)
    start = datetime.fromisoformat(START)

    def apply_faults(hour: float) -> None:
        failing = failing_at(hour)
        for name, indexer_id in ids.items():
            if name in failing:
                radarr.set_indexer_fault(
                    indexer_id, fail="Unable to connect to indexer"
                )
            else:
                radarr.clear_indexer_fault(indexer_id)

    heal_runs: dict[datetime, bool] = {}
    apply_faults(0.0)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    checks = int(HOURS / (CHECK.total_seconds() / 3600))
    for step in range(1, checks + 1):
        hour = step * CHECK.total_seconds() / 3600
        # Faults change a moment before the check that sees them.
        freezer.move_to(start + step * CHECK - timedelta(seconds=1))
        apply_faults(hour)
        freezer.move_to(start + step * CHECK + timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        run = entry.runtime_data.heal.data
        if run is not None and run.at not in heal_runs:
            heal_runs[run.at] = run.plan.outage

    def hour_of(event: Event[Any]) -> float:
        return (event.time_fired - start).total_seconds() / 3600

    def in_window(hour: float, window: tuple[float, float]) -> bool:
        # A failure is seen at the first check at or after it starts, and a heal
        # run may act one check after it ends.
        return window[0] <= hour <= window[1] + CHECK.total_seconds() / 3600

    timeline = sorted(
        [
            (hour_of(e), "disabled", e.data["indexer"], e.data["reason"])
            for e in disabled
        ]
        + [
            (hour_of(e), "enabled", e.data["indexer"], e.data["reason"])
            for e in enabled
        ]
    )
    wrong = [
        t
        for t in timeline
        if t[1] == "disabled" and not (t[2] == "Broken" and in_window(t[0], BREAKAGE))
    ]
    during_outage = [
        t for t in timeline if t[1] == "disabled" and in_window(t[0], OUTAGE)
    ]
    broken_off = next(
        (t[0] for t in timeline if t[1] == "disabled" and t[2] == "Broken"), None
    )
    broken_on = next(
        (t[0] for t in timeline if t[1] == "enabled" and t[2] == "Broken"), None
    )
    per_hour = 3600 / CHECK.total_seconds()

    print()
    print(
        f"heal scenario: {HOURS} h, {len(NAMES)} indexers, health check every 30 min, heal run every 2 h, {checks} checks"
    )
    for hour, what, name, reason in timeline:
        print(f"  {hour:6.2f} h  {what:8} {name:8} ({reason})")
    outage_runs = [
        f"{(at - start).total_seconds() / 3600:.2f} h"
        for at, outage in heal_runs.items()
        if outage
    ]
    print(
        f"  heal runs: {len(heal_runs)}; held back for an outage: {', '.join(outage_runs) or 'none'}"
    )
    print(f"  wrong disables:                     {len(wrong)}")
    print(f"  disables during the network outage: {len(during_outage)}")
    if broken_off is not None:
        print(
            f"  checks from breakage to disable:    {(broken_off - BREAKAGE[0]) * per_hour:.0f} ({broken_off - BREAKAGE[0]:.2f} h)"
        )
    else:
        print("  checks from breakage to disable:    never disabled")
    if broken_on is not None:
        print(
            f"  checks from recovery to re-enable:  {(broken_on - BREAKAGE[1]) * per_hour:.0f} ({broken_on - BREAKAGE[1]:.2f} h)"
        )
    else:
        print("  checks from recovery to re-enable:  never re-enabled")
    final = {name: radarr.indexers[i]["enableRss"] for name, i in ids.items()}
    print(
        f"  indexers enabled at the end:        {sum(final.values())} of {len(final)}"
    )
    await hass.config_entries.async_unload(entry.entry_id)
