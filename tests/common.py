"""Helpers shared by the tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from arr_simulator import SimulatedInstance
from custom_components.ai_arr_control.arr import ArrApp, Indexer, SystemStatus
from custom_components.ai_arr_control.arr.const import FAMILY_FLAGS
from custom_components.ai_arr_control.const import CONF_PUSH, DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "0123456789abcdef0123456789abcdef"
RADARR_URL = "http://radarr.local:7878/radarr"
RADARR_V3 = f"{RADARR_URL}/api/v3"


def load_json(name: str) -> Any:
    """Load a JSON payload shaped like the Arr apps' own, from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text())


RADARR_STATUS = SystemStatus(
    app=ArrApp.RADARR, version="6.0.4.10291", api_version="v3", instance_name="Radarr"
)


def radarr_indexer(**changes: Any) -> dict[str, Any]:
    """A Radarr indexer resource (tests/fixtures/radarr-indexer.json), changed."""
    return {**load_json("radarr-indexer.json"), **changes}


def radarr_indexers() -> list[Indexer]:
    """Three indexers: a Prowlarr-synced torrent one, an RSS-and-search usenet one
    with interactive search off, and one the user disabled."""
    geek = radarr_indexer(
        id=3,
        name="GeekNZB",
        implementation="Newznab",
        implementationName="Newznab",
        configContract="NewznabSettings",
        protocol="usenet",
        priority=10,
        enableInteractiveSearch=False,
        fields=[
            {
                "name": "baseUrl",
                "value": "https://api.geeknzb.example",
                "privacy": "normal",
            },
            {"name": "apiKey", "value": "********", "privacy": "apiKey"},
        ],
    )
    retired = radarr_indexer(
        id=5,
        name="RetiredNZB",
        implementation="Newznab",
        protocol="usenet",
        enableRss=False,
        enableAutomaticSearch=False,
        enableInteractiveSearch=False,
        fields=[{"name": "baseUrl", "value": "https://retired.example"}],
    )
    return [
        Indexer.from_json(resource, FAMILY_FLAGS)
        for resource in (geek, retired, radarr_indexer())
    ]


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.state


# A little over the 30-minute health interval: the coordinator adds up to a second
# of jitter to its schedule.
HEALTH_INTERVAL = timedelta(minutes=30, seconds=1)


async def next_health_check(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Let the health interval pass and the scheduled check finish."""
    freezer.tick(HEALTH_INTERVAL)
    async_fire_time_changed(hass)
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


def entry_for(instance: SimulatedInstance, **options: Any) -> MockConfigEntry:
    """A config entry for a simulated instance, as the config flow creates it.

    Push is off unless a test turns it on: the test Home Assistant's URL is an
    address the simulator must not be sent to.
    """
    return MockConfigEntry(
        domain=DOMAIN,
        title=instance.config.instance_name,
        data={
            CONF_URL: instance.url,
            CONF_API_KEY: instance.api_key,
            CONF_VERIFY_SSL: True,
            "app": instance.app,
        },
        options={CONF_PUSH: False, **options},
    )


async def setup_entries(
    hass: HomeAssistant, instances: Iterable[SimulatedInstance], **options: Any
) -> list[MockConfigEntry]:
    """Entries for simulated instances, set up all at once like a start-up.

    Setting up the first entry of the integration sets up every one added.
    """
    entries = []
    for instance in instances:
        entry = entry_for(instance, **options)
        entry.add_to_hass(hass)
        entries.append(entry)
    for entry in entries:
        if entry.state is ConfigEntryState.NOT_LOADED:
            await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entries


def writes(instance: SimulatedInstance) -> list[tuple[str, Any]]:
    """The writes an instance received: (path, body)."""
    return [(r.path, r.body) for r in instance.requests if r.method == "PUT"]
