"""Benchmark: how a health cycle scales with indexers and instances.

Starts the Arr simulator in its own process (so that this process measures only
Home Assistant's side) and sets up real config entries (``push`` off: no Webhook
connection) in Home Assistant test instances. Every indexer is an app's own
(Radarr and Sonarr, no Prowlarr), with no traffic evidence, so the coordinator
tests each of them at every check; each cycle checks that it did
(``checked_by == "test"``). It prints, without timed assertions:

- the wall time of a cycle at 1, 10, 50 and 200 indexers per instance and 1, 5
  and 20 instances at once, against the ideal ceil(N / cap) x latency (goal <= 1.1);
- the Arr requests per cycle per instance, from the simulator's request log
  (goal <= indexers + 3);
- the event-loop CPU time of this process per cycle (goal <= 50 ms at 1,000
  indexers), and the memory per 1,000 indexers (goal <= 10 MB): tracemalloc growth
  of a set-up entry with 1,000 indexers against one with none;
- the set-up time of an entry with 200 indexers beyond network time (goal <= 1 s).

The simulator runs without its per-request recomputation of every instance's
health for Webhook connections, which none exist to receive (see
``_QUIET_SIMULATOR``; ``--simulator-as-is`` keeps it, and it then saturates).

Run with ``scripts/bench scale``. It only talks to 127.0.0.1, every wait is
bounded, and it ends by itself in a few minutes.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
import gc
import math
import os
from pathlib import Path
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# pylint: disable=wrong-import-position
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.ai_arr_control.arr import ArrClient, Indexer  # noqa: E402
from custom_components.ai_arr_control.const import DOMAIN, TEST_CONCURRENCY  # noqa: E402
from custom_components.ai_arr_control.coordinator import ArrHealthCoordinator  # noqa: E402
from custom_components.ai_arr_control.evidence import Check  # noqa: E402
from homeassistant import loader  # noqa: E402
from homeassistant.config_entries import ConfigEntryState  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from homeassistant.util import dt as dt_util  # noqa: E402

LATENCY = 0.2
INDEXER_COUNTS = (1, 10, 50, 200)
INSTANCE_COUNTS = (1, 5, 20)
CYCLES = 3
# One instance this large (tests answered at once) for the CPU and memory goals.
BIG = 1000
SETUP_INDEXERS = 200
SETUP_RUNS = 3
APPS = ("Radarr", "Sonarr")
# Bounds on every wait (seconds).
START_TIMEOUT = 60.0
SETUP_TIMEOUT = 180.0
CYCLE_TIMEOUT = 120.0
CONTROL_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Past the registries' delayed saves (10 s), short of any health check.
SAVES_DONE = timedelta(seconds=30)

GOAL_RATIO = 1.1
GOAL_EXTRA_REQUESTS = 3
GOAL_CPU_MS_PER_1000 = 50.0
GOAL_MIB_PER_1000 = 10.0
GOAL_SETUP_S = 1.0

MIB = 1024 * 1024
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The simulator, after each request, recomputes every instance's health (a repr
# of all its indexers) to tell Webhook connections what changed: O(instances x
# indexers) per request, which saturates it long before Home Assistant. With no
# connection (push off here) that can send nothing, so it is skipped; pass
# --simulator-as-is to measure with it.
_QUIET_SIMULATOR = """
import sys
from arr_simulator import __main__ as cli
from arr_simulator.instance import SimulatedInstance
changed = SimulatedInstance.changed
def changed_if_connected(self):
    if self.state.notifications:
        changed(self)
SimulatedInstance.changed = changed_if_connected
sys.exit(cli.main(sys.argv[1:]))
"""
SIMULATOR_AS_IS = "--simulator-as-is" in sys.argv[1:]


# -- the simulator, in its own process --------------------------------------------


@dataclass(frozen=True, slots=True)
class SimInstance:
    """One simulated instance: its name, app, URL and API key."""

    name: str
    app: str
    url: str
    api_key: str


def instance_config(name: str, app: str, key: int, count: int, latency: float) -> str:
    """The TOML of one instance with ``count`` generated indexers."""
    text = f"""
[[instance]]
name = "{name}"
app = "{app}"
api_key = "{key:032x}"
port = 0
"""
    if count:
        text += f"""[instance.generate]
count = {count}
latency = {latency}
"""
    return text


@dataclass(slots=True)
class Simulator:
    """``python -m arr_simulator`` in a subprocess, and its control API."""

    process: asyncio.subprocess.Process
    control_url: str
    instances: dict[str, SimInstance]
    session: aiohttp.ClientSession
    drain: asyncio.Task[None]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the simulator process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / _CLOCK_TICKS

    async def clear_requests(self, names: Iterable[str]) -> None:
        """Empty the request logs of these instances."""
        async with asyncio.timeout(CONTROL_TIMEOUT):
            for name in names:
                async with self.session.delete(
                    f"{self.control_url}/instances/{name}/requests"
                ) as response:
                    response.raise_for_status()

    async def requests(self, name: str) -> list[dict[str, Any]]:
        """The request log of one instance."""
        async with (
            asyncio.timeout(CONTROL_TIMEOUT),
            self.session.get(
                f"{self.control_url}/instances/{name}/requests"
            ) as response,
        ):
            response.raise_for_status()
            result: list[dict[str, Any]] = await response.json()
            return result


@asynccontextmanager
async def simulator(config: str, expected: int) -> AsyncIterator[Simulator]:
    """Start the simulator on ``config`` (``expected`` instances) and stop it after."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.toml"
        path.write_text(config)
        launch = (
            ("-m", "arr_simulator") if SIMULATOR_AS_IS else ("-c", _QUIET_SIMULATOR)
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *launch,
            "--config",
            str(path),
            "--control-port",
            "0",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            stdout = process.stdout
            instances: dict[str, SimInstance] = {}
            control_url = ""
            async with asyncio.timeout(START_TIMEOUT):
                while not control_url:
                    line = (await stdout.readline()).decode()
                    if not line:
                        raise RuntimeError("the simulator stopped before it was ready")
                    parts = line.split()
                    if parts[:2] == ["control", "API"]:
                        control_url = parts[2]
                    elif len(parts) == 4 and parts[3].startswith("api_key="):
                        instances[parts[0]] = SimInstance(
                            parts[0],
                            parts[1],
                            parts[2],
                            parts[3].removeprefix("api_key="),
                        )
            if len(instances) != expected:
                raise RuntimeError(f"{len(instances)} instances, not {expected}")

            async def drain() -> None:
                # Keep the pipe from filling up, should the simulator print more.
                while await stdout.read(65536):
                    pass

            async with aiohttp.ClientSession() as session:
                sim = Simulator(
                    process,
                    control_url,
                    instances,
                    session,
                    asyncio.create_task(drain()),
                )
                yield sim
        finally:
            if process.returncode is None:
                process.terminate()
            with suppress(TimeoutError):
                async with asyncio.timeout(STOP_TIMEOUT):
                    await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()


# -- Home Assistant --------------------------------------------------------------


@asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """A Home Assistant test instance with the integration set up (no entries)."""
    # No zeroconf here: resolve names the plain way, as the test suite does.
    # Its own config directory: what it stores (registries, ledgers) goes with it.
    with (
        tempfile.TemporaryDirectory() as config_dir,
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            return_value=aiohttp.AsyncResolver(),
        ),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            assert await async_setup_component(hass, DOMAIN, {})
            await hass.async_block_till_done()
            try:
                yield hass
            finally:
                for entry in hass.config_entries.async_entries(DOMAIN):
                    if entry.state is ConfigEntryState.LOADED:
                        await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_block_till_done()


def add_entry(hass: HomeAssistant, instance: SimInstance) -> MockConfigEntry:
    """A config entry for a simulated instance, push off (no Webhook connection)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=instance.name,
        data={
            CONF_URL: instance.url,
            CONF_API_KEY: instance.api_key,
            CONF_VERIFY_SSL: True,
            "app": instance.app,
        },
        options={"push": False},
    )
    entry.add_to_hass(hass)
    return entry


async def set_up(
    hass: HomeAssistant, instances: Sequence[SimInstance], indexers: int
) -> list[ArrHealthCoordinator]:
    """Set up one entry per instance, all at once (as at start-up)."""
    entries = [add_entry(hass, instance) for instance in instances]
    async with asyncio.timeout(SETUP_TIMEOUT):
        results = await asyncio.gather(
            *(hass.config_entries.async_setup(entry.entry_id) for entry in entries)
        )
        await hass.async_block_till_done()
    assert all(results), "an entry did not set up"
    coordinators = [entry.runtime_data.health for entry in entries]
    assert all(len(c.data.indexers) == indexers for c in coordinators)
    return coordinators


def check_all_tested(coordinators: Iterable[ArrHealthCoordinator]) -> None:
    """Every indexer was tested in the last cycle, and passed."""
    for coordinator in coordinators:
        assert coordinator.last_update_success, coordinator.last_exception
        for health in coordinator.data.indexers.values():
            assert health.checked_by is Check.TEST, (
                health.indexer.name,
                health.checked_by,
            )
            assert health.passed, (health.indexer.name, health.message)


@dataclass(slots=True)
class Cycles:
    """Figures of the timed cycles of one set-up."""

    walls: list[float] = field(default_factory=list)
    per_instance: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    sim_cpu: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)


_ID = re.compile(r"/\d+(?=/|$)")


async def run_cycles(
    sim: Simulator,
    instances: Sequence[SimInstance],
    coordinators: Sequence[ArrHealthCoordinator],
) -> Cycles:
    """Time ``CYCLES`` health cycles of every coordinator at once."""
    names = [instance.name for instance in instances]

    async def timed(coordinator: ArrHealthCoordinator) -> float:
        started = time.perf_counter()
        await coordinator.async_refresh()
        return time.perf_counter() - started

    result = Cycles()
    for _ in range(CYCLES):
        await sim.clear_requests(names)
        gc.collect()
        sim_start = sim.cpu_seconds()
        cpu_start = time.process_time()
        started = time.perf_counter()
        async with asyncio.timeout(CYCLE_TIMEOUT):
            per = await asyncio.gather(*(timed(c) for c in coordinators))
        result.walls.append(time.perf_counter() - started)
        result.cpu.append(time.process_time() - cpu_start)
        result.sim_cpu.append(sim.cpu_seconds() - sim_start)
        result.per_instance.extend(per)
        check_all_tested(coordinators)
        for name in names:
            log = await sim.requests(name)
            result.requests.append(len(log))
            result.kinds.update(
                f"{item['method']} {_ID.sub('/{id}', item['path'])}" for item in log
            )
    return result


# -- the measurements ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Point:
    """One point of the grid."""

    instances: int
    indexers: int
    cycles: Cycles

    @property
    def ideal(self) -> float:
        """ceil(N / cap) x latency."""
        return math.ceil(self.indexers / TEST_CONCURRENCY) * LATENCY

    @property
    def wall(self) -> float:
        """Median wall time of a cycle, all instances at once."""
        return statistics.median(self.cycles.walls)


async def grid() -> list[Point]:
    """The wall-time grid: a simulator of 20 instances per indexer count."""
    points: list[Point] = []
    most = max(INSTANCE_COUNTS)
    for indexers in INDEXER_COUNTS:
        config = "".join(
            instance_config(
                f"n{indexers}_{k:02d}",
                APPS[k % len(APPS)],
                indexers * 100 + k + 1,
                indexers,
                LATENCY,
            )
            for k in range(most)
        )
        async with simulator(config, most) as sim:
            ordered = sorted(sim.instances.values(), key=lambda i: i.name)
            for count in INSTANCE_COUNTS:
                instances = ordered[:count]
                async with home_assistant() as hass:
                    coordinators = await set_up(hass, instances, indexers)
                    cycles = await run_cycles(sim, instances, coordinators)
                point = Point(count, indexers, cycles)
                points.append(point)
                print(
                    f"  ... {count:>2} x {indexers:>3}: {point.wall:.3f} s"
                    f" (ideal {point.ideal:.2f} s)",
                    file=sys.stderr,
                )
    return points


def deep_size(root: object) -> int:
    """Bytes held by an object graph (dataclasses, containers, scalars), each
    object counted once; enum members, classes and functions are shared."""
    seen: set[int] = set()
    total = 0
    stack: list[object] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | Enum) or callable(obj):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, str | bytes | int | float | bool) or obj is None:
            continue
        else:
            for cls in type(obj).__mro__:
                slots = getattr(cls, "__slots__", ())
                names = (slots,) if isinstance(slots, str) else slots
                stack.extend(getattr(obj, n) for n in names if hasattr(obj, n))
            if hasattr(obj, "__dict__"):
                stack.append(vars(obj))
    return total


@dataclass(frozen=True, slots=True)
class Footprint:
    """What a set-up entry holds, after one more cycle."""

    traced: int
    data: int


async def footprint(instance: SimInstance, indexers: int) -> Footprint:
    """Python memory an entry holds once set up and checked (tracemalloc growth)."""
    async with home_assistant() as hass:
        gc.collect()
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            (coordinator,) = await set_up(hass, [instance], indexers)
            async with asyncio.timeout(CYCLE_TIMEOUT):
                await coordinator.async_refresh()
                check_all_tested([coordinator])
                # Steady state: the registries' delayed saves done (and the
                # storage forms they cache per entry built).
                async_fire_time_changed(hass, dt_util.utcnow() + SAVES_DONE)
                await hass.async_block_till_done()
            gc.collect()
            current, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return Footprint(current - base, deep_size(coordinator.data))


@dataclass(frozen=True, slots=True)
class SetupTime:
    """One timed set-up of an entry."""

    wall: float
    cpu: float
    sim_cpu: float


async def setup_time(sim: Simulator, instance: SimInstance, indexers: int) -> SetupTime:
    """Time the set-up of one new entry (its first check and entities included)."""
    async with home_assistant() as hass:
        gc.collect()
        sim_start = sim.cpu_seconds()
        cpu_start = time.process_time()
        started = time.perf_counter()
        coordinators = await set_up(hass, [instance], indexers)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_start
        sim_cpu = sim.cpu_seconds() - sim_start
        check_all_tested(coordinators)
    return SetupTime(wall, cpu, sim_cpu)


@dataclass(frozen=True, slots=True)
class Large:
    """One instance of ``BIG`` indexers (tests answered at once), and set-ups."""

    cycles: Cycles
    floor: list[float]
    empty: Footprint
    big: Footprint
    setup_fast: list[SetupTime]


async def client_floor(instance: SimInstance) -> list[float]:
    """CPU seconds of the same requests as a cycle, made with the bare client
    (no Home Assistant, no planning, no entities): what the HTTP itself costs."""
    times: list[float] = []
    async with aiohttp.ClientSession() as session:
        client = ArrClient(instance.url, instance.api_key, session=session)
        await client.system_status()
        semaphore = asyncio.Semaphore(TEST_CONCURRENCY)

        async def test(indexer: Indexer) -> None:
            async with semaphore:
                await client.test_indexer(indexer)

        for _ in range(CYCLES):
            gc.collect()
            started = time.process_time()
            async with asyncio.timeout(CYCLE_TIMEOUT):
                indexers = await client.indexers()
                await asyncio.gather(*(test(indexer) for indexer in indexers))
                await client.health()
            times.append(time.process_time() - started)
    return times


async def large() -> Large:
    """CPU per cycle and memory at 1,000 indexers; set-up time at latency 0."""
    config = (
        instance_config("big", "Radarr", 1, BIG, 0.0)
        + instance_config("empty", "Radarr", 2, 0, 0.0)
        + instance_config("setup", "Radarr", 3, SETUP_INDEXERS, 0.0)
    )
    async with simulator(config, 3) as sim:
        big = sim.instances["big"]
        async with home_assistant() as hass:
            coordinators = await set_up(hass, [big], BIG)
            cycles = await run_cycles(sim, [big], coordinators)
        floor = await client_floor(big)
        print(f"  ... 1 x {BIG} at latency 0 done", file=sys.stderr)
        empty_print = await footprint(sim.instances["empty"], 0)
        big_print = await footprint(big, BIG)
        print("  ... footprints done", file=sys.stderr)
        fast = [
            await setup_time(sim, sim.instances["setup"], SETUP_INDEXERS)
            for _ in range(SETUP_RUNS)
        ]
    return Large(cycles, floor, empty_print, big_print, fast)


async def slow_setups() -> list[SetupTime]:
    """Set-up time of an entry of 200 indexers at the benchmark's latency."""
    config = instance_config("slow", "Radarr", 4, SETUP_INDEXERS, LATENCY)
    async with simulator(config, 1) as sim:
        return [
            await setup_time(sim, sim.instances["slow"], SETUP_INDEXERS)
            for _ in range(SETUP_RUNS)
        ]


# -- the report ------------------------------------------------------------------


def report(points: list[Point], big: Large, slow: list[SetupTime]) -> None:
    """Print the figures."""
    print(
        f"scale: health cycles of Radarr/Sonarr instances (own indexers, all tested),"
        f" {LATENCY} s per test, cap {TEST_CONCURRENCY}, {CYCLES} cycles per point (medians)"
    )
    print(
        "  inst x idx | ideal s | wall s (min-max)      | ratio | per inst s"
        " | req/inst (goal) | CPU ms/cycle | CPU ms/1000 idx | sim CPU s"
    )
    for p in points:
        c = p.cycles
        total = p.instances * p.indexers
        cpu = statistics.median(c.cpu) * 1000
        print(
            f"  {p.instances:>4} x {p.indexers:<3} | {p.ideal:7.2f} |"
            f" {p.wall:6.3f} ({min(c.walls):.3f}-{max(c.walls):.3f}) |"
            f" {p.wall / p.ideal:5.2f} | {statistics.median(c.per_instance):10.3f} |"
            f" {max(c.requests):>4} ({p.indexers + GOAL_EXTRA_REQUESTS:>3})      |"
            f" {cpu:12.0f} | {cpu * 1000 / total:15.0f} |"
            f" {statistics.median(c.sim_cpu):9.2f}"
        )
    worst = max(points, key=lambda p: p.wall / p.ideal)
    print(
        f"  worst ratio {worst.wall / worst.ideal:.2f} at {worst.instances} x {worst.indexers}"
        f" (goal <= {GOAL_RATIO}); requests per cycle per instance: at most indexers +"
        f" {max(max(p.cycles.requests) - p.indexers for p in points)}"
        f" (goal <= indexers + {GOAL_EXTRA_REQUESTS})"
    )
    cycles_seen = sum(p.instances * CYCLES for p in points)
    kinds = Counter[str]()
    for p in points:
        kinds.update(p.cycles.kinds)
    print(
        "  requests per instance-cycle: "
        + ", ".join(
            f"{kind} {n / cycles_seen:.1f}" for kind, n in sorted(kinds.items())
        )
    )

    c = big.cycles
    cpu = statistics.median(c.cpu) * 1000
    print(
        f"  1 instance x {BIG} indexers, tests answered at once: wall {statistics.median(c.walls):.3f} s,"
        f" {max(c.requests)} requests per cycle, event-loop CPU per cycle median {cpu:.0f} ms"
        f" (min {min(c.cpu) * 1000:.0f}, max {max(c.cpu) * 1000:.0f}; goal <= {GOAL_CPU_MS_PER_1000:.0f} ms),"
        f" simulator CPU {statistics.median(c.sim_cpu):.2f} s"
    )
    floor = statistics.median(big.floor) * 1000
    print(
        f"    the same requests with the bare ArrClient (no Home Assistant): {floor:.0f} ms of CPU;"
        f" the rest, {cpu - floor:.0f} ms, is the integration and its entities"
    )
    grown = (big.big.traced - big.empty.traced) / BIG * 1000 / MIB
    print(
        f"  memory: an entry with {BIG} indexers holds {big.big.traced / MIB:.1f} MiB,"
        f" one with none {big.empty.traced / MIB:.1f} MiB (tracemalloc growth after a cycle"
        f" and the registries' saves, entities included) -> {grown:.1f} MiB per 1000 indexers (goal <= {GOAL_MIB_PER_1000:.0f} MB);"
        f" the coordinator's data: {big.big.data / MIB:.1f} MiB"
    )
    fast_wall = statistics.median(s.wall for s in big.setup_fast)
    fast_cpu = statistics.median(s.cpu for s in big.setup_fast)
    fast_sim = statistics.median(s.sim_cpu for s in big.setup_fast)
    slow_wall = statistics.median(s.wall for s in slow)
    slow_cpu = statistics.median(s.cpu for s in slow)
    network = math.ceil(SETUP_INDEXERS / TEST_CONCURRENCY) * LATENCY
    print(
        f"  entry set-up, {SETUP_INDEXERS} indexers (first check and entities included),"
        f" {SETUP_RUNS} runs each:"
    )
    print(
        f"    tests answered at once: wall {fast_wall:.3f} s, of which this process's CPU"
        f" {fast_cpu:.3f} s (the simulator's {fast_sim:.3f} s)"
    )
    print(
        f"    {LATENCY} s per test:          wall {slow_wall:.3f} s - ideal network wait"
        f" {network:.2f} s = {slow_wall - network:.3f} s beyond it; CPU {slow_cpu:.3f} s"
        f" (goal <= {GOAL_SETUP_S:.0f} s)"
    )
    print(
        f"  process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


async def main() -> None:
    """Run the benchmark and print its figures."""
    started = time.perf_counter()
    points = await grid()
    big = await large()
    slow = await slow_setups()
    report(points, big, slow)
    print(f"  (benchmark wall time {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
