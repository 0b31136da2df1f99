"""A Home Assistant process, and a client for its REST and websocket APIs.

Everything a person does in the browser's first minutes, done over the same
APIs the frontend uses: onboarding, logging in, the config flow, entities,
states, events, history, diagnostics.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import itertools
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Self

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
# The environment of the newest Home Assistant (scripts/setup ha).
HA_PYTHON = REPO_ROOT / ".venv-ha" / "bin" / "python"
DOMAIN = "ai_arr_control"

# Seconds: a cold start of Home Assistant here takes 10-30 s.
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)


class HomeAssistantError(RuntimeError):
    """Home Assistant did not start, or answered something unexpected."""


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host if host != "0.0.0.0" else "127.0.0.1", port)) == 0  # noqa: S104


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_http_config(config_dir: Path, *, host: str, port: int) -> None:
    """Where Home Assistant listens, written before it starts.

    Since 2026.11 the HTTP settings live in ``.storage/http``: YAML is migrated
    once as an unconfirmed trial that reverts to the defaults (every interface,
    port 8123) after five minutes. A demo or test instance is set up on
    ``host:port`` as a confirmed ("stable") configuration instead.
    """
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    stable = {
        "server_host": [host],
        "server_port": port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "intermediate_v6",
        "use_x_frame_options": True,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    (storage / "http").write_text(
        json.dumps(
            {
                "version": 3,
                "minor_version": 1,
                "key": "http",
                "data": {
                    "stable": stable,
                    "pending": None,
                    "yaml_migration_done": True,
                },
            },
            indent=2,
        ),
        encoding="utf-8",
    )


def write_configuration(
    config_dir: Path, *, host: str, port: int, extra: str = ""
) -> None:
    """A minimal configuration.yaml for a test or demo instance.

    Not ``default_config``: its discovery integrations (zeroconf, ssdp, dhcp,
    bluetooth) would probe the local network; these instances talk to 127.0.0.1.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "custom_components").mkdir(exist_ok=True)
    link = config_dir / "custom_components" / DOMAIN
    if not link.is_symlink() and not link.exists():
        link.symlink_to(REPO_ROOT / "custom_components" / DOMAIN)
    (config_dir / "configuration.yaml").write_text(
        f"""homeassistant:
  name: AI Arr Control test
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: DE
frontend:
config:
recorder:
  commit_interval: 1
history:
logbook:
automation: !include automations.yaml
script:
person:
system_health:
mobile_app:
logger:
  default: warning
  logs:
    custom_components.ai_arr_control: debug
{extra}""",
        encoding="utf-8",
    )
    automations = config_dir / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n", encoding="utf-8")
    write_http_config(config_dir, host=host, port=port)


class HomeAssistantProcess:
    """``python -m homeassistant`` on a config dir, until stopped.

    ``--skip-pip``: nothing is installed at run time, so a start is the same
    offline as online; what the loaded integrations need is in the ``ha``
    dependency group.
    """

    def __init__(
        self,
        config_dir: Path,
        *,
        url: str,
        python: Path = HA_PYTHON,
        log_file: Path | None = None,
    ) -> None:
        """Prepare (not start) the process."""
        self.config_dir = config_dir
        self.url = url
        self.python = python
        self.log_file = log_file or config_dir / "home-assistant.out"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start it and wait until its HTTP server answers."""
        if not self.python.exists():
            raise HomeAssistantError(
                f"{self.python} is missing: run `scripts/setup ha` first"
            )
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT)
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: ASYNC220, S603
                [
                    str(self.python),
                    "-m",
                    "homeassistant",
                    "--config",
                    str(self.config_dir),
                    "--skip-pip",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise HomeAssistantError(
                        f"Home Assistant exited with {self.process.returncode}:\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    # Served without a login: 200 once onboarded, 400 before.
                    async with session.get(
                        f"{self.url}/auth/providers",
                        timeout=aiohttp.ClientTimeout(total=5),
                    ) as response:
                        if response.status in (200, 400):
                            return
                await asyncio.sleep(0.5)
        await self.stop()
        raise HomeAssistantError(
            f"Home Assistant did not answer within {timeout:.0f} s:\n" + self.log_tail()
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines it printed."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> int | None:
        """Stop it (SIGTERM, then SIGKILL after STOP_TIMEOUT); its exit code."""
        process = self.process
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        return process.returncode


@dataclass(frozen=True, slots=True)
class Login:
    """A Home Assistant user's name, login and password."""

    name: str
    username: str
    password: str


class HomeAssistantClient:
    """Home Assistant's REST and websocket APIs, as the frontend uses them."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        """Talk to the instance at ``url`` (no trailing slash)."""
        self.url = url
        self.session = session
        self.token: str | None = None
        self.client_id = f"{url}/"

    # -- onboarding and login -------------------------------------------------

    async def onboarded(self) -> bool:
        """Whether onboarding is complete (its API is gone once it is)."""
        async with self.session.get(f"{self.url}/api/onboarding") as response:
            if response.status == 404:
                return True
            await _expect(response, 200)
            steps = await response.json()
        return all(step["done"] for step in steps)

    async def wait_running(self, timeout: float = START_TIMEOUT) -> None:
        """Until Home Assistant has finished starting (every integration set up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (await self.get("/api/config")).get("state") == "RUNNING":
                return
            await asyncio.sleep(0.5)
        raise HomeAssistantError(
            f"Home Assistant did not finish starting in {timeout} s"
        )

    async def onboard(self, login: Login) -> None:
        """Onboarding as the frontend does it: owner, location, analytics, done."""
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": login.name,
                "username": login.username,
                "password": login.password,
                "language": "en",
            },
        ) as response:
            await _expect(response, 200)
            code = (await response.json())["auth_code"]
        await self._token_from_code(code)
        for step in ("core_config", "analytics"):
            await self.post(f"/api/onboarding/{step}", {})
        await self.post(
            "/api/onboarding/integration",
            {
                "client_id": self.client_id,
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )

    async def login(self, login: Login) -> None:
        """Log in with a username and password (the login flow)."""
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        ) as response:
            await _expect(response, 200)
            flow = await response.json()
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": login.username,
                "password": login.password,
            },
        ) as response:
            await _expect(response, 200)
            result = await response.json()
        if result.get("type") != "create_entry":
            raise HomeAssistantError(f"login refused: {result.get('errors')}")
        await self._token_from_code(result["result"])

    async def _token_from_code(self, code: str) -> None:
        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            await _expect(response, 200)
            self.token = (await response.json())["access_token"]

    async def long_lived_token(self, name: str) -> str:
        """A long-lived access token, as made under the user's Security tab."""
        async with self.websocket() as ws:
            token: str = await ws.call(
                "auth/long_lived_access_token", client_name=name, lifespan=30
            )
        return token

    # -- REST -------------------------------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        """The bearer token header."""
        if self.token is None:
            raise HomeAssistantError("not logged in")
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, *, status: int = 200) -> Any:
        """GET a REST path; its JSON."""
        async with self.session.get(
            f"{self.url}{path}", headers=self.headers
        ) as response:
            await _expect(response, status)
            return await response.json()

    async def get_bytes(self, path: str) -> bytes:
        """GET a REST path; its body."""
        async with self.session.get(
            f"{self.url}{path}", headers=self.headers
        ) as response:
            await _expect(response, 200)
            return await response.read()

    async def post(
        self, path: str, body: Mapping[str, Any] | None = None, *, status: int = 200
    ) -> Any:
        """POST JSON to a REST path; its JSON (None when empty)."""
        async with self.session.post(
            f"{self.url}{path}", json=body or {}, headers=self.headers
        ) as response:
            await _expect(response, status)
            if response.content_type == "application/json":
                return await response.json()
            return None

    # -- the config flow ---------------------------------------------------------

    async def config_flow(self, domain: str, *steps: Mapping[str, Any]) -> Any:
        """Start a config flow and answer its forms with ``steps``, in order;
        the flow's last answer (a form with errors, an abort, an entry)."""
        result = await self.post(
            "/api/config/config_entries/flow",
            {"handler": domain, "show_advanced_options": False},
        )
        for step in steps:
            if result.get("type") != "form":
                break
            result = await self.post(
                f"/api/config/config_entries/flow/{result['flow_id']}", dict(step)
            )
        if result.get("type") == "form":
            # Leave nothing half-done behind.
            async with self.session.delete(
                f"{self.url}/api/config/config_entries/flow/{result['flow_id']}",
                headers=self.headers,
            ):
                pass
        return result

    async def entries(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        """The config entries of a domain."""
        entries: list[dict[str, Any]] = await self.get(
            f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    # -- websocket ----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def websocket(self) -> AsyncIterator[WebSocket]:
        """An authenticated websocket connection."""
        async with self.session.ws_connect(
            f"{self.url}/api/websocket", max_msg_size=0
        ) as ws:
            hello = await ws.receive_json(timeout=30)
            if hello.get("type") != "auth_required":
                raise HomeAssistantError(f"unexpected websocket greeting {hello}")
            await ws.send_json({"type": "auth", "access_token": self.token})
            reply = await ws.receive_json(timeout=30)
            if reply.get("type") != "auth_ok":
                raise HomeAssistantError(f"websocket auth refused: {reply}")
            yield WebSocket(ws)


class WebSocket:
    """Commands with ids over one websocket connection, and its event messages."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated connection."""
        self.ws = ws
        self._ids = itertools.count(1)
        # Event messages that arrived while waiting for a result, by id.
        self.events: dict[int, list[Any]] = {}

    async def call(self, command: str, **data: Any) -> Any:
        """Send a command and wait for its result; raise on an error."""
        message_id = await self.send(command, **data)
        return await self.result(message_id)

    async def send(self, command: str, **data: Any) -> int:
        """Send a command; its id."""
        message_id = next(self._ids)
        await self.ws.send_json({"id": message_id, "type": command, **data})
        return message_id

    async def result(self, message_id: int, timeout: float = 60) -> Any:
        """The result of a command sent earlier."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = await self.ws.receive_json(timeout=left)
            if message.get("type") == "event":
                self.events.setdefault(message["id"], []).append(message["event"])
                continue
            if message.get("id") != message_id:
                continue
            if not message.get("success"):
                raise CommandError(message.get("error") or {})
            return message.get("result")
        raise TimeoutError(f"no result for websocket message {message_id}")

    async def next_event(self, subscription: int, timeout: float = 60) -> Any:
        """The next event message of a subscription."""
        queued = self.events.get(subscription)
        if queued:
            return queued.pop(0)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = await self.ws.receive_json(timeout=left)
            if message.get("type") != "event":
                continue
            if message["id"] == subscription:
                return message["event"]
            self.events.setdefault(message["id"], []).append(message["event"])
        raise TimeoutError(f"no event on subscription {subscription}")


class CommandError(HomeAssistantError):
    """A websocket command answered with an error."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        """Keep the error's code and message."""
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.error = dict(error)


async def _expect(response: aiohttp.ClientResponse, status: int) -> None:
    if response.status != status:
        body = await response.text()
        raise HomeAssistantError(
            f"{response.method} {response.url.path}: {response.status} "
            f"(expected {status}): {body[:500]}"
        )


@dataclass(slots=True)
class SimulatorProcess:
    """``python -m arr_simulator`` in a process, with what it printed."""

    process: subprocess.Popen[str]
    # name -> (app, url, api key), as printed at start.
    instances: dict[str, tuple[str, str, str]]
    control_url: str

    @classmethod
    async def start(
        cls,
        config: Path,
        *,
        log_file: Path,
        python: Path | str = sys.executable,
        extra_args: Sequence[str] = (),
        timeout: float = 60,
    ) -> Self:
        """Start it and read the instances it serves; its log goes to
        ``log_file``."""
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT)
        process = subprocess.Popen(  # noqa: ASYNC220, S603
            [
                str(python),
                "-m",
                "arr_simulator",
                "--config",
                str(config),
                *extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=log_file.open("w", encoding="utf-8"),
            text=True,
            env=env,
            start_new_session=True,
        )
        instances: dict[str, tuple[str, str, str]] = {}
        loop = asyncio.get_running_loop()
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = await asyncio.wait_for(
                loop.run_in_executor(None, process.stdout.readline),
                deadline - time.monotonic(),
            )
            if not line:
                error = log_file.read_text(encoding="utf-8", errors="replace")
                raise HomeAssistantError(f"the Arr simulator stopped: {error}")
            parts = line.split()
            if parts[:2] == ["control", "API"]:
                return cls(process, instances, parts[2])
            name, app, url, key = parts[0], parts[1], parts[2], parts[3]
            instances[name] = (app, url, key.removeprefix("api_key="))
        process.terminate()
        raise HomeAssistantError("the Arr simulator did not start in time")

    async def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL)."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
