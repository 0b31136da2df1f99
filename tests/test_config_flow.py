"""Tests of the config, reauth, reconfigure and options flows."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import AsyncMock, MagicMock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.arr import (
    ArrApp,
    ArrAuthenticationError,
    ArrConnectionError,
    ArrNotArrAppError,
    ArrRedirectError,
    ArrTimeoutError,
    ArrUnsupportedVersionError,
    SystemStatus,
)
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from .common import API_KEY, RADARR_STATUS, RADARR_URL

USER_INPUT = {CONF_URL: f"{RADARR_URL}/", CONF_API_KEY: API_KEY, CONF_VERIFY_SSL: True}
ENTRY_DATA = {
    CONF_URL: RADARR_URL,
    CONF_API_KEY: API_KEY,
    CONF_VERIFY_SSL: True,
    "app": "Radarr",
    # Where the app was found (tried first at each start).
    "api_version": "v3",
}


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Do not set the entry up: these tests are about the flows."""
    with patch(
        "custom_components.ai_arr_control.async_setup_entry", return_value=True
    ) as setup:
        yield setup


pytestmark = pytest.mark.usefixtures("mock_setup_entry")


async def test_user_flow(hass: HomeAssistant, mock_arr_client: MagicMock) -> None:
    """URL and key in, the app detected, the entry titled with the instance name."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Radarr"
    assert result["data"] == ENTRY_DATA


@pytest.mark.parametrize(
    ("error", "errors"),
    [
        (ArrAuthenticationError("401"), {"base": "invalid_auth"}),
        (ArrTimeoutError("slow"), {"base": "timeout_connect"}),
        (ArrRedirectError("login"), {CONF_URL: "redirected"}),
        (ArrConnectionError("refused"), {CONF_URL: "cannot_connect"}),
        (ArrNotArrAppError("Bazarr"), {CONF_URL: "not_arr_app"}),
        (ArrUnsupportedVersionError("too old"), {CONF_URL: "not_arr_app"}),
        (RuntimeError("bug"), {"base": "unknown"}),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant,
    mock_arr_client: MagicMock,
    error: Exception,
    errors: dict[str, str],
) -> None:
    """Every failure is shown on the form, and the user can correct it."""
    mock_arr_client.system_status.side_effect = error
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}, data=USER_INPUT
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors

    mock_arr_client.system_status.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_invalid_url_recovers(
    hass: HomeAssistant, mock_arr_client: MagicMock
) -> None:
    """A URL that is not http(s) is refused before anything is sent."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={**USER_INPUT, CONF_URL: "ftp://radarr.local"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert not mock_arr_client.system_status.called

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], USER_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_instance_twice(
    hass: HomeAssistant, mock_arr_client: MagicMock
) -> None:
    """The same URL, written differently, is the same instance."""
    MockConfigEntry(domain=DOMAIN, data=ENTRY_DATA).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={**USER_INPUT, CONF_URL: "HTTP://Radarr.Local:7878/radarr//"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_two_radarrs(hass: HomeAssistant, mock_arr_client: MagicMock) -> None:
    """Two Radarr instances on different URLs are two entries."""
    MockConfigEntry(domain=DOMAIN, data=ENTRY_DATA).add_to_hass(hass)
    mock_arr_client.url = "http://radarr4k.local:7879"
    mock_arr_client.system_status.return_value = SystemStatus(
        app=ArrApp.RADARR, version="6.0.4", api_version="v3", instance_name="Radarr 4K"
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={**USER_INPUT, CONF_URL: "http://radarr4k.local:7879"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Radarr 4K"


@pytest.mark.usefixtures("socket_enabled")
async def test_user_flow_against_simulator(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """A real Radarr 4K given without its URL base: the redirect is learnt."""
    radarr4k = arr_simulator.instance("radarr4k")
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={
            CONF_URL: radarr4k.root_url,
            CONF_API_KEY: radarr4k.api_key,
            CONF_VERIFY_SSL: True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Radarr 4K"
    assert result["data"][CONF_URL] == radarr4k.url

    # Given again by its full URL, it is the same instance.
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USER},
        data={
            CONF_URL: f"{radarr4k.url}/",
            CONF_API_KEY: radarr4k.api_key,
            CONF_VERIFY_SSL: True,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("socket_enabled")
async def test_user_flow_simulator_errors(
    hass: HomeAssistant, arr_simulator: ArrSimulator
) -> None:
    """Wrong key, a login page and a stopped app, as a real user meets them."""
    sonarr = arr_simulator.instance("sonarr")
    data = {CONF_URL: sonarr.url, CONF_API_KEY: "wrong", CONF_VERIFY_SSL: True}
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}, data=data
    )
    assert result["errors"] == {"base": "invalid_auth"}
    sonarr.set_fault("html")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**data, CONF_API_KEY: sonarr.api_key}
    )
    assert result["errors"] == {CONF_URL: "not_arr_app"}
    sonarr.set_fault(None)
    await sonarr.set_down(True)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**data, CONF_API_KEY: sonarr.api_key}
    )
    assert result["errors"] == {CONF_URL: "cannot_connect"}
    await sonarr.set_down(False)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**data, CONF_API_KEY: sonarr.api_key}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["app"] == "Sonarr"


async def test_reauth(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """A new API key for the same instance; a wrong one can be corrected."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"

    mock_arr_client.system_status.side_effect = ArrAuthenticationError("401")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    mock_arr_client.system_status.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "new-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_API_KEY] == "new-key"
    assert mock_config_entry.data[CONF_URL] == RADARR_URL


async def test_reauth_hides_url_credentials(
    hass: HomeAssistant, mock_arr_client: MagicMock
) -> None:
    """A URL with user:password (basic auth in front of the app) is shown
    without them in the re-authentication dialog."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Radarr",
        data={
            CONF_URL: "https://admin:s3cret@radarr.example.com",
            CONF_API_KEY: API_KEY,
            CONF_VERIFY_SSL: True,
            "app": "Radarr",
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    placeholders = result["description_placeholders"] or {}
    assert placeholders["url"] == "https://radarr.example.com"


async def test_reauth_other_app(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """A key that opens another app at that URL is not this instance."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reauth_flow(hass)
    mock_arr_client.system_status.return_value = SystemStatus(
        app=ArrApp.SONARR, version="4.0.19", api_version="v3"
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "sonarr-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_app"
    assert mock_config_entry.data[CONF_API_KEY] == API_KEY


async def test_reconfigure(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """The same instance at a new address keeps its key."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    mock_arr_client.system_status.side_effect = ArrConnectionError("refused")
    new = {CONF_URL: "https://media.example.com/radarr", CONF_VERIFY_SSL: False}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["errors"] == {CONF_URL: "cannot_connect"}

    mock_arr_client.system_status.side_effect = None
    mock_arr_client.url = "https://media.example.com/radarr"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], new)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {
        **ENTRY_DATA,
        CONF_URL: "https://media.example.com/radarr",
        CONF_VERIFY_SSL: False,
    }


async def test_reconfigure_keeps_url(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """Saving the same URL (only SSL verification changed) is fine."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: RADARR_URL, CONF_VERIFY_SSL: False}
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_VERIFY_SSL] is False


async def test_reconfigure_onto_another_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """Moving onto the URL of another configured instance is refused."""
    mock_config_entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN, data={**ENTRY_DATA, CONF_URL: "http://other.local:7878"}
    ).add_to_hass(hass)
    mock_arr_client.url = "http://other.local:7878"
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "http://other.local:7878", CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_other_app(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_arr_client: MagicMock
) -> None:
    """A URL where another app answers is not this instance."""
    mock_config_entry.add_to_hass(hass)
    mock_arr_client.system_status.return_value = RADARR_STATUS.__class__(
        app=ArrApp.PROWLARR, version="2.3.6", api_version="v1"
    )
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: "http://prowlarr.local:9696", CONF_VERIFY_SSL: True},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_app"
