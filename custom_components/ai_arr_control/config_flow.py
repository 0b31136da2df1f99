"""Config flow for AI Arr Control: one entry per Arr instance."""

from __future__ import annotations

from typing import Any

import probatio

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from . import create_client
from .arr import (
    ArrAuthenticationError,
    ArrConnectionError,
    ArrInvalidUrlError,
    ArrRedirectError,
    ArrTimeoutError,
    ArrUnsupportedError,
    SystemStatus,
    normalize_url,
)
from .const import DOMAIN, LOGGER


class ArrConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an Arr instance by URL and API key."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the URL and API key, then detect the app."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors, status, data = await self._async_validate(user_input)
            if status is not None:
                self._async_abort_entries_match({CONF_URL: data[CONF_URL]})
                return self.async_create_entry(title=status.name, data=data)
        else:
            user_input = {}
        return self.async_show_form(
            step_id="user",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_URL, default=user_input.get(CONF_URL, "")
                    ): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                    probatio.Required(probatio.Secret(CONF_API_KEY)): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    ),
                    probatio.Required(
                        CONF_VERIFY_SSL, default=user_input.get(CONF_VERIFY_SSL, True)
                    ): bool,
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_validate(
        self, user_input: dict[str, Any]
    ) -> tuple[dict[str, str], SystemStatus | None, dict[str, Any]]:
        """Connect with the given data; return form errors or the detected status."""
        data = {**user_input}
        try:
            data[CONF_URL] = normalize_url(user_input[CONF_URL])
        except ArrInvalidUrlError:
            return {CONF_URL: "invalid_url"}, None, data
        client = create_client(self.hass, data)
        try:
            status = await client.system_status()
        except ArrAuthenticationError:
            return {CONF_API_KEY: "invalid_auth"}, None, data
        except ArrTimeoutError:
            return {"base": "timeout_connect"}, None, data
        except ArrRedirectError:
            return {CONF_URL: "redirected"}, None, data
        except ArrConnectionError:
            return {CONF_URL: "cannot_connect"}, None, data
        except ArrUnsupportedError:
            return {CONF_URL: "not_arr_app"}, None, data
        except Exception:  # noqa: BLE001 - the form must say something for any failure
            LOGGER.exception("Unexpected error while adding an Arr instance")
            return {"base": "unknown"}, None, data
        # Keep the URL the app answers on, with a urlBase learnt from a redirect.
        data[CONF_URL] = client.url
        return {}, status, data
