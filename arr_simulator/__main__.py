"""Run the simulator: `python -m arr_simulator [--config PATH] [--host H] [--control-port P]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import sys

from .config import ConfigError, load_config
from .simulator import ArrSimulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m arr_simulator",
        description=(
            "Simulate Radarr/Sonarr/Prowlarr/... instances on loopback ports. "
            "Runs until Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="TOML config (default: the bundled arr_simulator/default.toml)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; keep it on loopback)",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        default=19999,
        help="port of the control API (default 19999, 0 = any free port)",
    )
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="ignore the configured ports and let the OS pick free ones",
    )
    return parser.parse_args(argv)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _serve(simulator: ArrSimulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with simulator:
        out = sys.stdout
        for instance in simulator.instances.values():
            out.write(
                f"{instance.name:<12} {instance.app:<9} {instance.url:<36} "
                f"api_key={instance.api_key}\n"
            )
        out.write(f"control API  {simulator.control_url}\n")
        out.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parse_args(argv)
    try:
        config = load_config(args.config)
    except (ConfigError, OSError) as err:
        sys.stderr.write(f"arr_simulator: {err}\n")
        return 2
    if args.ephemeral:
        config = config.with_ephemeral_ports()
    if not _is_loopback(args.host):
        sys.stderr.write(
            f"arr_simulator: warning: binding {args.host}, which is not loopback; "
            "the simulated API keys are public knowledge\n"
        )
    simulator = ArrSimulator(config, host=args.host, control_port=args.control_port)
    try:
        asyncio.run(_serve(simulator))
    except OSError as err:
        sys.stderr.write(f"arr_simulator: {err}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
