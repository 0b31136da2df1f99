"""A real Home Assistant process (the newest, from ``.venv-ha``) and the Arr
simulator in another process, shared by the end-to-end tests.

The Home Assistant is onboarded over REST and has every simulated instance
added through the config flow before the first test, as a person would do it in
the browser. Tests talk to it only over its REST and websocket APIs, and to the
simulator over its control API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass, field
from pathlib import Path
import re
import shutil
import tomllib
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import pytest_socket

from devtools.hass import (
    DOMAIN,
    HA_PYTHON,
    REPO_ROOT,
    REQUEST_TIMEOUT,
    HomeAssistantClient,
    HomeAssistantProcess,
    Login,
    SimulatorProcess,
    free_port,
    write_configuration,
)

STACK = REPO_ROOT / "arr_simulator" / "default.toml"
BLUEPRINTS = REPO_ROOT / "blueprints" / "automation" / DOMAIN
OWNER = Login(name="E2E Owner", username="owner", password="e2e-owner-password")
# Field names whose values are secrets in the simulated stack's indexers.
SECRET_FIELDS = re.compile(r"(?i)apikey|password|token|cookie|passkey")


@dataclass(slots=True)
class Stack:
    """The running Home Assistant and simulator, and what a test needs of them."""

    url: str
    token: str
    config_dir: Path
    hass: HomeAssistantProcess
    simulator: SimulatorProcess
    # Simulator name -> config entry id.
    entries: dict[str, str] = field(default_factory=dict)

    def client(self, session: aiohttp.ClientSession) -> HomeAssistantClient:
        """A client logged in as the owner."""
        client = HomeAssistantClient(self.url, session)
        client.token = self.token
        return client

    async def control(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        body: Any = None,
    ) -> Any:
        """Call the simulator's control API; its JSON."""
        async with session.request(
            method, f"{self.simulator.control_url}{path}", json=body
        ) as response:
            assert response.status < 300, await response.text()
            return await response.json()

    def secrets(self) -> set[str]:
        """Every secret of the stack: the instances' API keys and the indexers'
        keys, passwords and tokens (Cardigann ones included)."""
        found = {key for _app, _url, key in self.simulator.instances.values()}
        with STACK.open("rb") as file:
            config = tomllib.load(file)
        for instance in config["instance"]:
            for indexer in instance.get("indexer", []):
                for name, value in indexer.get("fields", {}).items():
                    if SECRET_FIELDS.search(name) and isinstance(value, str) and value:
                        found.add(value)
        return found


async def _start(tmp: Path) -> Stack:
    simulator = await SimulatorProcess.start(
        STACK,
        log_file=tmp / "arr-simulator.log",
        extra_args=["--ephemeral", "--control-port", "0"],
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config_dir = tmp / "config"
    write_configuration(config_dir, host="127.0.0.1", port=port)
    if BLUEPRINTS.is_dir():
        shutil.copytree(BLUEPRINTS, config_dir / "blueprints" / "automation" / DOMAIN)
    hass = HomeAssistantProcess(config_dir, url=url)
    try:
        await hass.start()
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
            client = HomeAssistantClient(url, session)
            assert not await client.onboarded()
            await client.onboard(OWNER)
            await client.wait_running()
            async with client.websocket() as ws:
                await ws.call("config/core/update", internal_url=url)
            assert client.token is not None
            stack = Stack(url, client.token, config_dir, hass, simulator)
            for name, (_app, instance_url, key) in simulator.instances.items():
                result = await client.config_flow(
                    DOMAIN, {"url": instance_url, "api_key": key}
                )
                assert result["type"] == "create_entry", result
                stack.entries[name] = result["result"]["entry_id"]
    except BaseException:
        await hass.stop()
        await simulator.stop()
        raise
    return stack


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Generator[Stack]:
    """Home Assistant onboarded, with every simulated instance added."""
    if not HA_PYTHON.exists():
        pytest.fail(f"{HA_PYTHON} is missing: run `scripts/setup ha` first")
    # Home Assistant's test plugin blocks sockets outside a test's own
    # socket_enabled; these processes live longer than any test.
    pytest_socket.enable_socket()
    stack = asyncio.run(_start(tmp_path_factory.mktemp("e2e")))
    yield stack

    async def stop() -> None:
        await stack.hass.stop()
        await stack.simulator.stop()

    asyncio.run(stop())
    # Over the whole run, whatever the order of the tests.
    assert not errors_of_ours(stack.config_dir / "home-assistant.log")


# A log record starts with its time: "2026-12-05 05:07:01.809+00:00 ERROR (...".
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.MULTILINE)


def errors_of_ours(log_file: Path) -> list[str]:
    """The error records of Home Assistant's log that come from our
    integration: logged by it, or with a traceback through its code."""
    text = log_file.read_text(encoding="utf-8", errors="replace")
    starts = [match.start() for match in RECORD_START.finditer(text)]
    records = [
        text[start:end]
        for start, end in zip(starts, [*starts[1:], len(text)], strict=True)
    ]
    return [record for record in records if _is_error_of_ours(record)]


def _is_error_of_ours(record: str) -> bool:
    if record.split(" ", 3)[2] not in ("ERROR", "CRITICAL") or DOMAIN not in record:
        return False
    if "Traceback" in record:
        return True
    # An instance that cannot be reached: logged once by the coordinator (Home
    # Assistant's own "Error fetching" line), and once more when it is back.
    if f"Error fetching {DOMAIN} " in record:
        return False
    # The translated error of one of our actions, which Home Assistant's REST
    # and websocket APIs log as they answer it.
    return not (
        "[homeassistant.components.api]" in record
        or "[homeassistant.components.websocket_api." in record
    )


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No in-process Home Assistant here: the one under test is a process."""


@pytest_asyncio.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """An HTTP session for one test."""
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        yield session


@pytest.fixture
def stack(e2e_stack: Stack) -> Stack:
    """The shared stack (the session fixture, by a short name)."""
    return e2e_stack
