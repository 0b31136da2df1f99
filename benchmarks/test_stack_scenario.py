"""Scenario benchmark: a 48-hour trace over a whole stack, through the real coordinators.

Not a unit test: it prints figures (``scripts/bench heal``). A Prowlarr syncs into
a Full Sync Radarr, a Full Sync Sonarr and an Add-Only Radarr 4K; all four are
configured, with the default options (health check every 30 min, heal run every
2 h, 2 failures, 50 % outage threshold), so their heal runs coincide. The trace:

- Healthy*: always pass;
- Flappy*: single failed checks now and then (in Prowlarr and in Radarr);
- Quota*: Radarr's QuotaNZB hits its site's request limit for 10 hours;
- Config*: Radarr's ConfigNZB names a deleted download client, the whole time;
- Local: passes in Prowlarr, but Sonarr cannot reach it for 10 hours;
- Broken: broken in Prowlarr (credentials refused) for 6 hours, then fixed;
- an outage of Radarr's network (29:15-30:15): all of its indexers fail.

What must never happen is counted: wrong disables (anything but Broken in
Prowlarr and its Add-Only copy, which Prowlarr no longer updates), flip-flops
(disabled, re-enabled, disabled again within one breakage), lost flags (an
indexer that does not end with exactly the flags it started with) and disables
during the outage.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.const import (
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from tests.common import entry_for

START = "2026-11-28 00:00:00+00:00"
CHECK = timedelta(minutes=30)
HOURS = 48
BROKEN = (10.0, 16.0)
QUOTA = (5.0, 15.0)
LOCAL = (20.0, 30.0)
OUTAGE = (29.25, 30.25)
FLAPPY_PROWLARR = {3.5, 9.0, 22.0, 41.0}
FLAPPY_RADARR = {7.5, 19.0, 33.5}

CONFIG = """
[[instance]]
name = "prowlarr"
app = "Prowlarr"
api_key = "0000000000000000000000000000000a"

[[instance.indexer]]
name = "HealthyTracker"
categories = [2000, 5000]
fields = { username = "u", password = "p" }

[[instance.indexer]]
name = "HealthyNZB"
implementation = "Newznab"
categories = [2000, 5000]
fields = { baseUrl = "https://healthy.example-nzb.test", apiKey = "k" }

[[instance.indexer]]
name = "Broken"
categories = [2000, 5000]
fields = { username = "u", password = "p" }

[[instance.indexer]]
name = "Local"
categories = [2000, 5000]
fields = { username = "u", password = "p" }

[[instance.indexer]]
name = "FlappyTracker"
categories = [2000, 5000]
fields = { username = "u", password = "p" }

[[instance]]
name = "radarr"
app = "Radarr"
api_key = "0000000000000000000000000000000b"
prowlarr = "prowlarr"

[[instance.indexer]]
name = "HealthyRadarr"
implementation = "Newznab"
enable_interactive_search = false
fields = { baseUrl = "https://one.example-nzb.test", apiKey = "k" }

[[instance.indexer]]
name = "QuotaNZB"
implementation = "Newznab"
fields = { baseUrl = "https://quota.example-nzb.test", apiKey = "k" }

[[instance.indexer]]
name = "FlappyNZB"
implementation = "Newznab"
fields = { baseUrl = "https://flappy.example-nzb.test", apiKey = "k" }

[[instance.indexer]]
name = "ConfigNZB"
implementation = "Newznab"
download_client_id = 9
fields = { baseUrl = "https://config.example-nzb.test", apiKey = "k" }

[[instance]]
name = "radarr4k"
app = "Radarr"
instance_name = "Radarr 4K"
api_key = "0000000000000000000000000000000c"
prowlarr = "prowlarr"
sync_level = "addOnly"

[[instance.indexer]]
name = "Healthy4K"
implementation = "Newznab"
enable_automatic_search = false
enable_interactive_search = false
fields = { baseUrl = "https://uhd.example-nzb.test", apiKey = "k" }

[[instance]]
name = "sonarr"
app = "Sonarr"
api_key = "0000000000000000000000000000000d"
prowlarr = "prowlarr"

[[instance.indexer]]
name = "HealthySonarr"
implementation = "Newznab"
fields = { baseUrl = "https://tv.example-nzb.test", apiKey = "k" }
"""


def within(hour: float, window: tuple[float, float]) -> bool:
    """Whether an hour of the trace falls in a window."""
    return window[0] <= hour < window[1]


def apply_faults(simulator: ArrSimulator, hour: float) -> None:
    """Set every fault the trace has at this hour."""
    prowlarr = simulator.instance("prowlarr")
    radarr = simulator.instance("radarr")
    sonarr = simulator.instance("sonarr")
    ids = {r["name"]: i for i, r in prowlarr.indexers.items()}
    own = {r["name"]: i for i, r in radarr.indexers.items()}
    sonarr_ids = {r["name"]: i for i, r in sonarr.indexers.items()}

    def fault(instance: Any, indexer_id: int, kind: str | None) -> None:
        if kind is None:
            instance.clear_indexer_fault(indexer_id)
        else:
            instance.set_indexer_fault(indexer_id, kind=kind)

    fault(prowlarr, ids["Broken"], "auth" if within(hour, BROKEN) else None)
    fault(
        prowlarr, ids["FlappyTracker"], "timeout" if hour in FLAPPY_PROWLARR else None
    )
    fault(radarr, own["FlappyNZB"], "server_error" if hour in FLAPPY_RADARR else None)
    fault(radarr, own["QuotaNZB"], "quota" if within(hour, QUOTA) else None)
    fault(
        sonarr,
        sonarr_ids["Local (Prowlarr)"],
        "refused" if within(hour, LOCAL) else None,
    )
    # Radarr's own network: its sites and its Prowlarr both out of reach.
    for name, indexer_id in own.items():
        if within(hour, OUTAGE):
            fault(radarr, indexer_id, "refused" if "(Prowlarr)" in name else "dns")
        elif name not in ("FlappyNZB", "QuotaNZB"):
            fault(radarr, indexer_id, None)


def flags(simulator: ArrSimulator) -> dict[tuple[str, str], tuple[bool, ...]]:
    """Every indexer's enable flags, by (instance, indexer)."""
    keys = ("enable", "enableRss", "enableAutomaticSearch", "enableInteractiveSearch")
    return {
        (instance.config.instance_name, resource["name"]): tuple(
            bool(resource[k]) for k in keys if k in resource
        )
        for instance in simulator.instances.values()
        for resource in instance.indexers.values()
    }


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.freeze_time(START)
async def test_stack_scenario(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Replay the trace over the stack and print what auto-heal did."""
    simulator = await arr_simulator_factory(CONFIG)
    entries: dict[str, MockConfigEntry] = {}
    for name in ("prowlarr", "radarr", "radarr4k", "sonarr"):
        entries[name] = entry_for(simulator.instance(name))
        entries[name].add_to_hass(hass)
    disabled: list[Event[Any]] = async_capture_events(hass, EVENT_INDEXER_DISABLED)
    enabled: list[Event[Any]] = async_capture_events(hass, EVENT_INDEXER_ENABLED)
    start = datetime.fromisoformat(START)
    before = flags(simulator)
    apply_faults(simulator, 0.0)
    for entry in entries.values():
        # Setting up the first sets up every entry of the integration.
        if entry.state is ConfigEntryState.NOT_LOADED:
            await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    lost_in_ledger = 0
    outage_runs: set[float] = set()
    checks = int(HOURS / (CHECK.total_seconds() / 3600))
    for step in range(1, checks + 1):
        hour = step * CHECK.total_seconds() / 3600
        freezer.move_to(start + step * CHECK - timedelta(seconds=1))
        apply_faults(simulator, hour)
        freezer.move_to(start + step * CHECK + timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        for entry in entries.values():
            runtime = entry.runtime_data
            lost_in_ledger += sum(
                1
                for owned in runtime.ledger.owned.values()
                if not any(owned.flags.values())
            )
            run = runtime.heal.data
            if run is not None and run.plan.outage:
                outage_runs.add(round((run.at - start).total_seconds() / 3600, 2))

    def hour_of(event: Event[Any]) -> float:
        return (event.time_fired - start).total_seconds() / 3600

    def category(name: str) -> str:
        for prefix in ("Healthy", "Flappy", "Quota", "Config", "Local", "Broken"):
            if name.startswith(prefix):
                return prefix.lower()
        return "other"

    legit = {("Prowlarr", "Broken"), ("Radarr 4K", "Broken (Prowlarr)")}
    slack = CHECK.total_seconds() / 3600
    timeline = sorted(
        [
            (
                hour_of(e),
                "disabled",
                e.data["instance"],
                e.data["indexer"],
                e.data["cause"],
            )
            for e in disabled
        ]
        + [
            (
                hour_of(e),
                "enabled",
                e.data["instance"],
                e.data["indexer"],
                e.data["cause"],
            )
            for e in enabled
        ]
    )
    wrong = Counter(
        category(name)
        for _, what, instance, name, _ in timeline
        if what == "disabled" and (instance, name) not in legit
    )
    late = [
        t
        for t in timeline
        if t[1] == "disabled"
        and (t[2], t[3]) in legit
        and not BROKEN[0] <= t[0] <= BROKEN[1] + slack
    ]
    flip_flops = 0
    for key in {(t[2], t[3]) for t in timeline}:
        sequence = [t[1] for t in timeline if (t[2], t[3]) == key]
        flip_flops += sum(
            1
            for i in range(len(sequence) - 2)
            if sequence[i : i + 3] == ["disabled", "enabled", "disabled"]
        )
    during_outage = [
        t
        for t in timeline
        if t[1] == "disabled" and OUTAGE[0] <= t[0] <= OUTAGE[1] + slack
    ]
    after = flags(simulator)
    lost_flags = sorted(key for key in before if after.get(key) != before[key])
    disables = Counter((t[2], t[3]) for t in timeline if t[1] == "disabled")
    enables = Counter((t[2], t[3]) for t in timeline if t[1] == "enabled")

    print()
    print(
        f"stack scenario: {HOURS} h, Prowlarr (5 indexers) syncing into Radarr and "
        "Sonarr (Full Sync) and Radarr 4K (Add-Only); 4 entries, "
        f"{sum(len(i.indexers) for i in simulator.instances.values())} indexers, "
        f"{checks} health checks each, heal runs every 2 h (coinciding)"
    )
    for hour, what, instance, name, cause in timeline:
        print(f"  {hour:6.2f} h  {what:8} {instance:9} {name:20} ({cause})")
    print(
        f"  heal runs held back for an outage: {', '.join(f'{h:.2f} h' for h in sorted(outage_runs)) or 'none'}"
    )
    for kind in ("healthy", "flappy", "quota", "config", "local"):
        print(f"  wrong disables, {kind + ':':9}         {wrong.get(kind, 0)}")
    print(f"  wrong disables, other:            {wrong.get('other', 0) + len(late)}")
    print(f"  flip-flops:                       {flip_flops}")
    print(f"  lost flags:                       {len(lost_flags) + lost_in_ledger}")
    print(f"  disables during the outage:       {len(during_outage)}")
    print(
        "  Broken: disabled "
        + ", ".join(f"{disables[k]}x in {k[0]}" for k in sorted(legit))
        + "; re-enabled "
        + ", ".join(f"{enables[k]}x in {k[0]}" for k in sorted(legit))
    )
    if lost_flags:
        print(f"  (ended with other flags: {lost_flags})")
    for entry in entries.values():
        await hass.config_entries.async_unload(entry.entry_id)
