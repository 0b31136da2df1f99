"""Recorder-growth benchmark: what three simulated days write to the database.

Not a unit test: it prints figures. The demo stack of the simulator (Prowlarr,
Radarr and Sonarr with Full Sync, Radarr 4K with Add and Remove Only) runs for
3 simulated days (UTC days from midnight) in 5-minute steps with the default
options (push decided by reachability, a health check every 30 minutes, a heal
run every 2 hours, the health watch every 5 minutes) into a real recorder:
SQLite in a file under pytest's tmp_path, committed after every step. The apps
make no traffic of their own (no RSS syncs): every check is one of our tests.

One indexer per instance passes every check (the stable indexers); Radarr's
GeekNZB flaps: its tests fail ("Invalid API Key") at every other check and pass
at the others. From the ``states`` table (with ``states_meta``), per simulated
day: the state rows of each stable indexer's entities (all of them: those
disabled by default are counted too, and write nothing), of the flapping
indexer's, of the instances' own entities and in all; the new
``state_attributes`` rows (shared attributes, dated by the first state row that
uses them); and the logbook's lines: our ``ai_arr_control_*`` events (from the
``events`` table) and the state changes the logbook shows (its own rules: a
changed state, not an attribute-only update, no sensor with a unit, a state
class or a numeric device class). Entities that write rows after the first day
are listed, with how many of their rows repeat the state (an attribute change:
Home Assistant writes a row for it even if the attribute itself is unrecorded).

Run twice: with the entities as created (the default) and with every entity
enabled, as a user who turns on the diagnostic sensors would have them. The
first run also compiles statistics every 5 minutes, as Home Assistant does (the
test harness leaves that off), and counts the ``statistics_short_term`` and
``statistics`` rows. Time is frozen, so the Arr client's clock is replaced to
give the indexer tests varying response times (0.2-0.8 s), as real ones have.

Goal (the issue): no state rows for a stable indexer after the first day; for
an indexer that flaps at every check, just measured.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
import logging
import os
from pathlib import Path
import time
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from sqlalchemy import select
from sqlalchemy.orm import aliased

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from benchmarks.demo_stack import NAMES, set_up_demo_stack
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.components.logbook.helpers import is_sensor_continuous
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.db_schema import (
    EventData,
    Events,
    EventTypes,
    StateAttributes,
    States,
    StatesMeta,
    Statistics,
    StatisticsMeta,
    StatisticsShortTerm,
)
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

START = datetime.fromisoformat("2026-11-28 00:00:00+00:00")
DAYS = 3
STEP = timedelta(minutes=5)
CHECK_MINUTES = 30
# Checks and pushes are due a moment after a step: the health checks' jitter (up
# to a second) and the push debounce (2 s).
AFTER = timedelta(seconds=5)
# (instance, indexer id): one indexer per instance that passes every check.
STABLE = (("prowlarr", 1), ("radarr", 2), ("radarr4k", 2), ("sonarr", 2))
# Radarr's GeekNZB: fails at every other check.
FLAPPING = ("radarr", 1)
FAULT = "Invalid API Key"
LABEL = 62


@pytest.fixture(autouse=True)
def quiet_loggers() -> Generator[None]:
    """Keep two loggers quiet: the harness logs every SQL statement (some 24 MB
    here), and aiohttp's access log fails to find the time zone under frozen
    time at every push."""
    loggers = [logging.getLogger(n) for n in ("sqlalchemy.engine", "aiohttp.access")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def recorder_db_url(tmp_path: Path) -> str:
    """A real SQLite file (the test harness's default is in memory)."""
    return f"sqlite:///{tmp_path / 'home-assistant_v2.db'}"


@pytest.fixture
def enable_statistics(every_entity: bool) -> bool:
    """Compile statistics every 5 minutes, as Home Assistant does (the harness
    leaves it off): in the run with the default entities (it doubles the time)."""
    return not every_entity


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    quiet_loggers: None, recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (it must start before Home Assistant), then the
    custom integrations."""


@pytest.fixture(autouse=True)
def enable_event_loop_debug() -> None:
    """Leave asyncio's debug mode off (the harness turns it on): its stack
    captures at every callback would double the wall time."""


class ClientTime:
    """The Arr client's ``time``: every read of ``perf_counter`` moves it on by
    0.2 to 0.8 s, so the tests' response times vary as real ones do (under
    frozen time they would all be 0 ms)."""

    def __init__(self) -> None:
        """Start the clock."""
        self._now = 0.0
        self._reads = 0

    def perf_counter(self) -> float:
        """A moment, a little later than the last one read."""
        self._reads += 1
        self._now += 0.2 + (self._reads * 0.137) % 0.6
        return self._now

    def __getattr__(self, name: str) -> Any:
        """Everything else from the real module."""
        return getattr(time, name)


@pytest.fixture(autouse=True)
def response_times() -> Generator[None]:
    """Varying response times for the indexer tests."""
    with patch("custom_components.ai_arr_control.arr.client.time", ClientTime()):
        yield


@pytest.fixture(params=[False, True], ids=["default-entities", "every-entity"])
def every_entity(request: pytest.FixtureRequest) -> Generator[bool]:
    """Whether the entities disabled by default are created enabled."""
    if not request.param:
        yield False
        return
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield True


@dataclass(frozen=True)
class StateRow:
    """One row of the states table, with what the logbook needs."""

    entity_id: str
    state: str | None
    last_updated_ts: float
    last_changed_ts: float | None
    attributes_id: int | None
    shared_attrs: str | None
    has_old_state: bool
    old_state: str | None


@dataclass(frozen=True)
class Recorded:
    """What the recorder wrote: the states and our events (type, time fired,
    data)."""

    states: list[StateRow]
    events: list[tuple[str, float, dict[str, Any]]]
    # (statistic id, period start) of the short-term and long-term statistics.
    short_term: list[tuple[str, float]]
    long_term: list[tuple[str, float]]
    file_size: int


def read_database(hass: HomeAssistant) -> Recorded:
    """Read the states and our events (in the recorder's executor)."""
    old = aliased(States)
    with session_scope(hass=hass, read_only=True) as session:
        states = [
            StateRow(
                entity_id=row[0],
                state=row[1],
                last_updated_ts=row[2],
                last_changed_ts=row[3],
                attributes_id=row[4],
                shared_attrs=row[5],
                has_old_state=row[6] is not None,
                old_state=row[7],
            )
            for row in session.execute(
                select(
                    StatesMeta.entity_id,
                    States.state,
                    States.last_updated_ts,
                    States.last_changed_ts,
                    States.attributes_id,
                    StateAttributes.shared_attrs,
                    old.state_id,
                    old.state,
                )
                .join(StatesMeta, States.metadata_id == StatesMeta.metadata_id)
                .outerjoin(
                    StateAttributes,
                    States.attributes_id == StateAttributes.attributes_id,
                )
                .outerjoin(old, States.old_state_id == old.state_id)
                .order_by(States.state_id)
            )
        ]
        events = [
            (str(row[0]), float(row[1]), json.loads(row[2] or "{}"))
            for row in session.execute(
                select(
                    EventTypes.event_type, Events.time_fired_ts, EventData.shared_data
                )
                .join(EventTypes, Events.event_type_id == EventTypes.event_type_id)
                .outerjoin(EventData, Events.data_id == EventData.data_id)
                .where(EventTypes.event_type.like(f"{DOMAIN}_%"))
            )
        ]
        statistics = {
            table: [
                (str(row[0]), float(row[1]))
                for row in session.execute(
                    select(StatisticsMeta.statistic_id, table.start_ts).join(
                        StatisticsMeta, table.metadata_id == StatisticsMeta.id
                    )
                )
            ]
            for table in (StatisticsShortTerm, Statistics)
        }
    database = Path(get_instance(hass).db_url.removeprefix("sqlite:///"))
    return Recorded(
        states,
        events,
        statistics[StatisticsShortTerm],
        statistics[Statistics],
        database.stat().st_size,
    )


def day_of(timestamp: float) -> int:
    """The simulated day (0-based) of a moment."""
    return int((timestamp - START.timestamp()) // 86400)


def per_day(timestamps: Iterable[float]) -> list[int]:
    """How many moments fall on each simulated day (not after the last)."""
    counts = Counter(day_of(ts) for ts in timestamps)
    return [counts[day] for day in range(DAYS)]


def line(label: str, counts: Iterable[int | str], note: str = "") -> str:
    """A line of the table: a label, a figure per day, a note."""
    return f"  {label:<{LABEL}}" + "".join(f"{c:>7}" for c in counts) + note


def shows_in_logbook(row: StateRow, continuous: Callable[[str], bool]) -> bool:
    """Whether the logbook shows the row as a line (its SQL and processor rules)."""
    if not row.has_old_state or row.state is None or row.state == row.old_state:
        return False
    if row.last_changed_ts is not None and row.last_changed_ts != row.last_updated_ts:
        return False
    domain = row.entity_id.partition(".")[0]
    if domain in ("counter", "image", "proximity"):
        return False
    if domain in ("sensor", "input_number", "number"):
        attributes: dict[str, Any] = json.loads(row.shared_attrs or "{}")
        if "unit_of_measurement" in attributes:
            return False
    return not (domain == "sensor" and continuous(row.entity_id))


async def settle(hass: HomeAssistant, simulator: ArrSimulator) -> None:
    """Let Home Assistant and the simulator's pushes finish (time is frozen)."""
    for _ in range(5):
        await hass.async_block_till_done(wait_background_tasks=True)
        sent = [await i.wait_sent() for i in simulator.instances.values()]
        if not any(sent):
            return
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


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.freeze_time(START)
async def test_recorder_growth(
    every_entity: bool,
    hass: HomeAssistant,
    arr_simulator_factory: ArrSimulatorFactory,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Run three days and print what the recorder wrote."""
    simulator = await arr_simulator_factory()
    entries = await set_up_demo_stack(hass, simulator, hass_client_no_auth)
    await settle(hass, simulator)
    await async_wait_recording_done(hass)

    flapping = simulator.instance(FLAPPING[0])
    began = os.times().elapsed
    checks = 1
    steps = int(timedelta(days=DAYS) / STEP)
    # The last step is the end of the last day: what happens then is not
    # counted, but the statistics of the day's last 5 minutes and last hour are
    # compiled then (10 s after).
    for step in range(1, steps + 1):
        now = START + step * STEP
        minute = int((now - START).total_seconds() // 60)
        if minute % CHECK_MINUTES == 0:
            checks += 1 if step < steps else 0
            if (minute // CHECK_MINUTES) % 2:
                flapping.set_indexer_fault(FLAPPING[1], fail=FAULT)
            else:
                flapping.clear_indexer_fault(FLAPPING[1])
        await tick(hass, simulator, freezer, now)
        after = AFTER if step < steps else timedelta(seconds=10)
        await tick(hass, simulator, freezer, now + after)
        await async_wait_recording_done(hass)
    wall = os.times().elapsed - began

    recorded = await get_instance(hass).async_add_executor_job(read_database, hass)
    registry = er.async_get(hass)
    instance_names = {
        name: simulator.instance(name).config.instance_name for name in NAMES
    }

    def entities_of(name: str, indexer_id: int | None) -> list[er.RegistryEntry]:
        entry_id = entries[name].entry_id
        found = er.async_entries_for_config_entry(registry, entry_id)
        if indexer_id is None:
            return [e for e in found if "_indexer_" not in e.unique_id]
        prefix = f"{entry_id}_indexer_{indexer_id}_"
        return sorted(
            (e for e in found if e.unique_id.startswith(prefix)),
            key=lambda e: e.entity_id,
        )

    def key_of(entity_id: str) -> str:
        """What an entity is, from its unique id (e.g. tests_today)."""
        entity = registry.async_get(entity_id)
        if entity is None or entity.config_entry_id is None:
            return entity_id
        key = entity.unique_id.removeprefix(f"{entity.config_entry_id}_")
        if key.startswith("indexer_"):
            return "indexer " + key.split("_", 2)[2]
        return key

    def indexer_name(name: str, indexer_id: int) -> str:
        resource = simulator.instance(name).indexers[indexer_id]
        return f"{instance_names[name]} {resource['name']}"

    ours = [
        e
        for name in NAMES
        for e in er.async_entries_for_config_entry(registry, entries[name].entry_id)
    ]
    instance_level = [e for name in NAMES for e in entities_of(name, None)]
    indexer_level = [e for e in ours if "_indexer_" in e.unique_id]
    flapper = entities_of(*FLAPPING)
    by_entity: dict[str, list[StateRow]] = defaultdict(list)
    for row in recorded.states:
        by_entity[row.entity_id].append(row)

    def rows_of(entities: Iterable[er.RegistryEntry]) -> list[int]:
        return per_day(
            r.last_updated_ts for e in entities for r in by_entity[e.entity_id]
        )

    def repeats_of(entity: er.RegistryEntry) -> list[int]:
        """Rows that repeat the state: only attributes changed."""
        return per_day(
            r.last_updated_ts
            for r in by_entity[entity.entity_id]
            if r.has_old_state and r.state == r.old_state
        )

    continuous_cache: dict[str, bool] = {}

    def continuous(entity_id: str) -> bool:
        if entity_id not in continuous_cache:
            continuous_cache[entity_id] = is_sensor_continuous(
                hass, registry, entity_id
            )
        return continuous_cache[entity_id]

    def logbook_of(entities: Iterable[er.RegistryEntry]) -> list[int]:
        return per_day(
            r.last_updated_ts
            for e in entities
            for r in by_entity[e.entity_id]
            if shows_in_logbook(r, continuous)
        )

    def enabled(entities: Iterable[er.RegistryEntry]) -> int:
        return sum(1 for e in entities if not e.disabled_by)

    def group(label: str, entities: list[er.RegistryEntry]) -> list[str]:
        """A group's line, then its entities that write rows after the first day."""
        lines = [
            line(
                f"{label} ({len(entities)} entities, {enabled(entities)} enabled)",
                rows_of(entities),
            )
        ]
        for entity in entities:
            counts = rows_of([entity])
            if any(counts[1:]):
                repeats = repeats_of(entity)
                note = (
                    f"  attribute-only: {', '.join(map(str, repeats))}"
                    if any(repeats)
                    else ""
                )
                lines.append(line(f"  {entity.entity_id}", counts, note))
        return lines

    # A shared-attributes row is written the first time a state uses it.
    first_use: dict[int, StateRow] = {}
    for row in recorded.states:
        if row.attributes_id is not None and row.attributes_id not in first_use:
            first_use[row.attributes_id] = row
    attribute_rows = per_day(r.last_updated_ts for r in first_use.values())
    attribute_writers = Counter(
        r.entity_id for r in first_use.values() if day_of(r.last_updated_ts) > 0
    )

    status = next(e.entity_id for e in flapper if e.unique_id.endswith("_status"))
    flips = sum(
        1
        for r in by_entity[status]
        if r.has_old_state
        and r.old_state != r.state
        and r.state in ("on", "off")
        and day_of(r.last_updated_ts) < DAYS
    )
    stable_rows = {(name, i): rows_of(entities_of(name, i)) for name, i in STABLE}
    after_first = [sum(c[1:]) for c in stable_rows.values()]
    days = [f"day {d + 1}" for d in range(DAYS)]
    variant = "every entity enabled" if every_entity else "entities as created"

    out = [
        "",
        (
            f"recorder growth ({variant}): {DAYS} simulated days of the demo stack "
            f"({len(NAMES)} instances, {len(indexer_level)} indexer and "
            f"{len(instance_level)} instance entities, {enabled(ours)} enabled), "
            f"default options, {checks} health checks each, Radarr's GeekNZB "
            f"flapping ({wall:.1f} s of wall time)"
        ),
        (
            "  recorder: SQLite file in tmp_path, committed after every 5-minute "
            f"step, {recorded.file_size / 1024:.0f} KiB at the end"
        ),
        line("state rows written (day 1 includes the first state)", days),
    ]
    for name, indexer_id in STABLE:
        entities = entities_of(name, indexer_id)
        out += group(f"stable: {indexer_name(name, indexer_id)}", entities)
        if name == "radarr":
            silent = [e.entity_id for e in entities if e.disabled_by]
            if silent:
                out.append(
                    f"    disabled by default, so nothing written: {', '.join(silent)}"
                )
    out += group(f"flapping: {indexer_name(*FLAPPING)}", flapper)
    out += group("instance-level entities", instance_level)
    out += [
        line(
            f"all indexer entities ({len(indexer_level)}, "
            f"{enabled(indexer_level)} enabled)",
            rows_of(indexer_level),
        ),
        line(
            "total (every entity in the database)",
            per_day(r.last_updated_ts for r in recorded.states),
        ),
        line("state_attributes rows written (new shared attributes)", attribute_rows),
    ]
    if not every_entity:
        keys = Counter(key_of(i) for i in {i for i, _ in recorded.long_term})
        out += [
            line(
                "statistics_short_term rows (5-minute statistics)",
                per_day(ts for _, ts in recorded.short_term),
            ),
            line(
                "statistics rows (hourly statistics, never purged)",
                per_day(ts for _, ts in recorded.long_term),
            ),
            f"    {sum(keys.values())} statistic ids (sensors with a state class): "
            + ", ".join(f"{n} {k}" for k, n in sorted(keys.items())),
        ]
    if attribute_writers:
        out.append(
            "    after day 1, first used by: "
            + ", ".join(f"{e} {n}" for e, n in attribute_writers.most_common(5))
        )
    out.append(line("logbook lines", days))
    out.append(line(f"{DOMAIN}_* events", per_day(ts for _, ts, _ in recorded.events)))
    for event_type in sorted({t for t, _, _ in recorded.events}):
        events = [
            (ts, data)
            for t, ts, data in recorded.events
            if t == event_type and day_of(ts) < DAYS
        ]
        note = ""
        if len(events) <= 5:
            note = "  " + ", ".join(
                f"{data.get('instance')} {data.get('indexer')}" for _, data in events
            )
        out.append(
            line(
                f"  {event_type.removeprefix(DOMAIN + '_')}",
                per_day(ts for ts, _ in events),
                note,
            )
        )
    out += [
        line(
            "state changes: stable indexers (all 4)",
            logbook_of(e for name, i in STABLE for e in entities_of(name, i)),
        ),
        line(f"state changes: {indexer_name(*FLAPPING)}", logbook_of(flapper)),
        line("state changes: instance-level entities", logbook_of(instance_level)),
        line("state changes: all of ours", logbook_of(ours)),
        (
            "  for comparison (the goal is for the entities as created), "
            if every_entity
            else "  goal, "
        )
        + "0 state rows per stable indexer per day after day 1: "
        + ("met" if not any(after_first) else "NOT met")
        + " ("
        + ", ".join(
            f"{indexer_name(*key)} {'/'.join(map(str, c[1:]))}"
            for key, c in stable_rows.items()
        )
        + f" on days 2-{DAYS}); flapping indexer: "
        f"{sum(rows_of(flapper)[1:]) / (DAYS - 1):.0f} rows/day, {flips} status flips",
    ]
    print("\n".join(out))

    assert flips >= checks // 2, "the flapping indexer did not flap"
    for key in STABLE:
        for entity in entities_of(*key):
            if entity.unique_id.endswith("_status"):
                states = {r.state for r in by_entity[entity.entity_id]}
                assert states == {"off"}, (entity.entity_id, states)
    for entry in entries.values():
        await hass.config_entries.async_unload(entry.entry_id)
    await async_wait_recording_done(hass)
