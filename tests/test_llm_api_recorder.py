"""The LLM API's indexer story from the recorder: a week of a simulated
Radarr indexer's life, lived over frozen time through health checks, auto-heal
and the tools themselves, then told over 7 and 30 days."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockUser,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.llm_api import LLM_API_ID
from homeassistant.components.recorder import Recorder
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util

from .common import setup_entries, state_of
from .test_llm_api import readme_examples


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (it must start before Home Assistant), then the
    custom integrations as everywhere else."""


T0 = datetime(2026, 11, 1, 12, tzinfo=dt_util.UTC)
pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time(T0),
]
H = timedelta(hours=1)
D = timedelta(days=1)
STATE = "sensor.radarr_geeknzb_state"


def _local(moment: datetime) -> str:
    return dt_util.as_local(moment).isoformat()


async def _tool(
    hass: HomeAssistant, user: MockUser, tool: str, **args: Any
) -> dict[str, Any]:
    api = await llm.async_get_api(
        hass,
        LLM_API_ID,
        llm.LLMContext(
            platform="test",
            context=Context(user_id=user.id),
            language="en",
            assistant="conversation",
            device_id=None,
        ),
    )
    result = await api.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))
    assert not result.error, result.data
    return dict(result.data)


async def test_a_week_told_from_the_recorder(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Failing on its key, disabled by auto-heal and put back a day later, a
    six-hour network failure, half a day off by the user: uptime, outages,
    flaps, who disabled it and its causes, over 7 days and over 30."""
    radarr = arr_simulator.instance("radarr")
    (entry,) = await setup_entries(hass, [radarr])
    # Heal runs only when asked for (through the tool), not on their schedule.
    entry.runtime_data.ledger.set_auto_heal(False)

    async def at(moment: datetime) -> None:
        """Move on to a moment: the health checks due run there."""
        freezer.move_to(moment)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    assert state_of(hass, STATE) == "passing"
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    await at(T0 + 2 * D)
    assert state_of(hass, STATE) == "failing"
    await at(T0 + 2 * D + H)
    await _tool(hass, hass_admin_user, "heal_now", confirm=True)
    assert state_of(hass, STATE) == "auto_disabled"

    radarr.clear_indexer_fault(1)
    await at(T0 + 3 * D)
    assert state_of(hass, STATE) == "auto_disabled"
    await _tool(hass, hass_admin_user, "heal_now", confirm=True)
    assert state_of(hass, STATE) == "passing"

    radarr.set_indexer_fault(1, kind="dns")
    await at(T0 + 5 * D)
    assert state_of(hass, STATE) == "failing"
    radarr.clear_indexer_fault(1)
    await at(T0 + 5 * D + 6 * H)
    assert state_of(hass, STATE) == "passing"

    await at(T0 + 6 * D)
    switch = {"indexer": "GeekNZB", "confirm": True}
    await _tool(hass, hass_admin_user, "set_indexer_enabled", **switch, enabled=False)
    assert state_of(hass, STATE) == "user_disabled"
    await at(T0 + 6 * D + 12 * H)
    await _tool(hass, hass_admin_user, "set_indexer_enabled", **switch, enabled=True)
    assert state_of(hass, STATE) == "passing"

    now = T0 + 7 * D + H
    await at(now)
    assert state_of(hass, STATE) == "passing"
    await async_wait_recording_done(hass)
    week = await _tool(hass, hass_admin_user, "indexer_story", indexer="geeknzb")
    assert (week["indexer"], week["instance"], week["status"]) == (
        "GeekNZB",
        "Radarr",
        "passing",
    )
    assert week["history"] == {
        "days": 7,
        "from": _local(now - 7 * D),
        "to": _local(now),
        "uptime_percent": 80.8,
        "hours": {
            "passing": 126.0,
            "failing": 7.0,
            "auto_disabled": 23.0,
            "user_disabled": 12.0,
        },
        "outages": 2,
        "longest_outage": {
            "from": _local(T0 + 2 * D),
            "to": _local(T0 + 3 * D),
            "hours": 24.0,
            "ongoing": False,
        },
        "flaps": 4,
        "disabled": {"by_auto_heal": 1, "by_user": 1},
    }
    assert week["causes"] == [
        {
            "cause": "auth",
            "from": _local(T0 + 2 * D),
            "to": _local(T0 + 3 * D),
            "hours": 24.0,
        },
        {
            "cause": "network",
            "from": _local(T0 + 5 * D),
            "to": _local(T0 + 5 * D + 6 * H),
            "hours": 6.0,
        },
    ]
    # Passing now: nothing to do.
    assert "what_to_do" not in week

    # Thirty days reach back before it was added: the story starts then.
    month = await _tool(
        hass, hass_admin_user, "indexer_story", indexer="GeekNZB", days=30
    )
    assert month["history"]["from"] == _local(now - 30 * D)
    assert month["history"]["hours"]["passing"] == 127.0
    assert month["history"]["uptime_percent"] == 80.9
    assert month["history"]["outages"] == 2
    assert month["causes"] == week["causes"]

    # The README tells this week (in UTC, as the demo's Home Assistant runs).
    await hass.config.async_set_time_zone("UTC")
    ((tool, args, shown),) = [e for e in readme_examples() if e[0] == "indexer_story"]
    answer = await _tool(hass, hass_admin_user, tool, **args)
    assert answer == shown, json.dumps(answer, indent=2)


async def test_an_outage_still_going(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Failing since yesterday and still failing: the outage is ongoing (no
    end), and what to do follows its cause."""
    radarr = arr_simulator.instance("radarr")
    (entry,) = await setup_entries(hass, [radarr])
    entry.runtime_data.ledger.set_auto_heal(False)
    radarr.set_indexer_fault(1, kind="cloudflare")
    for moment in (T0 + D, T0 + 2 * D):
        freezer.move_to(moment)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    story = await _tool(
        hass, hass_admin_user, "indexer_story", indexer="GeekNZB", instance="Radarr"
    )
    history = story["history"]
    assert history["uptime_percent"] == 50.0
    assert history["longest_outage"] == {
        "from": _local(T0 + D),
        "hours": 24.0,
        "ongoing": True,
    }
    assert history["flaps"] == 1
    assert story["since"] == _local(T0 + D)
    assert story["what_to_do"]["cause"] == story["cause"]
