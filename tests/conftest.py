"""Shared fixtures for the AI Arr Control tests."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import MagicMock, Mock, PropertyMock, patch

from aiohttp import ClientResponse
import aioresponses.core
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.ai_arr_control.arr import (
    ArrNotFoundError,
    Indexer,
    IndexerTestResult,
)
from custom_components.ai_arr_control.const import CONF_PUSH, DOMAIN
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant

from .common import API_KEY, RADARR_STATUS, RADARR_URL, radarr_indexers

pytest_plugins = ["arr_simulator.pytest_plugin"]


class _CompatClientResponse(ClientResponse):
    """aiohttp 3.14 made ``stream_writer`` a required argument.

    aioresponses 0.7.9 (the newest release) does not pass it yet
    (pnuckowski/aioresponses#289); aiohttp only reads its ``output_size``.
    """

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", Mock(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture(autouse=True)
def _aioresponses_compat() -> Generator[None]:
    """Let aioresponses build responses under aiohttp 3.14."""
    with patch.object(aioresponses.core, "ClientResponse", _CompatClientResponse):
        yield


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom integrations in every test that has a hass."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, also those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A Radarr entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Radarr",
        entry_id="01KARRC0NTR0L0RADARR000000",
        data={
            CONF_URL: RADARR_URL,
            CONF_API_KEY: API_KEY,
            CONF_VERIFY_SSL: True,
            "app": "Radarr",
        },
        options={CONF_PUSH: False},
    )


@pytest.fixture
def mock_arr_client() -> Generator[MagicMock]:
    """An Arr client answering like a healthy Radarr with three indexers.

    Tests pass with a response time of 250 ms; set ``test_indexer.side_effect``
    to script other outcomes.
    """
    indexers = {i.id: i for i in radarr_indexers()}

    async def set_flags(indexer_id: int, flags: dict[str, bool]) -> Indexer:
        current = indexers[indexer_id]
        indexers[indexer_id] = Indexer.from_json(
            {**current.resource, **flags}, tuple(current.flags)
        )
        return indexers[indexer_id]

    async def test_indexer(indexer: Indexer) -> IndexerTestResult:
        return IndexerTestResult(indexer.id, True, response_time=0.25)

    async def list_indexers() -> list[Indexer]:
        return list(indexers.values())

    async def get_indexer(indexer_id: int) -> Indexer:
        if indexer_id not in indexers:
            raise ArrNotFoundError(f"indexer/{indexer_id} was not found", status=404)
        return indexers[indexer_id]

    with (
        patch(
            "custom_components.ai_arr_control.ArrClient", autospec=True
        ) as client_class,
    ):
        client = client_class.return_value
        client.url = RADARR_URL
        client.status = RADARR_STATUS
        client.system_status.return_value = RADARR_STATUS
        client.indexers.side_effect = list_indexers
        client.indexer.side_effect = get_indexer
        client.health.return_value = []
        client.test_indexer.side_effect = test_indexer
        client.set_indexer_flags.side_effect = set_flags
        client.stored_indexers = indexers
        yield client


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
) -> MockConfigEntry:
    """The Radarr entry, set up."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
