"""``scripts/develop``: the demo stack in a real Home Assistant, in one command.

Starts the Arr simulator with ``arr_simulator/demo.toml``, starts Home
Assistant on ``config/`` with this integration loaded from the working tree,
completes onboarding with the demo login, adds every simulated instance through
the config flow, and prints what to open. A second run reuses ``config/``:
nothing is onboarded or added twice. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import signal
import sys
import tomllib

import aiohttp

from .hass import (
    DOMAIN,
    REQUEST_TIMEOUT,
    HomeAssistantClient,
    HomeAssistantError,
    HomeAssistantProcess,
    Login,
    SimulatorProcess,
    port_in_use,
    write_http_config,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"
DEMO_STACK = REPO_ROOT / "arr_simulator" / "demo.toml"
# The simulator's control API (arr_simulator's default).
CONTROL_PORT = 19999
# The demo owner, documented in the README: a dev instance on 127.0.0.1 only.
DEMO_LOGIN = Login(name="Demo", username="demo", password="demo-arr-control")  # noqa: S106


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description=(
            "Run Home Assistant 2026.11 with AI Arr Control from this working tree, "
            "and simulated Arr apps to watch. Ctrl-C stops everything."
        ),
    )
    parser.add_argument(
        "--no-sim",
        action="store_true",
        help="start Home Assistant alone (to add your real Arr apps)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address Home Assistant listens on (default 127.0.0.1; 0.0.0.0 for "
        "the local network)",
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's port (default 8123)"
    )
    return parser.parse_args(argv)


def _simulator_ports() -> dict[int, str]:
    """The ports the demo stack listens on, with what each is for."""
    with DEMO_STACK.open("rb") as file:
        config = tomllib.load(file)
    ports = {
        int(instance["port"]): f"the simulated {instance['instance_name']}"
        for instance in config["instance"]
    }
    ports[CONTROL_PORT] = "the simulator's control API"
    return ports


def _busy_ports(args: argparse.Namespace) -> list[str]:
    """What is already taken, before anything starts."""
    wanted = {args.port: "Home Assistant"}
    if not args.no_sim:
        wanted |= _simulator_ports()
    return [
        f"port {port} ({what}) is in use"
        for port, what in sorted(wanted.items())
        if port_in_use("127.0.0.1", port)
        or (args.host != "127.0.0.1" and port_in_use(args.host, port))
    ]


async def _add_instances(
    client: HomeAssistantClient, simulator: SimulatorProcess
) -> dict[str, str]:
    """Add every simulated instance through the config flow, which refuses one
    added already; what became of each, by simulator name."""
    done: dict[str, str] = {}
    for name, (_app, url, api_key) in simulator.instances.items():
        result = await client.config_flow(DOMAIN, {"url": url, "api_key": api_key})
        kind = result.get("type")
        if kind == "create_entry":
            done[name] = f"added as {result['title']!r}"
        elif kind == "abort" and result.get("reason") == "already_configured":
            done[name] = "added before"
        else:
            done[name] = f"NOT ADDED: {result.get('errors') or result.get('reason')}"
    return done


async def _run(args: argparse.Namespace) -> int:
    if busy := _busy_ports(args):
        for line in busy:
            print(f"develop: {line}", file=sys.stderr)
        print(
            "develop: nothing was started. Stop what uses the port, or pick another "
            "Home Assistant port with --port.",
            file=sys.stderr,
        )
        return 1
    CONFIG_DIR.mkdir(exist_ok=True)
    custom = CONFIG_DIR / "custom_components"
    if not custom.is_symlink() and not custom.exists():
        custom.symlink_to(REPO_ROOT / "custom_components")
    # The notification blueprints, as if imported.
    blueprints = CONFIG_DIR / "blueprints" / "automation"
    blueprints.mkdir(parents=True, exist_ok=True)
    if not (blueprints / DOMAIN).is_symlink() and not (blueprints / DOMAIN).exists():
        (blueprints / DOMAIN).symlink_to(
            REPO_ROOT / "blueprints" / "automation" / DOMAIN
        )
    automations = CONFIG_DIR / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n", encoding="utf-8")
    write_http_config(CONFIG_DIR, host=args.host, port=args.port)
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"  # noqa: S104

    # Ctrl-C (asyncio.run's own handler) and SIGTERM cancel this task, at any
    # step: what was started is stopped below.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)

    simulator: SimulatorProcess | None = None
    hass = HomeAssistantProcess(
        CONFIG_DIR, url=url, log_file=CONFIG_DIR / "home-assistant.out"
    )
    try:
        if not args.no_sim:
            print("develop: starting the Arr simulator (arr_simulator/demo.toml)")
            simulator = await SimulatorProcess.start(
                DEMO_STACK,
                log_file=CONFIG_DIR / "arr-simulator.log",
                extra_args=["--control-port", str(CONTROL_PORT)],
            )
        print(
            f"develop: starting Home Assistant on {url} (log: config/home-assistant.log)"
        )
        await hass.start()
        added: dict[str, str] = {}
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
            client = HomeAssistantClient(url, session)
            if not await client.onboarded():
                print("develop: onboarding with the demo login")
                await client.onboard(DEMO_LOGIN)
            else:
                try:
                    await client.login(DEMO_LOGIN)
                except HomeAssistantError:
                    client.token = None
            if client.token is not None:
                await client.wait_running()
                # It listens on loopback unless asked otherwise: the URL the apps
                # push their health to (the address it guesses from the network
                # adapter would not answer).
                async with client.websocket() as ws:
                    await ws.call("config/core/update", internal_url=url)
            if simulator is not None and client.token is not None:
                print("develop: adding the simulated instances through the config flow")
                added = await _add_instances(client, simulator)
        print()
        print("=" * 72)
        print(f"AI Arr Control is running: open {url}")
        if client.token is not None:
            print(f"  login: {DEMO_LOGIN.username} / {DEMO_LOGIN.password}")
        else:
            print("  log in with your own login: the demo login no longer works here")
        if simulator is not None:
            print("Simulated Arr instances (Settings → Devices & services):")
            for name, (app, inst_url, key) in simulator.instances.items():
                print(f"  {app:<9} {inst_url:<34} API key {key}")
                print(
                    f"  {'':<9} {added.get(name, 'not added: the demo login failed')}"
                )
            print(f"  simulator control API: {simulator.control_url}")
        else:
            print(
                "No simulator: add your Arr apps under Settings → Devices & services."
            )
        print(
            "Ctrl-C stops Home Assistant"
            + (" and the simulator." if simulator else ".")
        )
        print("=" * 72, flush=True)

        while True:
            if hass.process is not None and hass.process.poll() is not None:
                print("develop: Home Assistant exited; see config/home-assistant.log")
                return 1
            if simulator is not None and simulator.process.poll() is not None:
                print("develop: the simulator exited; see config/arr-simulator.log")
                return 1
            await asyncio.sleep(1)
    except HomeAssistantError as err:
        print(f"develop: {err}", file=sys.stderr)
        return 1
    finally:
        print("develop: stopping", flush=True)
        await hass.stop()
        if simulator is not None:
            await simulator.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point; the exit code."""
    try:
        return asyncio.run(_run(_parse_args(argv)))
    except KeyboardInterrupt, asyncio.CancelledError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
