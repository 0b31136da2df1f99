"""pytest fixtures that run the simulator in-process.

Load with `pytest_plugins = ["arr_simulator.pytest_plugin"]` in the top-level
conftest.py. The fixtures request pytest-socket's `socket_enabled`, because
the Home Assistant test plugin blocks every socket by default; the simulator
only ever binds 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

import pytest_asyncio

from .config import SimulatorConfig, load_config
from .simulator import ArrSimulator
from .state import Clock, utcnow

type ArrSimulatorFactory = Callable[..., Awaitable[ArrSimulator]]


@pytest_asyncio.fixture
async def arr_simulator_factory(
    socket_enabled: None,
) -> AsyncGenerator[ArrSimulatorFactory]:
    """Return `await factory(config=None, *, clock=utcnow)` → started simulator.

    `config` is a SimulatorConfig, a TOML string or None (the bundled default).
    Every port, including the control API's, is replaced by 0 (ephemeral), and
    every simulator the factory started is stopped at teardown.
    """
    started: list[ArrSimulator] = []

    async def factory(
        config: SimulatorConfig | str | None = None, *, clock: Clock = utcnow
    ) -> ArrSimulator:
        if not isinstance(config, SimulatorConfig):
            config = load_config(config)
        simulator = ArrSimulator(
            config.with_ephemeral_ports(),
            host="127.0.0.1",
            control_port=0,
            clock=clock,
        )
        await simulator.start()
        started.append(simulator)
        return simulator

    yield factory
    for simulator in reversed(started):
        await simulator.stop()


@pytest_asyncio.fixture
async def arr_simulator(
    arr_simulator_factory: ArrSimulatorFactory,
) -> ArrSimulator:
    """Return a started simulator built from default.toml on ephemeral ports."""
    return await arr_simulator_factory()
