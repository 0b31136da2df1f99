"""One simulated instance: its HTTP server, faults and request log."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
import copy
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from . import notifications, reports
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
# The apps wait 100 s for a webhook; the simulator, on loopback, much less.
WEBHOOK_TIMEOUT = 10.0
# HealthCheckService runs every check on this schedule (CheckHealthCommand).
HEALTH_SCHEDULE = timedelta(hours=6)


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
        self._rss_task: asyncio.Task[None] | None = None
        # Health as last told to the connections, by check (source).
        self._health_told: dict[str, Resource] | None = None
        # HealthCheckService's stored results: (what they depend on, when run).
        self._health_results: list[Resource] = []
        self._health_run: tuple[object, datetime] | None = None
        self._sending: set[asyncio.Task[Any]] = set()
        self._session: aiohttp.ClientSession | None = None
        # Called after anything that may change some instance's health (the
        # simulator tells every instance: Prowlarr's back-off moves with the
        # apps' tests of their copies).
        self.on_change: Callable[[], None] = self.changed

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
        if self.config.rss_interval > 0 and not self.state.traits.is_prowlarr:
            self._rss_task = asyncio.create_task(self._rss_loop())
        # What is failing at start is not announced (the apps' startup grace).
        self._health_told = self._current_health()

    async def stop(self) -> None:
        """Stop listening; simulated waits in flight are interrupted."""
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        self._closing.set()
        if self._rss_task is not None:
            self._rss_task.cancel()
            self._rss_task = None
        for task in list(self._sending):
            task.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None
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
        every: int = 1,
    ) -> None:
        """Script the live test of one indexer (NotFoundError if it does not exist).

        `fail` is a literal failure text, `kind` one of messages.FAULT_KINDS (the
        app's own text for it); with `url` the fault only applies while the
        tested settings' baseUrl starts with it; with `every` = N > 1 only every
        Nth use meets it (a flaky site).
        """
        if kind is not None and kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        self.state.set_indexer_fault(
            indexer_id,
            IndexerFault(
                fail=fail,
                kind=kind,
                url=url,
                latency=latency,
                hang=hang,
                every=max(1, every),
            ),
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

    def rss_sync(self) -> dict[int, Failure | None]:
        """Run the app's RSS sync now: real traffic (see InstanceState.rss_sync)."""
        outcomes = self.state.rss_sync()
        self.on_change()
        return outcomes

    async def _rss_loop(self) -> None:
        """The app's scheduled RSS sync, every ``rss_interval`` minutes."""
        while True:
            await asyncio.sleep(self.config.rss_interval * 60)
            self.rss_sync()

    # ------------------------------------------------------------ connections

    def health(self) -> list[Resource]:
        """GET /health: HealthCheckService's stored results.

        The checks run again when what they depend on changes (the CheckOn
        events: a back-off change, an indexer added, changed or deleted), on
        CheckHealth and every 6 hours; not because time passes. So a first
        failure's one-minute block that runs out leaves "Indexers unavailable
        due to failures: X" in place until the indexer's next query moves its
        back-off (HealthCheckService, IndexerStatusCheck).
        """
        state = self.state
        depends_on = (state.health_events, repr(sorted(state.indexers.items())))
        now = self.clock()
        run = self._health_run
        if run is None or run[0] != depends_on or now - run[1] >= HEALTH_SCHEDULE:
            self._health_results = reports.health(state)
            self._health_run = (depends_on, now)
        return copy.deepcopy(self._health_results)

    def _current_health(self) -> dict[str, Resource]:
        return {check["source"]: check for check in self.health()}

    def changed(self) -> None:
        """Tell the connections about health checks that failed or recovered.

        HealthCheckService: a check that starts failing is a Health event, one
        that passes again a HealthRestored event (with what had failed); a
        message that changes while failing is not announced.
        """
        if self._health_told is None or not self.running:
            return
        current = self._current_health()
        events = [
            (check, False)
            for source, check in current.items()
            if source not in self._health_told
        ] + [
            (check, True)
            for source, check in self._health_told.items()
            if source not in current
        ]
        self._health_told = current
        for check, restored in events:
            for resource in list(self.state.notifications.values()):
                if notifications.wants(self.state, resource, check, restored=restored):
                    payload = notifications.health_payload(
                        self.state, check, restored=restored
                    )
                    task = asyncio.get_running_loop().create_task(
                        self._post(resource, payload)
                    )
                    self._sending.add(task)
                    task.add_done_callback(self._sending.discard)

    async def wait_sent(self) -> bool:
        """Wait for the health events being sent; whether there were any."""
        pending = list(self._sending)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        return bool(pending)

    async def test_webhook(self, resource: Resource) -> web.Response | None:
        """Send the Test event; the app's answer when that failed, else None.

        An HTTP error from the receiver is a 400 on Url; a connection that fails
        escapes the webhook code and is a 500 (WebhookProxy catches only
        HttpException).
        """
        url = str(notifications.settings(resource).get("url"))
        try:
            status = await self._post(resource, notifications.test_payload(self.state))
        except (aiohttp.ClientError, TimeoutError) as err:
            host = URL(url).host or url
            message = f"Connection refused ({host}:{URL(url).port})"
            if isinstance(err, TimeoutError):
                message = "Http request timed out"
            return web.json_response(
                {
                    "message": message,
                    "description": f"System.Net.WebException: {message}",
                },
                status=500,
            )
        if status >= 400:
            return web.json_response(
                notifications.test_failure(self.config.app, url, status), status=400
            )
        return None

    async def _post(self, resource: Resource, payload: dict[str, Any]) -> int:
        """POST (or PUT) one event to a Webhook connection; its HTTP status."""
        values = notifications.settings(resource)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"{self.app}/{self.config.version} (alpine 3.22.0)",
        }
        for header in values.get("headers") or []:
            if isinstance(header, dict) and "key" in header:
                headers[str(header["key"])] = str(header.get("value", ""))
        auth = None
        if values.get("username") or values.get("password"):
            auth = aiohttp.BasicAuth(
                str(values.get("username") or ""), str(values.get("password") or "")
            )
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.request(
            "PUT" if values.get("method") == 2 else "POST",
            str(values.get("url")),
            data=notifications.payload_text(payload).encode(),
            headers=headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT),
        ) as response:
            return response.status

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
