"""Soak: many instances, many indexers, many health checks, random faults.

Not a unit test of one behaviour: a long run of the real coordinators against the
Arr simulator (real HTTP on 127.0.0.1, in this process), time frozen and moved on
by half an hour per health check, heal runs every 2 hours as scheduled, at the
default options (auto-heal on; push off, as ``tests.common.entry_for`` sets it:
the simulator must not be sent to the test Home Assistant's address). Sizes (the
defaults are the full soak; it prints its figures, run it with ``-s``):

- ``SOAK_INSTANCES`` (20): Radarr and Sonarr by turns, the last one a Prowlarr
  (from 3 instances on; not linked to the apps: it syncs nothing to them);
- ``SOAK_INDEXERS`` (100) per instance: a few written out with enable flags not
  all on (interactive search off, RSS only, all off by the user), the rest
  generated; every test answers at once (no latency);
- ``SOAK_CHECKS`` (500) health checks; ``SOAK_SEED`` seeds the faults;
- ``SOAK_TRACEMALLOC=0`` skips the memory tracing (about half the run time; the
  memory checks are then skipped), ``SOAK_TOP=n`` prints the n allocation sites
  that grew most between the warm-up and the end (``SOAK_FRAMES`` frames each);
- ``SOAK_LOOP_DEBUG=1`` keeps asyncio's debug mode, which the test harness turns
  on and this soak turns off (it makes the run far slower).

Random faults from a seeded ``random.Random``, all bounded, at each check: some
indexers start failing for 1-8 checks (every ``FAULT_KINDS`` of the simulator,
and literal failure texts), now and then most of an instance's indexers at once
for a few checks (an outage: nothing may be disabled), an indexer test that
hangs (the app gives up after 90 s, or never answers and our 120 s timeout ends
it), or a whole instance down, answering 500, 503 (starting), a login page or
401 (then, once the key works again, the user re-authenticates and the entry
reloads), or slow (3 s per request, or slower than our 15 s request timeout),
for 1-4 checks. Whatever makes a request wait is released by moving the clock
to the next timer (``Clock.drive``), never by waiting for real.

Asserted at the end:

- no log record with a traceback, no call of the event loop's exception handler;
- no disable of an indexer without a fault (or with one the app only warns
  about), during an outage or for a cause that never disables, and no enable of
  one still failing;
- every indexer resource in the simulator identical to its start but for the
  enable flags; once every fault is cleared, every enable flag back as it was
  within ``COOL_DOWN_CHECKS`` (the longest quota pause, 24 h, and two heal runs),
  every entry loaded and checking, no re-authentication left open;
- no growth of the tasks between check ``TASKS_AT`` and the end (the simulator's
  connection handlers are bounded apart: one per keep-alive connection);
- no growth of the integration's live objects that make up entries (entities,
  coordinators, clients, ledgers ...) between the warm-up and the end, and no
  growth of the Python memory (tracemalloc, traced from the test's start)
  beyond ``MEMORY_GROWTH_FLOOR`` plus ``MEMORY_GROWTH_PER_100`` per 100 checks.

What the test harness itself keeps is dropped after each check
(``forget_records``), and so are the tracebacks of the coordinators' last
exceptions before each memory sample (``drop_tracebacks``; how much they held is
printed). The simulator runs without its per-request recomputation of every
instance's health for Webhook connections, which none exist to receive (push is
off; see ``quiet_simulator`` and ``benchmarks/scale.py``): O(instances x
indexers) per request, it would be most of the run time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import gc
import logging
import os
from pathlib import Path
import random
import resource
import time
import tracemalloc
from typing import Any
from unittest.mock import NonCallableMock

from _pytest.logging import LogCaptureHandler
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from arr_simulator import ArrSimulator, SimulatedInstance
from arr_simulator.app import RecordedRequest
from arr_simulator.messages import FAULT_KINDS
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from custom_components.ai_arr_control.arr import ArrClient
from custom_components.ai_arr_control.const import (
    DEFAULT_OUTAGE_PERCENT,
    DOMAIN,
    EVENT_INDEXER_DISABLED,
    EVENT_INDEXER_ENABLED,
    EVENT_INDEXER_FAILED,
    EVENT_INDEXER_RECOVERED,
    OUTAGE_MIN_FAILING,
    TEST_CONCURRENCY,
)
from custom_components.ai_arr_control.control import IndexerControl
from custom_components.ai_arr_control.coordinator import ArrConfigEntry
from custom_components.ai_arr_control.heal import POLICIES
from custom_components.ai_arr_control.issues import InstanceIssues
from custom_components.ai_arr_control.push import ArrPush
from custom_components.ai_arr_control.stack import ArrStack
from custom_components.ai_arr_control.store import IndexerLedger
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import storage
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
from tests.common import setup_entries


def _env(name: str, default: int) -> int:
    value = int(os.environ.get(name, str(default)))
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


INSTANCES = max(1, _env("SOAK_INSTANCES", 20))
INDEXERS = max(1, _env("SOAK_INDEXERS", 100))
CHECKS = max(2, _env("SOAK_CHECKS", 500))
SEED = _env("SOAK_SEED", 20261205)
TOP = _env("SOAK_TOP", 0)
FRAMES = _env("SOAK_FRAMES", 1)
TRACE = os.environ.get("SOAK_TRACEMALLOC", "1") != "0"
LOOP_DEBUG = os.environ.get("SOAK_LOOP_DEBUG", "") == "1"

START = datetime.fromisoformat("2026-11-28 00:00:00+00:00")
# A little over the 30-minute health interval (the coordinators' jitter).
HEALTH_INTERVAL = timedelta(minutes=30, seconds=1)
# Samples: tasks at TASKS_AT (and the end), memory at WARM_UP (and the end).
TASKS_AT = min(50, CHECKS // 10) or 1
WARM_UP = min(100, CHECKS // 5) or 1
# Tasks (but the simulator's connection handlers, bounded apart) allowed more at
# the end than at TASKS_AT: a few jobs of timers due at that moment.
TASK_SLACK = 5
# Memory samples after the warm-up (each a full garbage collection).
SAMPLES = 20
# Memory growth allowed between WARM_UP and the end. Without a leak, the traced
# memory creeps up over the first few hundred checks and then stays (+2.3 MiB of
# 152 MiB at 20 x 100 from check 100 to 500; +0.6 MiB of 6.7 MiB at 5 x 10 from
# check 100 to 1,500, where the least-squares slope is +17 KiB per 100 checks):
# the floor is that spread with room, and 1 MiB per 100 checks would be a leak of about 5 bytes per indexer
# check at 20 x 100, or 2.5 KiB per instance check at 4 x 20.
MEMORY_GROWTH_FLOOR = 4 * 1024 * 1024
MEMORY_GROWTH_PER_100 = 1024 * 1024
# After the faults clear: long enough for the longest quota pause (24 h) and two
# heal runs after it.
COOL_DOWN_CHECKS = 56
# At least this many checks of the cool-down (two heal runs).
COOL_DOWN_MIN = 8

FLAG_KEYS = frozenset(
    {"enable", "enableRss", "enableAutomaticSearch", "enableInteractiveSearch"}
)
# The server side (the simulator) is not ours: its records are counted apart.
SERVER_LOGGERS = ("aiohttp.server", "aiohttp.web", "aiohttp.access", "arr_simulator")

# Fault probabilities (per instance per check unless said otherwise), and bounds.
P_INDEXER_FAULT = 0.5
NEW_FAULTS_MAX = 3
FAULTY_SHARE_MAX = 0.1
FAULT_CHECKS = (1, 8)
P_OUTAGE = 0.002
OUTAGE_SHARE = 0.6
OUTAGE_CHECKS = (1, 3)
P_HANG = 0.05  # per check, one indexer somewhere
HANG_CHECKS = (1, 2)
P_INSTANCE_FAULT = 0.01
INSTANCE_FAULT_CHECKS = (1, 4)
INSTANCE_FAULTS = (
    "down",
    "error",
    "starting",
    "html",
    "unauthorized",
    "slow",
    "too_slow",
)
OUTAGE_KINDS = ("refused", "dns", "timeout", "server_error")
# The label of an outage's indexers until a health check has seen them fail.
OUTAGE_BEGINS = "outage begins"
# Causes the heal policy never disables for.
NEVER_DISABLED = tuple(
    str(cause) for cause, policy in POLICIES.items() if not policy.disables
)
LITERAL_FAILURES = (
    "Unable to connect to indexer, check the log above for more details",
    "Indexer responded with an unexpected status code: 502 Bad Gateway",
    "Search failed: the site returned something unexpected (soak)",
    "Invalid API Key",
)

# Bounds of the driving loops.
IDLE_SPINS = 30
SPINS_MAX = 2_000_000
JUMPS_MAX = 400
# A check's own waits (hangs, slow answers) never reach the next check.
JUMP_BUDGET = timedelta(minutes=20)
REAL_PAUSE = 0.002
# Past the keep-alive of idle connections (aiohttp's 15 s), short of any schedule.
KEEP_ALIVE_OVER = timedelta(seconds=20)
EXECUTOR_WAIT_MAX = 10.0


# -- the simulated instances ----------------------------------------------------


def app_of(number: int) -> str:
    """Radarr and Sonarr by turns; the last one a Prowlarr (from 3 instances)."""
    if INSTANCES >= 3 and number == INSTANCES - 1:
        return "Prowlarr"
    return ("Radarr", "Sonarr")[number % 2]


def _app_indexers(count: int) -> str:
    """Indexers written out: enable flags that are not all on (restored exactly)."""
    variants = [
        ("Partial Flags", "enable_interactive_search = false"),
        (
            "RSS Only",
            "enable_automatic_search = false\nenable_interactive_search = false",
        ),
        (
            "User Disabled",
            (
                "enable_rss = false\nenable_automatic_search = false\n"
                "enable_interactive_search = false"
            ),
        ),
        ("Priority Ten", "priority = 10"),
    ][:count]
    return "".join(
        f"""
[[instance.indexer]]
name = "{name}"
implementation = "Newznab"
protocol = "usenet"
{extra}
fields = {{ baseUrl = "https://api.variant{n}.example-nzb.test", apiKey = "{n:032x}" }}
"""
        for n, (name, extra) in enumerate(variants, start=1)
    )


def _prowlarr_indexers(count: int) -> str:
    variants = [("User Disabled", "enable = false"), ("Priority Ten", "priority = 10")][
        :count
    ]
    return "".join(
        f"""
[[instance.indexer]]
name = "{name}"
implementation = "Cardigann"
protocol = "torrent"
definition_name = "variant{n}"
indexer_urls = ["https://variant{n}.example-tracker.test/"]
categories = [2000, 5000]
{extra}
fields = {{ username = "soak", password = "soak-secret-{n}" }}
"""
        for n, (name, extra) in enumerate(variants, start=1)
    )


def simulator_config() -> str:
    """The TOML of every instance."""
    text = ""
    for number in range(INSTANCES):
        app = app_of(number)
        written = min(INDEXERS, 2 if app == "Prowlarr" else 4)
        text += f"""
[[instance]]
name = "soak{number:02d}"
app = "{app}"
instance_name = "{app} {number:02d}"
api_key = "{number + 1:032x}"
port = 0
"""
        text += (
            _prowlarr_indexers(written) if app == "Prowlarr" else _app_indexers(written)
        )
        if written < INDEXERS:
            text += f"""
[instance.generate]
count = {INDEXERS - written}
latency = 0.0
"""
    return text


def quiet_simulator(simulator: ArrSimulator) -> None:
    """Tell Webhook connections about health changes only where one exists."""
    instances = list(simulator.instances.values())

    def changed_if_connected() -> None:
        if any(instance.state.notifications for instance in instances):
            for instance in instances:
                instance.changed()

    for instance in instances:
        instance.on_change = changed_if_connected


@dataclass
class Traffic:
    """What the instances received, counted (their own logs are bounded)."""

    tests: int = 0
    writes: int = 0
    requests: int = 0

    def watch(
        self, instance: SimulatedInstance, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Count the requests of one instance."""
        record = instance.record_request

        def counted(request: RecordedRequest) -> None:
            self.requests += 1
            if request.method == "POST" and request.path.endswith("/indexer/test"):
                self.tests += 1
            elif request.method == "PUT" and "/indexer" in request.path:
                self.writes += 1
            record(request)

        monkeypatch.setattr(instance, "record_request", counted)


# -- the faults -----------------------------------------------------------------


@dataclass
class Chaos:
    """Random faults, each for a few checks; everything it starts it clears."""

    simulator: ArrSimulator
    rng: random.Random
    # (instance, indexer id) -> checks left, and what the fault is ("outage"
    # for an indexer failing with most of its instance's).
    indexer_faults: dict[tuple[str, int], int] = field(default_factory=dict)
    kinds: dict[tuple[str, int], str] = field(default_factory=dict)
    # instance -> (mode, checks left).
    instance_faults: dict[str, tuple[str, int]] = field(default_factory=dict)
    started: Counter[str] = field(default_factory=Counter)
    # Indexers that may fail: the ones enabled at the start.
    candidates: dict[str, list[int]] = field(default_factory=dict)
    # What the user does once a refused key works again (a re-authentication).
    reauthenticate: Callable[[str], Awaitable[None]] | None = None
    # The indexers of an instance its health check does not test for now.
    unseen: Callable[[str], Collection[int]] = lambda _: ()

    def __post_init__(self) -> None:
        """Note the indexers each instance may fail."""
        for name, instance in self.simulator.instances.items():
            self.candidates[name] = sorted(
                indexer_id
                for indexer_id, res in instance.indexers.items()
                if any(res.get(key) for key in FLAG_KEYS)
            )

    async def step(self) -> None:
        """End the faults that ran out, start new ones."""
        for key, left in list(self.indexer_faults.items()):
            if left <= 1:
                self._clear_indexer(*key)
            else:
                self.indexer_faults[key] = left - 1
                if self.kinds[key] == OUTAGE_BEGINS:
                    self.kinds[key] = "outage"
        for name, (mode, left) in list(self.instance_faults.items()):
            if left <= 1:
                await self._clear_instance(name)
            else:
                self.instance_faults[name] = (mode, left - 1)
        rng = self.rng
        for name, instance in self.simulator.instances.items():
            candidates = self.candidates[name]
            if not candidates:
                continue
            faulty = [i for (n, i) in self.indexer_faults if n == name]
            if rng.random() < P_OUTAGE and len(faulty) < len(candidates) // 2:
                self._outage(name, instance, candidates, faulty)
            elif rng.random() < P_INDEXER_FAULT:
                limit = max(1, int(len(candidates) * FAULTY_SHARE_MAX))
                for _ in range(rng.randint(1, NEW_FAULTS_MAX)):
                    if len(faulty) >= limit:
                        break
                    indexer_id = rng.choice(candidates)
                    if indexer_id in faulty:
                        continue
                    self._fail(name, instance, indexer_id)
                    faulty.append(indexer_id)
            if name not in self.instance_faults and rng.random() < P_INSTANCE_FAULT:
                await self._instance_fault(name, instance)
        if rng.random() < P_HANG:
            name = rng.choice(list(self.simulator.instances))
            free = [
                i for i in self.candidates[name] if (name, i) not in self.indexer_faults
            ]
            if free:
                instance = self.simulator.instance(name)
                indexer_id = rng.choice(free)
                # The app gives up on the site (90 s), or never answers within
                # our test timeout (120 s).
                instance.hang_timeout = rng.choice((90.0, 300.0))
                instance.set_indexer_fault(indexer_id, hang=True)
                self.indexer_faults[(name, indexer_id)] = rng.randint(*HANG_CHECKS)
                self.kinds[(name, indexer_id)] = "hang"
                self.started["hang"] += 1

    def _fail(self, name: str, instance: SimulatedInstance, indexer_id: int) -> None:
        rng = self.rng
        kind = rng.choice((*FAULT_KINDS, "literal"))
        if kind == "literal":
            instance.set_indexer_fault(indexer_id, fail=rng.choice(LITERAL_FAILURES))
        else:
            instance.set_indexer_fault(indexer_id, kind=kind)
        self.indexer_faults[(name, indexer_id)] = rng.randint(*FAULT_CHECKS)
        self.kinds[(name, indexer_id)] = kind
        self.started[f"indexer {kind}"] += 1

    def _outage(
        self,
        name: str,
        instance: SimulatedInstance,
        candidates: list[int],
        faulty: list[int],
    ) -> None:
        rng = self.rng
        kind = rng.choice(OUTAGE_KINDS)
        checks = rng.randint(*OUTAGE_CHECKS)
        chosen = [
            indexer_id
            for indexer_id in rng.sample(
                candidates, int(len(candidates) * OUTAGE_SHARE)
            )
            if indexer_id not in faulty
        ]
        # Taken for an outage by the heal run only if enough of the enabled
        # indexers fail at once (auto-disabled ones fail unseen): else these
        # are just failures, each of which may be disabled (an indexer the
        # health check does not test, paused for a quota or passed with a
        # warning, fails unseen too). And only once a
        # health check has seen it: a heal run that comes first (at the same
        # moment) retests its suspects only, and an indexer that was failing
        # already may be disabled then.
        enabled = [
            i
            for i in candidates
            if any(instance.indexers[i].get(key) for key in FLAG_KEYS)
        ]
        unseen = self.unseen(name)
        failing = [i for i in chosen if i in enabled and i not in unseen]
        label = (
            OUTAGE_BEGINS
            if len(failing) >= OUTAGE_MIN_FAILING
            and len(failing) * 100 >= DEFAULT_OUTAGE_PERCENT * len(enabled)
            else kind
        )
        for indexer_id in chosen:
            instance.set_indexer_fault(indexer_id, kind=kind)
            self.indexer_faults[(name, indexer_id)] = checks
            self.kinds[(name, indexer_id)] = label
        self.started["outage" if label == OUTAGE_BEGINS else "outage too small"] += 1

    async def _instance_fault(self, name: str, instance: SimulatedInstance) -> None:
        mode = self.rng.choice(INSTANCE_FAULTS)
        match mode:
            case "down":
                await instance.set_down(True)
            case "slow":
                # Every request answers after 3 s.
                instance.set_fault("slow", delay=3.0)
            case "too_slow":
                # Slower than our 15 s request timeout.
                instance.set_fault("slow", delay=40.0)
            case _:
                instance.set_fault(mode)
        self.instance_faults[name] = (mode, self.rng.randint(*INSTANCE_FAULT_CHECKS))
        self.started[f"instance {mode}"] += 1

    def _clear_indexer(self, name: str, indexer_id: int) -> None:
        self.simulator.instance(name).clear_indexer_fault(indexer_id)
        del self.indexer_faults[(name, indexer_id)]
        del self.kinds[(name, indexer_id)]

    async def _clear_instance(self, name: str) -> None:
        instance = self.simulator.instance(name)
        if instance.down:
            await instance.set_down(False)
        instance.set_fault(None)
        mode, _ = self.instance_faults.pop(name)
        if mode == "unauthorized" and self.reauthenticate is not None:
            await self.reauthenticate(name)

    async def clear_all(self) -> None:
        """Every fault over."""
        for key in list(self.indexer_faults):
            self._clear_indexer(*key)
        for name in list(self.instance_faults):
            await self._clear_instance(name)


# -- driving time ---------------------------------------------------------------


def _pending(hass: HomeAssistant) -> list[asyncio.Future[Any]]:
    """Home Assistant's tracked tasks (and executor jobs) not done yet."""
    tracked = hass._tasks | hass._background_tasks  # noqa: SLF001
    return [task for task in tracked if not task.done()]


async def _real_pause(loop: asyncio.AbstractEventLoop) -> None:
    """Let REAL_PAUSE seconds of real time pass (the loop keeps running)."""
    await loop.run_in_executor(None, time.sleep, REAL_PAUSE)


async def quiesce(loop: asyncio.AbstractEventLoop) -> None:
    """Run the loop until nothing is left to run but timers (bounded).

    Nothing ready for IDLE_SPINS iterations in a row, then a short real pause
    (for I/O on its way and executor jobs), then again nothing ready.
    """
    quiet = 0
    paused = False
    for _ in range(SPINS_MAX):
        await asyncio.sleep(0)
        if loop._ready:  # type: ignore[attr-defined]  # noqa: SLF001
            quiet = 0
            paused = False
            continue
        quiet += 1
        if quiet < IDLE_SPINS:
            continue
        if paused:
            return
        await _real_pause(loop)
        paused = True
        quiet = 0
    raise AssertionError("the event loop never went idle")


@dataclass
class Clock:
    """Moves the frozen clock; counts how far beyond the checks it moved."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    jumps: int = 0
    jumped: timedelta = timedelta(0)
    longest: timedelta = timedelta(0)

    async def drive(self) -> None:
        """Run until Home Assistant has nothing left to do; whatever waits for a
        timer (a hanging test, a slow answer, a timeout) gets it by moving the
        clock to the next timer (bounded)."""
        loop = asyncio.get_running_loop()
        spent = timedelta(0)
        for _ in range(JUMPS_MAX):
            await quiesce(loop)
            pending = _pending(self.hass)
            if not pending:
                self.longest = max(self.longest, spent)
                return
            jobs = [task for task in pending if not isinstance(task, asyncio.Task)]
            if jobs:
                # Executor jobs run in real time: wait for them (bounded).
                for _ in range(int(EXECUTOR_WAIT_MAX / REAL_PAUSE)):
                    if all(job.done() for job in jobs):
                        break
                    await _real_pause(loop)
                continue
            now = loop.time()
            due = [
                handle.when()
                for handle in get_scheduled_timer_handles(loop)
                if not handle.cancelled()
            ]
            if not due:
                raise AssertionError(f"waiting with no timer: {pending}")
            step = timedelta(seconds=max(min(due) - now, 0.0) + 0.01)
            spent += step
            if spent > JUMP_BUDGET:
                raise AssertionError(
                    f"still busy {spent} after the check began: {pending}"
                )
            self.jumps += 1
            self.jumped += step
            self.freezer.tick(step)
            async_fire_time_changed(self.hass)
        raise AssertionError(f"still busy after {JUMPS_MAX} timers")

    async def settle_connections(self) -> None:
        """Let the idle keep-alive connections close (15 s on our side), as they
        have before every check: how many are open right after a check varies."""
        self.freezer.tick(KEEP_ALIVE_OVER)
        async_fire_time_changed(self.hass)
        await self.drive()

    async def next_check(self) -> None:
        """The health interval passes; the checks (and heal runs) due run."""
        self.freezer.tick(HEALTH_INTERVAL)
        async_fire_time_changed(self.hass)
        await self.drive()


# -- what is watched ------------------------------------------------------------


class LogWatch(logging.Handler):
    """Counts warnings and errors; keeps the ones with a traceback (bounded)."""

    KEEP = 20

    def __init__(self) -> None:
        """Watch from warnings up."""
        super().__init__(logging.WARNING)
        self.levels: Counter[str] = Counter()
        self.by_logger: Counter[str] = Counter()
        self.tracebacks: list[str] = []
        self.server_tracebacks: list[str] = []
        self.traceback_count = 0
        self.server_traceback_count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record."""
        self.levels[record.levelname] += 1
        self.by_logger[f"{record.levelname} {record.name}"] += 1
        message = record.getMessage()
        if record.exc_info is None and "Traceback" not in message:
            return
        text = f"{record.name} {record.levelname}: {message}"
        if record.exc_info is not None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.name.startswith(SERVER_LOGGERS):
            self.server_traceback_count += 1
            if len(self.server_tracebacks) < self.KEEP:
                self.server_tracebacks.append(text)
        else:
            self.traceback_count += 1
            if len(self.tracebacks) < self.KEEP:
                self.tracebacks.append(text)


@dataclass
class LoopErrors:
    """Calls of the event loop's exception handler (kept bounded)."""

    count: int = 0
    kept: list[str] = field(default_factory=list)

    def install(
        self, loop: asyncio.AbstractEventLoop
    ) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None:
        """Record, then pass on to the handler in place (the harness's)."""
        previous = loop.get_exception_handler()

        def handler(
            handler_loop: asyncio.AbstractEventLoop, context: dict[str, Any]
        ) -> None:
            self.count += 1
            if len(self.kept) < LogWatch.KEEP:
                self.kept.append(
                    f"{context.get('message')}: {context.get('exception')!r}"
                )
            if previous is not None:
                previous(handler_loop, context)
            else:
                handler_loop.default_exception_handler(context)

        loop.set_exception_handler(handler)
        return previous


@dataclass
class Events:
    """The integration's indexer events, counted; each disable and enable
    judged against the fault its indexer has at that moment."""

    chaos: Chaos
    # Config entry id -> instance name.
    names: dict[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    disabled_for: Counter[str] = field(default_factory=Counter)
    # Disabled with no fault (or one the app only warns about), during an
    # outage, or for a cause that never disables; enabled while still failing.
    wrong: list[str] = field(default_factory=list)

    def _judge(self, name: str, event: Event) -> None:
        instance = self.names.get(event.data["config_entry_id"], "?")
        key = (instance, event.data["indexer_id"])
        fault = self.chaos.kinds.get(key)
        what = f"{name} {instance} #{key[1]} ({event.data['cause']}, fault {fault})"
        if name == "disabled":
            self.disabled_for[fault or "none"] += 1
            if (
                fault in (None, "no_results", "outage")
                or event.data["cause"] in NEVER_DISABLED
            ):
                self.wrong.append(what)
        elif name == "enabled" and fault not in (None, "no_results"):
            self.wrong.append(what)

    def listen(self, hass: HomeAssistant) -> list[Callable[[], None]]:
        """Count each kind."""

        def counter(name: str) -> Callable[[Event], None]:
            @callback
            def count(event: Event) -> None:
                self.counts[name] += 1
                self._judge(name, event)

            return count

        return [
            hass.bus.async_listen(event, counter(name))
            for event, name in (
                (EVENT_INDEXER_DISABLED, "disabled"),
                (EVENT_INDEXER_ENABLED, "enabled"),
                (EVENT_INDEXER_FAILED, "failed"),
                (EVENT_INDEXER_RECOVERED, "recovered"),
            )
        ]


def forget_records(simulator: ArrSimulator) -> None:
    """Drop what the harness keeps of every request, storage write and log record.

    The simulator's request logs are bounded but fill up over the first checks
    (``Traffic`` counts the requests); the test harness's mock storage
    (``hass_storage``) is an autospec mock that keeps every write's data in its
    call list; pytest keeps every log record (``LogWatch`` has seen them), and
    the error records of failed updates hold their exception, its traceback and
    the frames' locals. None of it is Home Assistant's nor the integration's.
    """
    for instance in simulator.instances.values():
        instance.clear_requests()
    for name in ("_async_load", "_async_write_data", "async_remove"):
        # An autospec function keeps its mock in ``.mock``.
        mocked = getattr(getattr(storage.Store, name), "mock", None)
        if isinstance(mocked, NonCallableMock):
            mocked.reset_mock()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, LogCaptureHandler):
            handler.reset()


def drop_tracebacks(entries: Iterable[ArrConfigEntry]) -> None:
    """Drop the tracebacks of the coordinators' last exceptions.

    A DataUpdateCoordinator keeps ``last_exception`` after it recovers, and its
    traceback keeps the frames of the failed update with their locals (the
    indexers as they were): bounded (one per coordinator), but more of them are
    held as more instances have failed once, which is not growth. Nothing reads
    the traceback again once the failure is logged.
    """
    for entry in loaded(entries):
        for coordinator in (entry.runtime_data.health, entry.runtime_data.heal):
            error: BaseException | None = coordinator.last_exception
            seen: set[int] = set()
            while error is not None and id(error) not in seen:
                seen.add(id(error))
                error.__traceback__ = None
                error = error.__cause__ or error.__context__


def task_counts(hass: HomeAssistant) -> tuple[int, int, int]:
    """The loop's tasks: the simulator's connection handlers, every other one,
    and Home Assistant's tracked ones."""
    tasks = asyncio.all_tasks()
    connections = sum(
        1
        for task in tasks
        if getattr(task.get_coro(), "__qualname__", "") == "RequestHandler.start"
    )
    tracked = len(hass._tasks) + len(hass._background_tasks)  # noqa: SLF001
    return connections, len(tasks) - connections, tracked


def traced_memory() -> int:
    """Python memory allocated since tracing began and still held."""
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    return current


def rss_now() -> int:
    """The process's resident memory now, in bytes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares growth per check of (check, bytes) samples."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


def without_flags(resources: Mapping[int, Mapping[str, Any]]) -> dict[int, Any]:
    """Every resource but its enable flags."""
    return {
        indexer_id: {k: v for k, v in res.items() if k not in FLAG_KEYS}
        for indexer_id, res in resources.items()
    }


def flags_of(resources: Mapping[int, Mapping[str, Any]]) -> dict[int, Any]:
    """Every resource's enable flags."""
    return {
        indexer_id: {k: res[k] for k in FLAG_KEYS if k in res}
        for indexer_id, res in resources.items()
    }


def differences(
    start: Mapping[str, Mapping[int, Mapping[str, Any]]],
    simulator: ArrSimulator,
    part: Callable[[Mapping[int, Mapping[str, Any]]], dict[int, Any]],
) -> list[str]:
    """Where a part of the stored resources differs from the start."""
    found: list[str] = []
    for name, instance in simulator.instances.items():
        before, now = part(start[name]), part(instance.indexers)
        for indexer_id in sorted(before.keys() | now.keys()):
            old, new = before.get(indexer_id), now.get(indexer_id)
            if old == new:
                continue
            if old is None or new is None:
                found.append(f"{name} #{indexer_id}: {old!r} -> {new!r}")
                continue
            found.extend(
                f"{name} #{indexer_id} {key}: {old.get(key)!r} -> {new.get(key)!r}"
                for key in sorted(old.keys() | new.keys())
                if old.get(key) != new.get(key)
            )
    return found


@dataclass
class Progress:
    """Checks each instance ran, failed (its update), missed; heal runs."""

    entries: list[ArrConfigEntry]
    ran: int = 0
    failed: int = 0
    missed: int = 0
    heal_runs: int = 0
    most_owned: int = 0
    not_loaded: list[str] = field(default_factory=list)
    _last: dict[str, Any] = field(default_factory=dict)
    _heals: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Note where each instance stands after the set-up."""
        for entry in self.entries:
            self._last[entry.entry_id] = entry.runtime_data.health.data.last_checked
            self._heals[entry.entry_id] = None

    def note(self) -> None:
        """After a check: did every instance's check run (or fail)?"""
        owned = 0
        for entry in self.entries:
            if entry.state is not ConfigEntryState.LOADED:
                self.not_loaded.append(f"{entry.title}: {entry.state} ({entry.reason})")
                continue
            health = entry.runtime_data.health
            heal = entry.runtime_data.heal
            owned += len(entry.runtime_data.ledger.owned)
            if not health.last_update_success:
                self.failed += 1
            elif health.data.last_checked != self._last[entry.entry_id]:
                self.ran += 1
            else:
                self.missed += 1
            self._last[entry.entry_id] = health.data.last_checked
            at = heal.data.at if heal.data is not None else None
            if at is not None and at != self._heals[entry.entry_id]:
                self.heal_runs += 1
            self._heals[entry.entry_id] = at
        self.most_owned = max(self.most_owned, owned)


def owned_now(entries: Iterable[ArrConfigEntry]) -> int:
    """Indexers auto-heal holds disabled now."""
    return sum(len(entry.runtime_data.ledger.owned) for entry in loaded(entries))


def loaded(entries: Iterable[ArrConfigEntry]) -> list[ArrConfigEntry]:
    """The entries set up now (one may be reloading or failing to set up)."""
    return [entry for entry in entries if entry.state is ConfigEntryState.LOADED]


INTEGRATION = "custom_components.ai_arr_control"
# What an entry is made of: never more of them than entries (and their entities).
STRUCTURAL: tuple[type, ...] = (
    Entity,
    DataUpdateCoordinator,
    ArrClient,
    ArrPush,
    ArrStack,
    IndexerControl,
    IndexerLedger,
    InstanceIssues,
)


def census() -> tuple[Counter[str], Counter[str]]:
    """Live objects of the integration's classes (the garbage collector's view):
    all of them, and the structural ones (entries' parts and entities)."""
    gc.collect()
    every: Counter[str] = Counter()
    structural: Counter[str] = Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        if not kind.__module__.startswith(INTEGRATION):
            continue
        every[kind.__qualname__] += 1
        if isinstance(obj, STRUCTURAL):
            structural[kind.__qualname__] += 1
    return every, structural


@dataclass
class Memory:
    """Traced memory after the warm-up: samples, and what tracebacks held."""

    samples: list[tuple[int, int]] = field(default_factory=list)
    tracebacks: list[int] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    census: list[tuple[Counter[str], Counter[str]]] = field(default_factory=list)

    def sample(self, check: int, entries: list[ArrConfigEntry], *, count: bool) -> None:
        """Traced memory now, without the failed updates' old frames; with
        ``count``, the integration's live objects too."""
        held = traced_memory()
        drop_tracebacks(entries)
        current = traced_memory()
        self.samples.append((check, current))
        self.tracebacks.append(held - current)
        self.rss.append(rss_now())
        if count:
            self.census.append(census())


MIB = 1024 * 1024


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.freeze_time(START)
# A bound for a run gone wrong: about 3x the time a full run takes here.
@pytest.mark.timeout(max(900, INSTANCES * INDEXERS * CHECKS // 100))
async def test_soak(
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run the soak, print its figures, check what must hold."""
    began = os.times().elapsed
    loop = asyncio.get_running_loop()
    loop.set_debug(LOOP_DEBUG)
    root = logging.getLogger()
    level = root.level
    # Debug and info records of a long run would only fill the harness's capture.
    root.setLevel(logging.WARNING)
    watch = LogWatch()
    root.addHandler(watch)
    loop_errors = LoopErrors()
    previous_handler = loop_errors.install(loop)
    unlisten: list[Callable[[], None]] = []
    memory = Memory()
    durations: list[float] = []
    if TRACE:
        # From the start: what the set-up built is traced too, so an object
        # replaced later (an entry reloaded) is not counted as new.
        tracemalloc.start(FRAMES)
    try:
        simulator = await arr_simulator_factory(simulator_config())
        quiet_simulator(simulator)
        traffic = Traffic()
        for instance in simulator.instances.values():
            traffic.watch(instance, monkeypatch)
        clock = Clock(hass, freezer)
        entries: list[ArrConfigEntry] = await setup_entries(
            hass, simulator.instances.values()
        )
        await clock.drive()
        forget_records(simulator)
        for entry, instance in zip(entries, simulator.instances.values(), strict=True):
            assert entry.state is ConfigEntryState.LOADED, entry.title
            assert len(entry.runtime_data.health.data.indexers) == len(
                instance.indexers
            ), entry.title
        setup_wall = os.times().elapsed - began
        start = {
            name: copy.deepcopy(instance.indexers)
            for name, instance in simulator.instances.items()
        }
        progress = Progress(entries)
        by_name = dict(zip(simulator.instances, entries, strict=True))
        reauthentications = 0

        async def reauthenticate(name: str) -> None:
            """The user gives the key again (the entry then reloads)."""
            nonlocal reauthentications
            entry = by_name[name]
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
                context = flow["context"]
                if (
                    context["source"] != SOURCE_REAUTH
                    or context.get("entry_id") != entry.entry_id
                ):
                    continue
                result = await hass.config_entries.flow.async_configure(
                    flow["flow_id"],
                    {CONF_API_KEY: simulator.instance(name).api_key},
                )
                assert result["type"] is FlowResultType.ABORT, result
                assert result["reason"] == "reauth_successful", result
                reauthentications += 1

        chaos = Chaos(simulator, random.Random(SEED))  # noqa: S311 - repeatable faults, no secret
        chaos.reauthenticate = reauthenticate

        def unseen(name: str) -> Collection[int]:
            """Paused for a quota, or passed with a warning (tested again in
            24 h): what the health check does not test for now."""
            entry = by_name[name]
            if entry.state is not ConfigEntryState.LOADED:
                return ()
            now = dt_util.utcnow()
            return {
                indexer_id
                for indexer_id, health in entry.runtime_data.health.data.indexers.items()
                if health.paused(now)
                or (health.passed is True and health.warning is not None)
            }

        chaos.unseen = unseen
        events = Events(
            chaos, {entry.entry_id: name for name, entry in by_name.items()}
        )
        unlisten = events.listen(hass)
        tasks_start = task_counts(hass)
        tests_at_setup = traffic.tests
        every = max(1, (CHECKS - WARM_UP) // SAMPLES)
        first: tracemalloc.Snapshot | None = None
        tasks_sample = tasks_start
        checks_began = os.times().elapsed
        for check in range(1, CHECKS + 1):
            check_began = os.times().elapsed
            await chaos.step()
            await clock.next_check()
            progress.note()
            forget_records(simulator)
            durations.append(os.times().elapsed - check_began)
            if check == TASKS_AT:
                tasks_sample = task_counts(hass)
            if check >= WARM_UP and ((check - WARM_UP) % every == 0 or check == CHECKS):
                await clock.settle_connections()
                if TRACE:
                    memory.sample(check, entries, count=check in (WARM_UP, CHECKS))
                if TOP and check == WARM_UP:
                    first = tracemalloc.take_snapshot()
        checks_wall = os.times().elapsed - checks_began
        tasks_end = task_counts(hass)
        if first is not None:
            top = tracemalloc.take_snapshot().compare_to(first, "traceback")[:TOP]
            del first
            for stat in top:
                print(stat)
                for line in stat.traceback.format()[-12:]:
                    print("   ", line)
        if TRACE:
            tracemalloc.stop()
        owned_at_end = owned_now(entries)
        settings_lost = differences(start, simulator, without_flags)

        # Every fault over: everything auto-heal disabled comes back.
        await chaos.clear_all()
        cool_down = 0
        flags_lost = differences(start, simulator, flags_of)
        while cool_down < COOL_DOWN_CHECKS and (
            cool_down < COOL_DOWN_MIN or flags_lost
        ):
            await clock.next_check()
            progress.note()
            forget_records(simulator)
            cool_down += 1
            flags_lost = differences(start, simulator, flags_of)
        settings_lost += differences(start, simulator, without_flags)
        reauth = sum(
            1
            for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            if flow["context"]["source"] == SOURCE_REAUTH
        )
        still_failing = [
            entry.title
            for entry in entries
            if entry.state is not ConfigEntryState.LOADED
            or not entry.runtime_data.health.last_update_success
        ]
        wall = os.times().elapsed - began
    finally:
        for remove in unlisten:
            remove()
        loop.set_exception_handler(previous_handler)
        root.removeHandler(watch)
        root.setLevel(level)
        if tracemalloc.is_tracing():
            tracemalloc.stop()

    prowlarrs = sum(1 for n in range(INSTANCES) if app_of(n) == "Prowlarr")
    tenth = max(1, CHECKS // 10)
    print()
    print(
        f"soak: {INSTANCES} instances x {INDEXERS} indexers ({prowlarrs} Prowlarr),"
        f" {CHECKS} health checks with random faults (seed {SEED}), then {cool_down}"
        f" without; tracemalloc {'on' if TRACE else 'off'}, asyncio debug"
        f" {'on' if LOOP_DEBUG else 'off'}"
    )
    print(
        f"  wall time {wall:.1f} s: set-up {setup_wall:.1f} s, {CHECKS} checks"
        f" {checks_wall:.1f} s ({checks_wall / CHECKS * 1000:.0f} ms per check; first"
        f" {tenth} {sum(durations[:tenth]) / tenth * 1000:.0f} ms, last {tenth}"
        f" {sum(durations[-tenth:]) / tenth * 1000:.0f} ms), cool-down"
        f" {wall - setup_wall - checks_wall:.1f} s"
    )
    print(
        f"  instance checks: {progress.ran} ran, {progress.failed} failed (instance"
        f" faults), {progress.missed} missed, of {(CHECKS + cool_down) * INSTANCES};"
        f" heal runs {progress.heal_runs}"
    )
    print(
        f"  tests made {traffic.tests - tests_at_setup} (+{tests_at_setup} at set-up),"
        f" flag writes {traffic.writes}, requests {traffic.requests}"
    )
    print(
        f"  disables {events.counts['disabled']}, enables {events.counts['enabled']};"
        f" failed {events.counts['failed']}, recovered {events.counts['recovered']}"
        f" (events); most indexers auto-disabled at once {progress.most_owned}, at"
        f" the end of the faults {owned_at_end}, after the cool-down"
        f" {owned_now(entries)}"
    )
    print(
        f"  re-authentications (each reloads the entry): {reauthentications};"
        f" re-authentication flows open at the end: {reauth}; entries found not"
        f" loaded after a check: {len(progress.not_loaded)}"
        + (
            f" ({', '.join(sorted(set(progress.not_loaded)))})"
            if progress.not_loaded
            else ""
        )
    )
    print(
        "  disables by the fault the indexer had: "
        + ", ".join(f"{k} {v}" for k, v in sorted(events.disabled_for.items()))
        + f"; wrong disables or enables: {len(events.wrong)}"
    )
    print(
        "  faults started: "
        + ", ".join(f"{k} {v}" for k, v in sorted(chaos.started.items()))
    )
    print(
        f"  clock moved to a timer within a check {clock.jumps} times, {clock.jumped}"
        f" in all (at most {clock.longest} in one check)"
    )
    print(
        f"  tasks (simulator connections / all others / Home Assistant's tracked):"
        f" start {'/'.join(map(str, tasks_start))}, check {TASKS_AT}"
        f" {'/'.join(map(str, tasks_sample))}, end {'/'.join(map(str, tasks_end))}"
    )
    growth = per_100 = allowed = 0.0
    if memory.samples:
        (warm_check, warm), (_, end) = memory.samples[0], memory.samples[-1]
        growth = end - warm
        per_100 = growth * 100 / max(1, CHECKS - warm_check)
        allowed = (
            MEMORY_GROWTH_FLOOR + MEMORY_GROWTH_PER_100 * (CHECKS - warm_check) / 100
        )
        print(
            f"  traced memory (all the test allocated): check {warm_check}"
            f" {warm / MIB:.2f} MiB, check {CHECKS} {end / MIB:.2f} MiB:"
            f" {growth / MIB:+.2f} MiB (limit {allowed / MIB:.1f}),"
            f" {per_100 / 1024:+.0f} KiB per 100 checks; least-squares slope over"
            f" {len(memory.samples)} samples"
            f" {slope(memory.samples) * 100 / 1024:+.0f} KiB per 100 checks;"
            f" min {min(y for _, y in memory.samples) / MIB:.2f}, max"
            f" {max(y for _, y in memory.samples) / MIB:.2f} MiB"
        )
        print(
            "  (the failed updates' tracebacks kept by the coordinators, dropped"
            f" before each sample, held {memory.tracebacks[0] / MIB:.2f} MiB at check"
            f" {warm_check}, {memory.tracebacks[-1] / MIB:.2f} MiB at the end, at most"
            f" {max(memory.tracebacks) / MIB:.2f} MiB)"
        )
        print(
            f"  RSS: check {warm_check} {memory.rss[0] / MIB:.0f} MiB, check {CHECKS}"
            f" {memory.rss[-1] / MIB:.0f} MiB; max RSS"
            f" {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    else:
        print(
            f"  max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
            " MiB"
        )
    structural_grown: dict[str, tuple[int, int]] = {}
    if len(memory.census) == 2:
        (every_warm, structural_warm), (every_end, structural_end) = memory.census
        grown = {
            kind: (every_warm[kind], count)
            for kind, count in every_end.items()
            if count > every_warm[kind]
        }
        structural_grown = {
            kind: (structural_warm[kind], count)
            for kind, count in structural_end.items()
            if count > structural_warm[kind]
        }
        print(
            f"  the integration's live objects: {every_warm.total()} at check"
            f" {WARM_UP}, {every_end.total()} at check {CHECKS}; of its entries'"
            f" parts and entities {structural_warm.total()} and"
            f" {structural_end.total()}; more of: "
            + (
                ", ".join(
                    f"{kind} {a}->{b}"
                    for kind, (a, b) in sorted(
                        grown.items(), key=lambda kv: kv[1][0] - kv[1][1]
                    )[:8]
                )
                or "none"
            )
        )
    print(
        f"  log records from warnings up: {dict(watch.levels)}; with a traceback:"
        f" {watch.traceback_count} (server side {watch.server_traceback_count});"
        f" loop exception handler calls {loop_errors.count}"
    )
    for name, count in watch.by_logger.most_common(6):
        print(f"    {count:6d}  {name}")
    print(
        f"  settings changed: {len(settings_lost)}; flags not back after the"
        f" cool-down: {len(flags_lost)}"
    )

    assert not watch.tracebacks, "\n\n".join(watch.tracebacks)
    assert not loop_errors.kept, loop_errors.kept
    assert not events.wrong, events.wrong[:20]
    assert not settings_lost, settings_lost[:20]
    assert not flags_lost, flags_lost[:20]
    assert owned_now(entries) == 0
    assert not still_failing, still_failing
    assert reauth == 0
    assert progress.missed == 0
    connections, others, tracked = tasks_end
    assert others <= tasks_sample[1] + TASK_SLACK, (tasks_sample, tasks_end)
    assert tracked <= tasks_sample[2] + TASK_SLACK, (tasks_sample, tasks_end)
    # One per keep-alive connection: bounded by our tests at once per instance.
    assert connections <= INSTANCES * (TEST_CONCURRENCY + 4), tasks_end
    assert not structural_grown, structural_grown
    assert growth < allowed, f"{growth / MIB:.2f} MiB more after the warm-up"
