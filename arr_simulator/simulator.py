"""`ArrSimulator`: starts and stops every simulated instance and the control API."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web

from .config import SimulatorConfig, load_config
from .control import create_control_app
from .instance import SimulatedInstance
from .state import Clock, utcnow


class ArrSimulator:
    """Several simulated Arr instances on loopback ports, plus a control API."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        control_port: int | None = 19999,
        clock: Clock = utcnow,
    ) -> None:
        """Create the simulator; `control_port=None` runs without the control API."""
        self.config = config if config is not None else load_config()
        self.host = host
        self.clock = clock
        self._control_port = control_port
        self._control_runner: web.AppRunner | None = None
        self._instances: dict[str, SimulatedInstance] = {
            instance.name: SimulatedInstance(instance, host=host, clock=clock)
            for instance in self.config.instances
        }
        self._link()
        for instance in self._instances.values():
            instance.on_change = self._changed

    def _changed(self) -> None:
        # One instance's change can move another's health (an app's test of a
        # copy moves Prowlarr's back-off).
        for instance in self._instances.values():
            instance.changed()

    def _link(self) -> None:
        # Prowlarr → apps links, used by the sync and by tests of synced indexers.
        for instance in self._instances.values():
            instance.state.upstream = None
            instance.state.downstream = []
        for instance in self._instances.values():
            if instance.config.prowlarr is not None:
                upstream = self._instances[instance.config.prowlarr]
                instance.state.upstream = upstream.state
                upstream.state.downstream.append(instance.state)

    @property
    def instances(self) -> dict[str, SimulatedInstance]:
        """Return the instances by name (config order)."""
        return dict(self._instances)

    def instance(self, name: str) -> SimulatedInstance:
        """Return the instance called `name` (KeyError if unknown)."""
        return self._instances[name]

    @property
    def control_url(self) -> str | None:
        """Return the control API URL (None without a running control server)."""
        if self._control_runner is None or self._control_port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._control_port}"

    async def start(self) -> None:
        """Start every instance, sync Prowlarr indexers into the apps, start control."""
        try:
            for instance in self._instances.values():
                await instance.start()
            self._sync_all()
            if self._control_port is not None:
                runner = web.AppRunner(
                    create_control_app(self), access_log=None, shutdown_timeout=1.0
                )
                await runner.setup()
                site = web.TCPSite(runner, self.host, self._control_port)
                try:
                    await site.start()
                except OSError:
                    await runner.cleanup()
                    raise
                self._control_port = runner.addresses[0][1]
                self._control_runner = runner
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop the control API and every instance."""
        if self._control_runner is not None:
            runner, self._control_runner = self._control_runner, None
            await runner.cleanup()
        for instance in self._instances.values():
            await instance.stop()

    async def wait_sent(self) -> None:
        """Wait until no instance is sending health events any more (bounded)."""
        for _ in range(10):
            sent = [await instance.wait_sent() for instance in self._instances.values()]
            if not any(sent):
                return

    async def reset(self) -> None:
        """Reseed from the config: indexers, faults, back-off, logs; bring all up."""
        for instance in self._instances.values():
            if not instance.running:
                await instance.start()
        # Reseeding an app re-syncs it from its Prowlarr (and a Prowlarr its apps).
        for instance in self._instances.values():
            instance.reset()

    def _sync_all(self) -> None:
        # Synced copies need the Prowlarr URL, known only once its port is bound.
        for instance in self._instances.values():
            if instance.state.traits.is_prowlarr:
                instance.state.sync_apps()

    async def __aenter__(self) -> Self:
        """Start the simulator."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the simulator."""
        await self.stop()
