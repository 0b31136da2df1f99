"""What the integration writes to Home Assistant's recorder (its database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from arr_simulator import ArrSimulator
from homeassistant.components.recorder import Recorder, get_instance, history
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util

from .common import setup_entries


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (it must start before Home Assistant), then the
    custom integrations as everywhere else."""


pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
]


async def test_long_texts_are_capped_and_kept_out_of_the_history(
    recorder_mock: Recorder, hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """An app's failure text of 1,000 characters shows cut to 255; the texts
    (which carry times and URLs) are live attributes, not recorded; the cause is."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="Unable to connect to indexer: " + "x" * 1000)
    start = dt_util.utcnow() - timedelta(seconds=1)
    await setup_entries(hass, (radarr,))
    entity_id = "binary_sensor.radarr_geeknzb_status"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "on"
    assert len(state.attributes["failure_message"]) == 255
    assert state.attributes["failure_message"].endswith("…")
    await async_wait_recording_done(hass)
    recorded = await get_instance(hass).async_add_executor_job(
        history.get_significant_states, hass, start, None, [entity_id]
    )
    (row,) = recorded[entity_id]
    assert isinstance(row, State)
    assert "failure_message" not in row.attributes
    assert row.attributes["cause"] == "unknown"
