"""The simulator's demo stack as config entries at the default options, for the
benchmarks that run it through Home Assistant's test harness."""

from __future__ import annotations

from collections.abc import Collection

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.const import CONF_PUSH, DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from tests.common import entry_for

NAMES = ("prowlarr", "radarr", "radarr4k", "sonarr")


async def set_up_demo_stack(
    hass: HomeAssistant,
    simulator: ArrSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    *,
    push_off: Collection[str] = (),
) -> dict[str, MockConfigEntry]:
    """Every instance of the demo stack as an entry, set up: default options
    (push decided by whether the apps can reach Home Assistant, which listens on
    127.0.0.1), but push off for the instances named in ``push_off``."""
    for component in ("webhook", "calendar", DOMAIN):
        assert await async_setup_component(hass, component, {})
    client = await hass_client_no_auth()
    await hass.config.async_update(
        internal_url=f"http://127.0.0.1:{client.server.port}"
    )
    entries: dict[str, MockConfigEntry] = {}
    for name in NAMES:
        entry = entry_for(simulator.instance(name))
        entry.add_to_hass(hass)
        options = dict(entry.options)
        if name in push_off:
            options[CONF_PUSH] = False
        else:
            options.pop(CONF_PUSH)
        hass.config_entries.async_update_entry(entry, options=options)
        entries[name] = entry
    for entry in entries.values():
        if entry.state is ConfigEntryState.NOT_LOADED:
            await hass.config_entries.async_setup(entry.entry_id)
    return entries
