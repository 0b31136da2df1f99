"""Tests for indexer test / testall and the back-off they drive."""

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
from freezegun.api import FrozenDateTimeFactory
import pytest

from arr_simulator import ArrSimulator
from arr_simulator.pytest_plugin import ArrSimulatorFactory

from .helpers import FakeClock, call, get_json

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# EscalationBackOff.Periods in minutes, by escalation level.
PERIODS = [0, 1, 5, 15, 30, 60, 180, 360, 720, 1440]


async def test_test_passes_with_empty_object(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A passing test answers 200 {}."""
    radarr = arr_simulator.instance("radarr")
    body = await get_json(session, radarr, "/indexer/1")
    reply = await call(session, radarr, "POST", "/indexer/test", body=body)
    assert (reply.status, reply.json) == (200, {})


async def test_test_failure_shape(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """A failing test answers 400 with one NzbDroneValidationFailure."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    body = await get_json(session, radarr, "/indexer/1")
    reply = await call(session, radarr, "POST", "/indexer/test", body=body)
    assert reply.status == 400
    assert reply.json == [
        {
            "isWarning": False,
            "propertyName": "",
            "errorMessage": "Invalid API Key",
            "severity": "error",
        }
    ]


async def test_backoff_escalation_table(
    arr_simulator_factory: ArrSimulatorFactory, session: aiohttp.ClientSession
) -> None:
    """Each failed test escalates one level (capped at 9); a pass steps one down."""
    clock = FakeClock(START)
    simulator = await arr_simulator_factory(clock=clock)
    radarr = simulator.instance("radarr")
    radarr.set_indexer_fault(2, fail="Unable to connect to indexer")
    body = await get_json(session, radarr, "/indexer/2")
    for attempt in range(1, 12):
        clock.now = START + timedelta(hours=attempt)
        reply = await call(session, radarr, "POST", "/indexer/test", body=body)
        assert reply.status == 400
        status = radarr.status(2)
        level = min(attempt, 9)
        assert status.escalation_level == level
        assert status.disabled_till == clock.now + timedelta(minutes=PERIODS[level])
        assert status.initial_failure == START + timedelta(hours=1)
        assert status.most_recent_failure == clock.now
    radarr.clear_indexer_fault(2)
    for expected in (8, 7):
        reply = await call(session, radarr, "POST", "/indexer/test", body=body)
        assert reply.status == 200
        status = radarr.status(2)
        assert status.escalation_level == expected
        assert status.disabled_till is None
        assert status.initial_failure == START + timedelta(hours=1)


async def test_test_of_unsaved_resource_keeps_status(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """Testing a resource with id 0 does not record anything."""
    radarr = arr_simulator.instance("radarr")
    body = await get_json(session, radarr, "/indexer/1")
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=body | {"id": 0, "name": "New"}
    )
    assert reply.status == 200
    assert radarr.status(1).escalation_level == 0


async def test_test_validates_first(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """The resource validators run before the live test."""
    radarr = arr_simulator.instance("radarr")
    body = await get_json(session, radarr, "/indexer/1")
    reply = await call(
        session, radarr, "POST", "/indexer/test", body=body | {"priority": 0}
    )
    assert reply.status == 400
    assert reply.json[0]["propertyName"] == "Priority"


async def test_testall_tests_enabled_only_and_returns_400(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """testall skips disabled indexers and answers 400 with the whole array."""
    sonarr = arr_simulator.instance("sonarr")
    sonarr.set_indexer_fault(2, fail="Query successful, but no results were returned")
    reply = await call(session, sonarr, "POST", "/indexer/testall")
    assert reply.status == 400
    by_id = {item["id"]: item for item in reply.json}
    # 4 (LegacyIndexer, disabled) is not tested. 3 is: testall tests what is
    # enabled with valid settings, and the shared rules (its deleted download
    # client) are not settings (IndexerFactory.Test, ProviderControllerBase).
    assert sorted(by_id) == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert by_id[3]["isValid"] is True
    assert by_id[1] == {"id": 1, "isValid": True, "validationFailures": []}
    assert by_id[2] == {
        "id": 2,
        "isValid": False,
        "validationFailures": [
            {
                "propertyName": "",
                "errorMessage": "Query successful, but no results were returned",
                "severity": "error",
            }
        ],
    }
    # FlakyTracker is blocked in Prowlarr, which answers 429.
    assert "[429:TooManyRequests]" in by_id[8]["validationFailures"][0]["errorMessage"]
    assert sonarr.status(2).escalation_level == 1
    assert sonarr.status(1).escalation_level == 0


async def test_testall_all_valid_is_200(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """testall answers 200 when every tested indexer passes."""
    radarr4k = arr_simulator.instance("radarr4k")
    radarr4k.remove_indexer(7)
    radarr4k.clear_indexer_fault(1)
    reply = await call(session, radarr4k, "POST", "/indexer/testall")
    assert reply.status == 200
    assert [item["id"] for item in reply.json] == [1, 2, 4, 5, 6, 8, 9]
    assert all(item["isValid"] for item in reply.json)


async def test_testall_is_serial(
    arr_simulator: ArrSimulator, session: aiohttp.ClientSession
) -> None:
    """testall runs the tests one after another, so latencies add up."""
    radarr = arr_simulator.instance("radarr")
    for indexer_id in (1, 2, 3):
        radarr.set_indexer_fault(indexer_id, latency=0.1)
    loop_time = asyncio.get_running_loop().time
    started = loop_time()
    await call(session, radarr, "POST", "/indexer/testall")
    assert loop_time() - started >= 0.3


@pytest.mark.parametrize("minutes", [0.5, 2])
async def test_frozen_time_moves_the_simulator(
    arr_simulator: ArrSimulator,
    session: aiohttp.ClientSession,
    freezer: FrozenDateTimeFactory,
    minutes: float,
) -> None:
    """The default clock follows freezegun, so tests can age the back-off. The
    health is what the checks found when they last ran: a block that runs out
    stays named until they run again (a back-off change, CheckHealth, 6 h)."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="down")
    body = await get_json(session, radarr, "/indexer/1")
    await call(session, radarr, "POST", "/indexer/test", body=body)
    health = await get_json(session, radarr, "/health")
    assert any("GeekNZB" in item["message"] for item in health)
    freezer.tick(timedelta(minutes=minutes))
    # Level 1 blocks for one minute.
    assert (1 in radarr.state.blocked_ids()) is (minutes < 1)
    health = await get_json(session, radarr, "/health")
    assert any("GeekNZB" in item["message"] for item in health)
    await call(session, radarr, "POST", "/command", body={"name": "CheckHealth"})
    health = await get_json(session, radarr, "/health")
    assert any("GeekNZB" in item["message"] for item in health) is (minutes < 1)
    # The six-hourly run catches up without a command too.
    radarr.set_indexer_fault(2, fail="down")
    body = await get_json(session, radarr, "/indexer/2")
    await call(session, radarr, "POST", "/indexer/test", body=body)
    freezer.tick(timedelta(hours=6))
    health = await get_json(session, radarr, "/health")
    assert not any("TipsySlug" in item["message"] for item in health)
