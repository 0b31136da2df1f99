"""Time-driven tests of the health coordinator (mocked Radarr)."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.ai_arr_control.arr import (
    ArrApp,
    ArrAuthenticationError,
    ArrConnectionError,
    ArrResponseError,
    ArrTimeoutError,
    HealthCheck,
    Indexer,
    IndexerStats,
    IndexerStatus,
    IndexerTestResult,
    SystemStatus,
    ValidationFailure,
)
from custom_components.ai_arr_control.arr.const import FAMILY_FLAGS, PROWLARR_FLAGS
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .common import load_json, next_health_check, radarr_indexer, state_of

GEEK = "binary_sensor.radarr_geeknzb_status"


def failing(*ids: int, message: str = "Invalid API Key") -> object:
    """A test side effect: these indexers fail, the others pass."""

    async def test_indexer(indexer: Indexer) -> IndexerTestResult:
        if indexer.id in ids:
            return IndexerTestResult(
                indexer.id, False, (ValidationFailure(message),), response_time=0.1
            )
        return IndexerTestResult(indexer.id, True, response_time=0.25)

    return test_indexer


@pytest.mark.freeze_time("2026-11-28 12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_pass_fail_unavailable_recover(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An indexer passes, fails twice, the instance drops out, then all recovers."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, GEEK) == STATE_OFF

    mock_arr_client.test_indexer.side_effect = failing(3)
    await next_health_check(hass, freezer)
    state = hass.states.get(GEEK)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["failure_message"] == "Invalid API Key"
    await next_health_check(hass, freezer)
    assert state_of(hass, "sensor.radarr_geeknzb_consecutive_failures") == "2"
    assert state_of(hass, "sensor.radarr_failing_indexers") == "1"
    assert state_of(hass, "sensor.radarr_geeknzb_last_successful_test") == (
        "2026-11-28T12:00:00+00:00"
    )

    caplog.clear()
    mock_arr_client.indexers.side_effect = ArrConnectionError("connection refused")
    await next_health_check(hass, freezer)
    await next_health_check(hass, freezer)
    assert state_of(hass, GEEK) == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.radarr_indexers") == STATE_UNAVAILABLE
    # Logged once, however long it stays away.
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert "connection refused" in errors[0].getMessage()

    mock_arr_client.indexers.side_effect = None
    mock_arr_client.indexers.return_value = list(
        mock_arr_client.stored_indexers.values()
    )
    mock_arr_client.test_indexer.side_effect = failing()
    await next_health_check(hass, freezer)
    assert state_of(hass, GEEK) == STATE_OFF
    assert state_of(hass, "sensor.radarr_geeknzb_consecutive_failures") == "0"
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1
    assert recovered[0].levelname == "INFO"


@pytest.mark.usefixtures("init_integration")
async def test_401_while_polling_starts_reauth(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A key revoked in the app: the user is asked for the new one."""
    mock_arr_client.indexers.side_effect = ArrAuthenticationError("401")
    await next_health_check(hass, freezer)
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


@pytest.mark.usefixtures("init_integration")
async def test_401_during_tests_starts_reauth(
    hass: HomeAssistant, mock_arr_client: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    """The key may also be refused half-way through the tests."""
    mock_arr_client.test_indexer.side_effect = ArrAuthenticationError("401")
    await next_health_check(hass, freezer)
    assert [
        f["context"]["source"] for f in hass.config_entries.flow.async_progress()
    ] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("init_integration")
async def test_instance_lost_during_tests(
    hass: HomeAssistant, mock_arr_client: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    """Refused connections during the tests: the instance is unreachable, no verdicts."""
    mock_arr_client.test_indexer.side_effect = ArrConnectionError("refused")
    await next_health_check(hass, freezer)
    assert state_of(hass, GEEK) == STATE_UNAVAILABLE


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_timeout_and_odd_answers_count_against_the_indexer(
    hass: HomeAssistant, mock_arr_client: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    """A test that times out, or that the app answers with a 500, is a failure."""

    async def test_indexer(indexer: Indexer) -> IndexerTestResult:
        if indexer.id == 3:
            raise ArrTimeoutError("did not answer indexer/test within 120 s")
        raise ArrResponseError("Unexpected HTTP 500 for indexer/test: boom", status=500)

    mock_arr_client.test_indexer.side_effect = test_indexer
    await next_health_check(hass, freezer)
    geek = hass.states.get(GEEK)
    assert geek is not None
    assert geek.state == STATE_ON
    assert "within 120 s" in geek.attributes["failure_message"]
    tracker = hass.states.get("binary_sensor.radarr_sometracker_prowlarr_status")
    assert tracker is not None
    assert tracker.state == STATE_ON
    assert state_of(hass, "sensor.radarr_geeknzb_response_time") == "unknown"


@pytest.mark.usefixtures("init_integration")
async def test_only_enabled_indexers_are_tested(
    hass: HomeAssistant, mock_arr_client: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    """One test per enabled indexer per cycle; the disabled one is left alone."""
    mock_arr_client.test_indexer.reset_mock()
    await next_health_check(hass, freezer)
    tested = sorted(
        call.args[0].id for call in mock_arr_client.test_indexer.call_args_list
    )
    assert tested == [3, 7]
    # Turned off by the user: not a problem, and its State says why.
    assert state_of(hass, "binary_sensor.radarr_retirednzb_status") == "off"
    assert state_of(hass, "sensor.radarr_retirednzb_state") == "user_disabled"


@pytest.mark.usefixtures("init_integration")
async def test_indexers_appear_and_disappear(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """New indexers get entities without a reload; deleted ones lose device and entities."""
    stored = mock_arr_client.stored_indexers
    stored[11] = Indexer.from_json(radarr_indexer(id=11, name="NewOne"), FAMILY_FLAGS)
    await next_health_check(hass, freezer)
    assert hass.states.get("binary_sensor.radarr_newone_status") is not None
    assert hass.states.get("switch.radarr_newone_enabled") is not None

    del stored[7]
    await next_health_check(hass, freezer)
    entry_id = mock_config_entry.entry_id
    assert (
        device_registry.async_get_child_device_by_identifier(
            (DOMAIN, f"{entry_id}_indexer_7"), entry_id
        )
        is None
    )
    assert (
        entity_registry.async_get("binary_sensor.radarr_sometracker_prowlarr_status")
        is None
    )
    assert hass.states.get("binary_sensor.radarr_sometracker_prowlarr_status") is None
    assert state_of(hass, "sensor.radarr_indexers") == "3"

    # An id handed out again comes back with entities.
    stored[7] = Indexer.from_json(radarr_indexer(), FAMILY_FLAGS)
    await next_health_check(hass, freezer)
    assert (
        hass.states.get("binary_sensor.radarr_sometracker_prowlarr_status") is not None
    )


@pytest.mark.usefixtures("init_integration")
async def test_instance_health_checks(
    hass: HomeAssistant, mock_arr_client: MagicMock, freezer: FrozenDateTimeFactory
) -> None:
    """The app's own health becomes a problem sensor with its messages."""
    mock_arr_client.health.return_value = [
        HealthCheck.from_json(item) for item in load_json("radarr-health.json")
    ]
    await next_health_check(hass, freezer)
    state = hass.states.get("binary_sensor.radarr_health")
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["messages"][0].startswith("Indexers unavailable")


@pytest.mark.freeze_time("2025-06-01 12:00:00+00:00")
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_prowlarr_status_and_stats(
    hass: HomeAssistant,
    mock_arr_client: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Prowlarr's own back-off and counters are folded into its indexers."""
    status = SystemStatus(
        app=ArrApp.PROWLARR,
        version="2.3.6.5263",
        api_version="v1",
        instance_name="Prowlarr",
    )
    prowlarr_indexer = Indexer.from_json(
        load_json("prowlarr-indexer.json"), PROWLARR_FLAGS
    )
    mock_arr_client.status = status
    mock_arr_client.system_status.return_value = status
    mock_arr_client.indexers.side_effect = None
    mock_arr_client.indexers.return_value = [prowlarr_indexer]
    mock_arr_client.indexer_status.return_value = [
        IndexerStatus.from_json(item)
        for item in load_json("prowlarr-indexerstatus.json")
    ]
    mock_arr_client.indexer_stats.return_value = [
        IndexerStats.from_json(item)
        for item in load_json("prowlarr-indexerstats.json")["indexers"]
    ]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Prowlarr",
        data={"url": "http://prowlarr.local:9696", "api_key": "k", "app": "Prowlarr"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(hass, "sensor.prowlarr_sometracker_blocked_by_prowlarr_until") == (
        "2025-06-01T12:20:00+00:00"
    )
    # Searches and RSS syncs together: 22 + 5.
    assert state_of(hass, "sensor.prowlarr_sometracker_failed_queries_24_h") == "27"
    (call,) = mock_arr_client.indexer_stats.call_args_list
    assert call.kwargs["start"] == datetime(2025, 5, 31, 12, tzinfo=UTC)

    # Once the block has passed it is no longer shown.
    freezer.move_to("2025-06-01 12:30:00+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, "sensor.prowlarr_sometracker_blocked_by_prowlarr_until") == (
        "unknown"
    )
