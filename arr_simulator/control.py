"""Control API: a small JSON API (own loopback port) to script the simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .config import ConfigError
from .state import HISTORY_EVENTS, NotFoundError, format_time

if TYPE_CHECKING:
    from .instance import SimulatedInstance
    from .simulator import ArrSimulator

type ControlHandler = Callable[[web.Request], Awaitable[web.Response]]

_INSTANCE_MODES = (
    "down",
    "up",
    "unauthorized",
    "error",
    "html",
    "slow",
    "starting",
    "none",
)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


async def _json_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text:
        return {}
    try:
        body = json.loads(text)
    except ValueError as err:
        raise web.HTTPBadRequest(
            text=json.dumps({"message": f"invalid JSON: {err}"}),
            content_type="application/json",
        ) from err
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"message": "the body must be a JSON object"}),
            content_type="application/json",
        )
    return body


def create_control_app(simulator: ArrSimulator) -> web.Application:
    """Build the control API application of `simulator`."""
    app = web.Application()

    def instance_of(request: web.Request) -> SimulatedInstance:
        name = request.match_info["name"]
        try:
            return simulator.instance(name)
        except KeyError:
            raise web.HTTPNotFound(
                text=json.dumps({"message": f"unknown instance {name!r}"}),
                content_type="application/json",
            ) from None

    async def list_instances(request: web.Request) -> web.Response:
        return web.json_response(
            [instance.info() for instance in simulator.instances.values()]
        )

    async def get_instance(request: web.Request) -> web.Response:
        return web.json_response(instance_of(request).info())

    async def set_instance_fault(request: web.Request) -> web.Response:
        instance = instance_of(request)
        body = await _json_body(request)
        mode = body.get("mode")
        if mode is not None and mode not in _INSTANCE_MODES:
            return _error(
                400, f"mode must be one of {', '.join(_INSTANCE_MODES)} or null"
            )
        delay = body.get("delay", 2.0)
        message = body.get("message")
        if not isinstance(delay, int | float) or isinstance(delay, bool):
            return _error(400, "delay must be a number")
        if mode == "down":
            await instance.set_down(True)
        else:
            if instance.down:
                # Clearing or replacing the fault of a downed instance brings it up.
                await instance.set_down(False)
            instance.set_fault(
                None if mode == "up" else mode, delay=float(delay), message=message
            )
        return web.json_response(instance.info())

    async def list_indexers(request: web.Request) -> web.Response:
        instance = instance_of(request)
        return web.json_response(
            [instance.indexers[key] for key in sorted(instance.indexers)]
        )

    async def add_indexer(request: web.Request) -> web.Response:
        instance = instance_of(request)
        body = await _json_body(request)
        try:
            resource = instance.add_indexer(body)
        except ConfigError as err:
            return _error(400, str(err))
        return web.json_response(resource, status=201)

    async def remove_indexer(request: web.Request) -> web.Response:
        instance = instance_of(request)
        instance.remove_indexer(int(request.match_info["id"]))
        return web.json_response({})

    async def set_indexer_fault(request: web.Request) -> web.Response:
        instance = instance_of(request)
        indexer_id = int(request.match_info["id"])
        body = await _json_body(request)
        latency = body.get("latency", 0.0)
        hang = body.get("hang", False)
        for key in ("fail", "kind", "url"):
            if body.get(key) is not None and not isinstance(body[key], str):
                return _error(400, f"{key} must be a string or null")
        if not isinstance(latency, int | float) or isinstance(latency, bool):
            return _error(400, "latency must be a number")
        if not isinstance(hang, bool):
            return _error(400, "hang must be a boolean")
        try:
            instance.set_indexer_fault(
                indexer_id,
                fail=body.get("fail"),
                kind=body.get("kind"),
                url=body.get("url"),
                latency=float(latency),
                hang=hang,
            )
        except NotFoundError as err:
            return _error(404, str(err))
        except ValueError as err:
            return _error(400, str(err))
        return web.json_response(
            {
                "id": indexer_id,
                "fail": body.get("fail"),
                "kind": body.get("kind"),
                "url": body.get("url"),
                "latency": latency,
                "hang": hang,
            }
        )

    async def record_traffic(request: web.Request) -> web.Response:
        instance = instance_of(request)
        indexer_id = int(request.match_info["id"])
        body = await _json_body(request)
        count = body.get("count", 1)
        event_type = body.get("event_type", "indexerRss")
        successful = body.get("successful", True)
        source = body.get("source", "Sonarr")
        if (
            not isinstance(count, int)
            or isinstance(count, bool)
            or not 0 < count <= 10000
        ):
            return _error(400, "count must be an integer from 1 to 10000")
        if event_type not in HISTORY_EVENTS:
            return _error(400, f"event_type must be one of {', '.join(HISTORY_EVENTS)}")
        if not isinstance(successful, bool) or not isinstance(source, str):
            return _error(400, "successful must be a boolean, source a string")
        try:
            instance.record_traffic(
                indexer_id,
                count=count,
                event_type=event_type,
                successful=successful,
                source=source,
            )
        except NotFoundError as err:
            return _error(404, str(err))
        except ValueError as err:
            return _error(400, str(err))
        return web.json_response({"id": indexer_id, "recorded": count}, status=201)

    async def run_sync(request: web.Request) -> web.Response:
        instance = instance_of(request)
        body = await _json_body(request)
        if not instance.state.traits.is_prowlarr:
            return _error(400, "only a Prowlarr syncs indexers into apps")
        instance.run_scheduled_sync(force=bool(body.get("force", False)))
        return web.json_response({})

    async def indexer_status(request: web.Request) -> web.Response:
        instance = instance_of(request)
        indexer_id = int(request.match_info["id"])
        try:
            status = instance.status(indexer_id)
        except NotFoundError as err:
            return _error(404, str(err))
        data = {
            key: format_time(value)
            if value is not None and key != "escalation_level"
            else value
            for key, value in asdict(status).items()
        }
        data["disabled"] = status.is_disabled(instance.clock())
        return web.json_response(data)

    async def get_requests(request: web.Request) -> web.Response:
        instance = instance_of(request)
        return web.json_response([item.as_dict() for item in instance.requests])

    async def clear_requests(request: web.Request) -> web.Response:
        instance_of(request).clear_requests()
        return web.json_response({})

    async def reset(request: web.Request) -> web.Response:
        await simulator.reset()
        return web.json_response({})

    routes: list[tuple[str, str, ControlHandler]] = [
        ("GET", "/instances", list_instances),
        ("GET", "/instances/{name}", get_instance),
        ("POST", "/instances/{name}/fault", set_instance_fault),
        ("GET", "/instances/{name}/indexers", list_indexers),
        ("POST", "/instances/{name}/indexers", add_indexer),
        ("DELETE", r"/instances/{name}/indexers/{id:\d+}", remove_indexer),
        ("POST", r"/instances/{name}/indexers/{id:\d+}/fault", set_indexer_fault),
        ("GET", r"/instances/{name}/indexers/{id:\d+}/status", indexer_status),
        ("POST", r"/instances/{name}/indexers/{id:\d+}/history", record_traffic),
        ("POST", "/instances/{name}/sync", run_sync),
        ("GET", "/instances/{name}/requests", get_requests),
        ("DELETE", "/instances/{name}/requests", clear_requests),
        ("POST", "/reset", reset),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    return app
