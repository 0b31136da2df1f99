"""Tests of the "Check indexers now" button."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant


@pytest.mark.usefixtures("init_integration")
async def test_press_runs_a_health_check(
    hass: HomeAssistant, mock_arr_client: MagicMock
) -> None:
    """Pressing it tests every enabled indexer once more, now."""
    mock_arr_client.test_indexer.reset_mock()
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.radarr_check_indexers_now"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert sorted(
        c.args[0].id for c in mock_arr_client.test_indexer.call_args_list
    ) == [3, 7]
