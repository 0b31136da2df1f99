"""Tests of the options flow: intervals, and the reload that applies them."""

from __future__ import annotations

from unittest.mock import MagicMock

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_arr_control.const import (
    CONF_DRY_RUN,
    CONF_FAILURES_TO_DISABLE,
    CONF_HEAL_INTERVAL,
    CONF_HEALTH_INTERVAL,
    CONF_OUTAGE_PERCENT,
    CONF_PUSH,
    CONF_QUERY_RESERVE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType


async def test_options(
    hass: HomeAssistant, init_integration: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """Intervals in minutes with their defaults; saving reloads with the new ones."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    defaults = {str(key): key.default() for key in schema.schema}
    # Push defaults to whether the app can reach Home Assistant's URL.
    assert isinstance(defaults.pop(CONF_PUSH), bool)
    assert defaults == {
        CONF_HEALTH_INTERVAL: 30,
        CONF_HEAL_INTERVAL: 120,
        CONF_FAILURES_TO_DISABLE: 2,
        CONF_OUTAGE_PERCENT: 50,
        CONF_QUERY_RESERVE: 10,
        CONF_DRY_RUN: False,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEALTH_INTERVAL: 10.0,
            CONF_HEAL_INTERVAL: 60.0,
            CONF_FAILURES_TO_DISABLE: 3.0,
            CONF_OUTAGE_PERCENT: 40.0,
            CONF_QUERY_RESERVE: 20.0,
            CONF_DRY_RUN: True,
            CONF_PUSH: False,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_HEALTH_INTERVAL: 10,
        CONF_HEAL_INTERVAL: 60,
        CONF_FAILURES_TO_DISABLE: 3,
        CONF_OUTAGE_PERCENT: 40,
        CONF_QUERY_RESERVE: 20,
        CONF_DRY_RUN: True,
        CONF_PUSH: False,
    }
    heal = init_integration.runtime_data.heal
    assert heal.update_interval is not None
    assert heal.update_interval.total_seconds() == 3600
    assert heal.settings.failures_to_disable == 3
    assert mock_arr_client.system_status.call_count == 2
    health = init_integration.runtime_data.health
    assert health.update_interval is not None
    assert health.update_interval.total_seconds() == 600


async def test_interval_out_of_range_is_explained(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """2 minutes between checks is refused with a translated reason naming the
    minimum, and nothing is saved; the form keeps what was typed."""
    before = dict(init_integration.options)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    user_input = {
        CONF_HEALTH_INTERVAL: 2.0,
        CONF_HEAL_INTERVAL: 10.0,
        CONF_FAILURES_TO_DISABLE: 2.0,
        CONF_OUTAGE_PERCENT: 50.0,
        CONF_QUERY_RESERVE: 10.0,
        CONF_DRY_RUN: False,
        CONF_PUSH: False,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {
        CONF_HEALTH_INTERVAL: "health_check_interval_range",
        CONF_HEAL_INTERVAL: "heal_interval_range",
    }
    placeholders = result["description_placeholders"] or {}
    assert (placeholders["min_health"], placeholders["min_heal"]) == ("5", "15")
    schema = result["data_schema"]
    assert schema is not None
    defaults = {str(key): key.default() for key in schema.schema}
    assert defaults[CONF_HEALTH_INTERVAL] == 2.0
    assert defaults[CONF_PUSH] is False
    assert dict(init_integration.options) == before
