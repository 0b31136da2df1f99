"""Fixtures for the simulator tests (the simulator fixtures come from tests/conftest.py)."""

from collections.abc import AsyncGenerator

import aiohttp
import pytest_asyncio


@pytest_asyncio.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Return a client session for talking to the simulator."""
    async with aiohttp.ClientSession() as client:
        yield client
