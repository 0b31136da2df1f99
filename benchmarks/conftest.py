"""Fixtures for the benchmarks that run under pytest (for Home Assistant's test harness)."""

from __future__ import annotations

import pytest

from arr_simulator.pytest_plugin import arr_simulator_factory

__all__ = ["arr_simulator_factory"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load this integration from custom_components."""
