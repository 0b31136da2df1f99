"""Shared fixtures for the AI Arr Control tests."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import Mock, patch

from aiohttp import ClientResponse
import aioresponses.core
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

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
