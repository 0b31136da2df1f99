"""One simulated instance: its HTTP server, faults and request log."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .app import RecordedRequest, ServerClosingError, create_app
from .config import IndexerConfig, IndexerFault, InstanceConfig, parse_indexer
from .messages import FAULT_KINDS, Failure
from .state import (
    Clock,
    IndexerStatus,
    InstanceFault,
    InstanceFaultMode,
    InstanceState,
    Resource,
    utcnow,
)

# How long a "hang" test waits before answering with the apps' timeout failure.
# Real apps give up on an indexer after about 100 s; 300 s keeps a hang
# distinguishable from a slow indexer while still bounding it.
DEFAULT_HANG_TIMEOUT = 300.0
REQUEST_LOG_SIZE = 2000
# Simulated delays are interrupted on shutdown, so handlers finish quickly.
_SHUTDOWN_TIMEOUT = 1.0


class SimulatedInstance:
    """A simulated Radarr/Sonarr/Lidarr/Readarr/Whisparr/Prowlarr instance."""

    def __init__(
        self,
        config: InstanceConfig,
        *,
        host: str = "127.0.0.1",
        clock: Clock = utcnow,
    ) -> None:
        """Create the instance; call `start()` to listen."""
        self.config = config
        self.host = host
        self.clock = clock
        self.state = InstanceState(config, clock=clock)
        self.hang_timeout = DEFAULT_HANG_TIMEOUT
        self._requests: deque[RecordedRequest] = deque(maxlen=REQUEST_LOG_SIZE)
        self._runner: web.AppRunner | None = None
        self._port = config.port
        self._closing = asyncio.Event()

    # ------------------------------------------------------------- identity

    @property
    def name(self) -> str:
        """Return the instance's key in the simulator config."""
        return self.config.name

    @property
    def app(self) -> str:
        """Return the app type ("Radarr", "Prowlarr", ...)."""
        return self.config.app

    @property
    def api_key(self) -> str:
        """Return the instance's API key."""
        return self.config.api_key

    @property
    def api_version(self) -> str:
        """Return "v3" or "v1"."""
        return self.config.api_version

    @property
    def url_base(self) -> str:
        """Return the url base ("" or "/something")."""
        return self.config.url_base

    @property
    def port(self) -> int:
        """Return the bound port (the configured one before start)."""
        return self._port

    @property
    def root_url(self) -> str:
        """Return http://host:port without the url base."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def url(self) -> str:
        """Return the URL a user would type: root URL plus url base."""
        return f"{self.root_url}{self.url_base}"

    @property
    def api_url(self) -> str:
        """Return the API prefix, e.g. http://127.0.0.1:7878/api/v3."""
        return f"{self.url}/api/{self.api_version}"

    @property
    def running(self) -> bool:
        """Return True while the server listens."""
        return self._runner is not None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start listening (on the configured port, or an ephemeral one for 0)."""
        if self._runner is not None:
            return
        # A fresh event per run: the previous one stays set for handlers that
        # are still unwinding from the last stop.
        self._closing = asyncio.Event()
        runner = web.AppRunner(
            create_app(self),
            handler_cancellation=True,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
            access_log=None,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._port = runner.addresses[0][1]
        self._runner = runner
        self.state.down = False
        self.state.url = self.url

    async def stop(self) -> None:
        """Stop listening; simulated waits in flight are interrupted."""
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        self._closing.set()
        await runner.cleanup()

    async def set_down(self, down: bool) -> None:
        """Really stop listening (connection refused) or start again on the same port."""
        if down:
            await self.stop()
            self.state.down = True
        else:
            await self.start()

    @property
    def down(self) -> bool:
        """Return True while the instance is down (stopped by a fault)."""
        return self.state.down

    async def sleep(self, seconds: float) -> None:
        """Wait like a slow server would; raise ServerClosingError on shutdown."""
        if seconds <= 0:
            return
        try:
            async with asyncio.timeout(seconds):
                await self._closing.wait()
        except TimeoutError:
            return
        raise ServerClosingError

    # ---------------------------------------------------------------- faults

    @property
    def fault(self) -> InstanceFault | None:
        """Return the active HTTP-level fault, if any."""
        return self.state.fault

    def set_fault(
        self,
        mode: str | InstanceFaultMode | None,
        *,
        delay: float = 2.0,
        message: str | None = None,
    ) -> None:
        """Set an instance fault (unauthorized/error/html/slow/starting) or clear it.

        "down" needs the event loop to stop the server: use `await set_down(True)`.
        """
        if mode is None or mode == "none":
            self.state.fault = None
            return
        if mode == "down":
            raise ValueError("use 'await instance.set_down(True)' for the down fault")
        self.state.fault = InstanceFault(
            InstanceFaultMode(mode), delay=delay, message=message
        )

    def set_indexer_fault(
        self,
        indexer_id: int,
        *,
        fail: str | None = None,
        kind: str | None = None,
        url: str | None = None,
        latency: float = 0.0,
        hang: bool = False,
    ) -> None:
        """Script the live test of one indexer (NotFoundError if it does not exist).

        `fail` is a literal failure text, `kind` one of messages.FAULT_KINDS (the
        app's own text for it); with `url` the fault only applies while the
        tested settings' baseUrl starts with it.
        """
        if kind is not None and kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        self.state.set_indexer_fault(
            indexer_id,
            IndexerFault(fail=fail, kind=kind, url=url, latency=latency, hang=hang),
        )

    def record_traffic(
        self,
        indexer_id: int,
        *,
        count: int = 1,
        event_type: str = "indexerRss",
        successful: bool = True,
        source: str = "Sonarr",
    ) -> None:
        """Prowlarr only: record real queries the apps made (history, limits).

        Only the history: the back-off is not moved.
        """
        if not self.state.traits.is_prowlarr:
            raise ValueError("only Prowlarr keeps a query history")
        self.state.existing(indexer_id)
        for _ in range(count):
            self.state.record_query(
                indexer_id,
                successful=successful,
                event_type=event_type,
                user_agent=source,
                host=source.lower(),
                source=source,
                record_status=False,
            )

    def run_scheduled_sync(self, *, force: bool = False) -> None:
        """Prowlarr only: run the 6-hourly ApplicationIndexerSync task now."""
        self.state.sync_apps(event="scheduled", force=force)

    def clear_indexer_fault(self, indexer_id: int) -> None:
        """Make the indexer's tests pass instantly again."""
        self.state.set_indexer_fault(indexer_id, None)

    def indexer_fault(self, indexer_id: int) -> IndexerFault | None:
        """Return the scripted fault of an indexer, if any."""
        return self.state.faults.get(indexer_id)

    # ------------------------------------------------------------- indexers

    @property
    def indexers(self) -> dict[int, Resource]:
        """Return the stored resources by id (unmasked; the live objects)."""
        return self.state.indexers

    def status(self, indexer_id: int) -> IndexerStatus:
        """Return a copy of an indexer's back-off status."""
        return self.state.status(indexer_id)

    def add_indexer(self, indexer: IndexerConfig | Mapping[str, Any]) -> Resource:
        """Add an indexer (compact config form, as in TOML); return it unmasked.

        In a Prowlarr the new indexer is synced into the linked apps at once.
        """
        if not isinstance(indexer, IndexerConfig):
            indexer = parse_indexer(dict(indexer), app=self.app)
        return self.state.add_indexer(indexer)

    def remove_indexer(self, indexer_id: int) -> None:
        """Delete an indexer (and, in a Prowlarr, its synced copies in the apps)."""
        self.state.delete_indexer(indexer_id)

    async def run_test(self, resource: Resource) -> Failure | None:
        """Run one live test (latency, hang, fault) and record its outcome."""
        plan = self.state.plan_test(resource)
        if plan.hang:
            await self.sleep(plan.latency + self.hang_timeout)
            return self.state.finish_test(plan, timed_out=True)
        await self.sleep(plan.latency)
        return self.state.finish_test(plan)

    # ----------------------------------------------------------- request log

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return the recorded requests, oldest first (bounded log)."""
        return list(self._requests)

    def record_request(self, request: RecordedRequest) -> None:
        """Append a request to the log."""
        self._requests.append(request)

    def clear_requests(self) -> None:
        """Forget all recorded requests."""
        self._requests.clear()

    def reset(self) -> None:
        """Reseed indexers from the config; clear faults, back-off and the log."""
        self.state.seed()
        self._requests.clear()

    def info(self) -> dict[str, Any]:
        """Return what the control API lists about this instance."""
        fault = self.state.fault
        return {
            "name": self.name,
            "app": self.app,
            "version": self.config.version,
            "instance_name": self.config.instance_name,
            "url": self.url,
            "root_url": self.root_url,
            "api_url": self.api_url,
            "port": self.port,
            "api_key": self.api_key,
            "url_base": self.url_base,
            "api_version": self.api_version,
            "down": self.down,
            "fault": None
            if fault is None
            else {
                "mode": str(fault.mode),
                "delay": fault.delay,
                "message": fault.message,
            },
            "prowlarr": self.config.prowlarr,
            "indexer_ids": sorted(self.indexers),
        }
