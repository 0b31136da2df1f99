"""Turns Arr client errors in user actions into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .arr import ArrAuthenticationError, ArrError
from .const import DOMAIN
from .coordinator import ArrConfigEntry


@contextmanager
def arr_errors(hass: HomeAssistant, entry: ArrConfigEntry) -> Iterator[None]:
    """Report Arr errors of a user action as translated errors.

    A refused API key also starts the re-authentication flow.
    """
    try:
        yield
    except ArrAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except ArrError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_failed",
            translation_placeholders={"error": str(err)},
        ) from err
