"""Config flow for AI Arr Control: one entry per Arr instance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import probatio

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
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
    safe_url,
)
from .const import (
    CONF_API_VERSION,
    CONF_APP,
    CONF_DRY_RUN,
    CONF_FAILURES_TO_DISABLE,
    CONF_HEAL_INTERVAL,
    CONF_HEALTH_INTERVAL,
    CONF_OUTAGE_PERCENT,
    CONF_PUSH,
    CONF_QUERY_RESERVE,
    DEFAULT_FAILURES_TO_DISABLE,
    DEFAULT_HEAL_INTERVAL,
    DEFAULT_HEALTH_INTERVAL,
    DEFAULT_OUTAGE_PERCENT,
    DEFAULT_QUERY_RESERVE,
    DOMAIN,
    LOGGER,
    MAX_HEAL_INTERVAL,
    MAX_HEALTH_INTERVAL,
    MIN_HEAL_INTERVAL,
    MIN_HEALTH_INTERVAL,
)
from .coordinator import ArrConfigEntry
from .push import push_enabled

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_API_KEY = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# Examples in the forms' texts (placeholders: translations carry no URLs).
EXAMPLE_URLS = {
    "example_url": "http://192.168.1.10:7878",
    "example_base_url": "https://example.com/radarr",
}


class ArrConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an Arr instance by URL and API key; the app is detected."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ArrConfigEntry) -> ArrOptionsFlow:
        """The options: how often to check and to heal."""
        return ArrOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the URL and API key, then detect the app."""
        errors: dict[str, str] = {}
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
                    ): _URL,
                    probatio.Required(probatio.Secret(CONF_API_KEY)): _API_KEY,
                    probatio.Required(
                        CONF_VERIFY_SSL, default=user_input.get(CONF_VERIFY_SSL, True)
                    ): bool,
                }
            ),
            description_placeholders=EXAMPLE_URLS,
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The API key was refused while polling: ask for the new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take a new API key for the same instance."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors, status, data = await self._async_validate(
                {**entry.data, CONF_API_KEY: user_input[CONF_API_KEY]}
            )
            if status is not None:
                if status.app != entry.data.get(CONF_APP, status.app):
                    return self.async_abort(reason="wrong_app")
                return self.async_update_reload_and_abort(entry, data_updates=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema(
                {probatio.Required(probatio.Secret(CONF_API_KEY)): _API_KEY}
            ),
            description_placeholders={
                "name": entry.title,
                "url": safe_url(entry.data[CONF_URL]),
            },
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the same instance to a new URL; its API key stays."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors, status, data = await self._async_validate(
                {**entry.data, **user_input}
            )
            if status is not None:
                if status.app != entry.data.get(CONF_APP, status.app):
                    return self.async_abort(reason="wrong_app")
                if data[CONF_URL] != entry.data[CONF_URL]:
                    self._async_abort_entries_match({CONF_URL: data[CONF_URL]})
                return self.async_update_reload_and_abort(entry, data_updates=data)
        else:
            user_input = dict(entry.data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_URL, default=user_input[CONF_URL]): _URL,
                    probatio.Required(
                        CONF_VERIFY_SSL, default=user_input.get(CONF_VERIFY_SSL, True)
                    ): bool,
                }
            ),
            description_placeholders={"name": entry.title, **EXAMPLE_URLS},
            errors=errors,
        )

    async def _async_validate(
        self, user_input: Mapping[str, Any]
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
            return {"base": "invalid_auth"}, None, data
        except ArrTimeoutError:
            return {"base": "timeout_connect"}, None, data
        except ArrRedirectError:
            return {CONF_URL: "redirected"}, None, data
        except ArrConnectionError:
            return {CONF_URL: "cannot_connect"}, None, data
        except ArrUnsupportedError:
            return {CONF_URL: "not_arr_app"}, None, data
        except Exception:  # noqa: BLE001 - the form must say something for any failure
            LOGGER.exception("Unexpected error while connecting to an Arr instance")
            return {"base": "unknown"}, None, data
        # Keep the URL the app answers on, with a urlBase learnt from a redirect.
        data[CONF_URL] = client.url
        data[CONF_APP] = status.app.value
        data[CONF_API_VERSION] = status.api_version
        return {}, status, data


class ArrOptionsFlow(OptionsFlowWithReload):
    """How often indexers are tested and healed; the entry reloads on save."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the intervals, in minutes."""
        errors: dict[str, str] = {}
        if user_input is not None:
            for key, (minimum, maximum) in INTERVAL_RANGES.items():
                if not minimum <= user_input[key] <= maximum:
                    errors[key] = f"{key}_range"
            if not errors:
                return self.async_create_entry(
                    data={
                        key: value if isinstance(value, bool) else int(value)
                        for key, value in user_input.items()
                    }
                )
        options = {**self.config_entry.options, **(user_input or {})}
        return self.async_show_form(
            step_id="init",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_HEALTH_INTERVAL,
                        default=options.get(
                            CONF_HEALTH_INTERVAL, DEFAULT_HEALTH_INTERVAL
                        ),
                    ): _MINUTES,
                    probatio.Required(
                        CONF_HEAL_INTERVAL,
                        default=options.get(CONF_HEAL_INTERVAL, DEFAULT_HEAL_INTERVAL),
                    ): _MINUTES,
                    probatio.Required(
                        CONF_FAILURES_TO_DISABLE,
                        default=options.get(
                            CONF_FAILURES_TO_DISABLE, DEFAULT_FAILURES_TO_DISABLE
                        ),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=1, max=10, step=1, mode=NumberSelectorMode.BOX
                        )
                    ),
                    probatio.Required(
                        CONF_OUTAGE_PERCENT,
                        default=options.get(
                            CONF_OUTAGE_PERCENT, DEFAULT_OUTAGE_PERCENT
                        ),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=10,
                            max=100,
                            step=5,
                            mode=NumberSelectorMode.SLIDER,
                            unit_of_measurement="%",
                        )
                    ),
                    probatio.Required(
                        CONF_QUERY_RESERVE,
                        default=options.get(CONF_QUERY_RESERVE, DEFAULT_QUERY_RESERVE),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=0,
                            max=50,
                            step=5,
                            mode=NumberSelectorMode.SLIDER,
                            unit_of_measurement="%",
                        )
                    ),
                    probatio.Required(
                        CONF_DRY_RUN, default=options.get(CONF_DRY_RUN, False)
                    ): bool,
                    probatio.Required(
                        CONF_PUSH,
                        default=(user_input or {}).get(
                            CONF_PUSH,
                            push_enabled(
                                self.hass,
                                self.config_entry,
                                self.config_entry.data[CONF_URL],
                            ),
                        ),
                    ): bool,
                }
            ),
            description_placeholders={
                "min_health": str(MIN_HEALTH_INTERVAL),
                "max_health": str(MAX_HEALTH_INTERVAL),
                "min_heal": str(MIN_HEAL_INTERVAL),
                "max_heal": str(MAX_HEAL_INTERVAL),
            },
            errors=errors,
        )


# Minutes; the range is checked in the step, so a value out of it gets a
# translated message rather than the schema's "Value 2.0 is too small".
_MINUTES = NumberSelector(
    NumberSelectorConfig(step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="min")
)
INTERVAL_RANGES = {
    CONF_HEALTH_INTERVAL: (MIN_HEALTH_INTERVAL, MAX_HEALTH_INTERVAL),
    CONF_HEAL_INTERVAL: (MIN_HEAL_INTERVAL, MAX_HEAL_INTERVAL),
}
