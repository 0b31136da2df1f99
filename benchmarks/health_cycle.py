"""Benchmark: one health cycle over 3 Arr instances x 50 indexers, 0.5 s per test.

Starts the Arr simulator in its own process (so that this process measures only
Home Assistant's side), sets up one real config entry per simulated instance in a
Home Assistant test instance, then times the coordinators' refreshes and prints:

- wall time of a cycle, as a ratio to the ideal ceil(50 / cap) x 0.5 s (goal <= 1.2);
- how much faster that is than testing one by one, as testall does (goal >= 10x);
- event-loop (CPU) time of this process per cycle, and peak memory.

Run with ``scripts/bench``. It only talks to 127.0.0.1 and ends by itself.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
import math
from pathlib import Path
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from unittest.mock import patch

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# pylint: disable=wrong-import-position
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.ai_arr_control.arr import ArrClient  # noqa: E402
from custom_components.ai_arr_control.const import DOMAIN, TEST_CONCURRENCY  # noqa: E402
from custom_components.ai_arr_control.coordinator import ArrHealthCoordinator  # noqa: E402
from homeassistant import loader  # noqa: E402
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402

INSTANCES = (("radarr", "Radarr"), ("sonarr", "Sonarr"), ("prowlarr", "Prowlarr"))
INDEXERS = 50
LATENCY = 0.5
CYCLES = 3
START_TIMEOUT = 30.0


def simulator_config() -> str:
    """Three instances of 50 generated indexers each, every test taking 0.5 s."""
    return "\n".join(
        f"""
[[instance]]
name = "{name}"
app = "{app}"
api_key = "{index:032x}"
port = 0
[instance.generate]
count = {INDEXERS}
latency = {LATENCY}
"""
        for index, (name, app) in enumerate(INSTANCES, start=1)
    )


async def start_simulator(
    config: Path,
) -> tuple[asyncio.subprocess.Process, dict[str, tuple[str, str]]]:
    """Start ``python -m arr_simulator`` and read each instance's URL and key."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "arr_simulator",
        "--config",
        str(config),
        "--control-port",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    found: dict[str, tuple[str, str]] = {}
    async with asyncio.timeout(START_TIMEOUT):
        while len(found) < len(INSTANCES):
            line = (await process.stdout.readline()).decode()
            if not line:
                raise RuntimeError("the simulator stopped before it was ready")
            parts = line.split()
            if parts and parts[0] in dict(INSTANCES):
                found[parts[0]] = (parts[2], parts[3].removeprefix("api_key="))
    return process, found


async def one_by_one(url: str, api_key: str, count: int) -> float:
    """Seconds for testall, which tests the indexers one after another."""
    async with aiohttp.ClientSession() as session:
        client = ArrClient(url, api_key, session=session)
        await client.system_status()
        started = time.perf_counter()
        results = await client.test_all_indexers()
        elapsed = time.perf_counter() - started
    assert len(results) == count
    return elapsed


async def main() -> None:
    """Run the benchmark and print its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(simulator_config())
        process, found = await start_simulator(config)
        try:
            await run(found)
        finally:
            process.terminate()
            with suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await process.wait()


async def run(found: dict[str, tuple[str, str]]) -> None:
    """Set up the entries and time the cycles."""
    # No zeroconf here: resolve names the plain way, as the test suite does.
    with patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=aiohttp.AsyncResolver(),
    ):
        await _run(found)


async def _run(found: dict[str, tuple[str, str]]) -> None:
    # Its own config directory: what it stores (registries, ledgers) goes with it.
    with tempfile.TemporaryDirectory() as config_dir:
        await _run_in(found, config_dir)


async def _run_in(found: dict[str, tuple[str, str]], config_dir: str) -> None:
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        entries = []
        for name, app in INSTANCES:
            url, api_key = found[name]
            entry = MockConfigEntry(
                domain=DOMAIN,
                title=app,
                data={
                    CONF_URL: url,
                    CONF_API_KEY: api_key,
                    CONF_VERIFY_SSL: True,
                    "app": app,
                },
                # Test cycles only: no Webhook connection in the apps.
                options={"push": False},
            )
            entry.add_to_hass(hass)
            entries.append(entry)
        # Setting up runs the first cycle (a warm-up: imports, connections).
        assert await async_setup_component(hass, DOMAIN, {})
        await hass.async_block_till_done()
        coordinators = [entry.runtime_data.health for entry in entries]
        assert all(len(c.data.indexers) == INDEXERS for c in coordinators)

        async def timed(coordinator: ArrHealthCoordinator) -> float:
            started = time.perf_counter()
            await coordinator.async_refresh()
            return time.perf_counter() - started

        walls: list[float] = []
        per_instance: list[float] = []
        cpu: list[float] = []
        for _ in range(CYCLES):
            cpu_start = time.process_time()
            started = time.perf_counter()
            per_instance.extend(await asyncio.gather(*(timed(c) for c in coordinators)))
            walls.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_start)
            assert all(c.last_update_success for c in coordinators)
            assert all(h.passed for c in coordinators for h in c.data.indexers.values())
        # One more cycle under tracemalloc (which slows it) for the memory figure.
        tracemalloc.start()
        await asyncio.gather(*(timed(c) for c in coordinators))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        for entry in entries:
            await hass.config_entries.async_unload(entry.entry_id)

    name, _ = INSTANCES[0]
    serial = await one_by_one(*found[name], INDEXERS)

    ideal = math.ceil(INDEXERS / TEST_CONCURRENCY) * LATENCY
    wall = statistics.median(walls)
    instance = statistics.median(per_instance)
    print(
        f"health cycle: {len(INSTANCES)} instances x {INDEXERS} indexers, {LATENCY} s per test, cap {TEST_CONCURRENCY}, {CYCLES} cycles"
    )
    print(
        f"  wall time per cycle (all instances at once): median {wall:.3f} s (min {min(walls):.3f}, max {max(walls):.3f})"
    )
    print(f"  wall time per instance:                      median {instance:.3f} s")
    print(
        f"  ideal ceil({INDEXERS}/{TEST_CONCURRENCY}) x {LATENCY} s = {ideal:.2f} s  ->  ratio {instance / ideal:.2f} (goal <= 1.2)"
    )
    print(
        f"  one by one (testall, measured on {name}): {serial:.2f} s  ->  {serial / instance:.1f}x faster (goal >= 10x)"
    )
    print(
        f"  event-loop CPU time per cycle: median {statistics.median(cpu) * 1000:.0f} ms for {len(INSTANCES) * INDEXERS} tests ({statistics.median(cpu) * 1000 / (len(INSTANCES) * INDEXERS):.2f} ms per test)"
    )
    print(
        f"  peak traced Python memory during a cycle: {peak / 1024 / 1024:.1f} MiB; process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    asyncio.run(main())
