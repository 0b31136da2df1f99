"""aiohttp.web application serving one simulated instance.

Section numbers (§) refer to the team's Arr API reference (arr-api.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import notifications, reports
from .state import (
    HISTORY_EVENTS,
    BadRequestError,
    InstanceFaultMode,
    NotFoundError,
    ServerError,
    ValidationFailedError,
    format_time,
    parse_time,
)

if TYPE_CHECKING:
    from .instance import SimulatedInstance

type Handler = Callable[["SimulatedInstance", "ApiRequest"], Awaitable[web.Response]]

_LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<form method="post" action="/login">
<h1>Sign in to continue</h1>
<input name="username" autocomplete="username">
<input name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button>
</form>
</body>
</html>
"""

_UI_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body><div id="root"></div></body>
</html>
"""


class ServerClosingError(Exception):
    """Raised inside a handler whose simulated wait was cut short by a shutdown."""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request an instance received (before any fault or auth check)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    text: str
    time: datetime

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form (used by the control API)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "text": self.text,
            "time": format_time(self.time),
        }


@dataclass(slots=True)
class ApiRequest:
    """A request routed to an API handler, with the path relative to /api/vN."""

    request: web.Request
    match: dict[str, str]
    body: Any

    def query(self, name: str) -> str | None:
        """Return a query parameter, matching its name case-insensitively."""
        lowered = name.lower()
        for key, value in self.request.query.items():
            if key.lower() == lowered:
                return value
        return None

    def query_flag(self, name: str) -> bool:
        """Return a boolean query parameter (forceSave=true)."""
        return (self.query(name) or "").lower() == "true"


def create_app(instance: SimulatedInstance) -> web.Application:
    """Build the aiohttp application of one instance."""
    app = web.Application(client_max_size=16 * 1024 * 1024)

    async def handle(request: web.Request) -> web.StreamResponse:
        text = await request.text()
        body: Any = None
        if text:
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        instance.record_request(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=body,
                text=text,
                time=instance.clock(),
            )
        )
        try:
            response = await _dispatch(instance, request, body, text)
        except ServerClosingError:
            # The instance went down mid-request: drop the connection like a
            # crashing server would instead of answering.
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable from None
        # A request may have moved a back-off, and so the health the apps'
        # connections are told about.
        instance.on_change()
        return response

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def _dispatch(
    instance: SimulatedInstance, request: web.Request, body: Any, text: str
) -> web.StreamResponse:
    fault = instance.fault
    if fault is not None and fault.mode is InstanceFaultMode.SLOW:
        await instance.sleep(fault.delay)
    if fault is not None and fault.mode is InstanceFaultMode.HTML:
        # A reverse proxy in front of the app answers with its login page.
        return web.Response(text=_LOGIN_PAGE, content_type="text/html")

    path = request.path
    url_base = instance.url_base
    if url_base:
        if path != url_base and not path.startswith(f"{url_base}/"):
            # UrlBaseMiddleware (§1); done before auth here for simplicity.
            location = f"{url_base}{path}"
            if request.query_string:
                location = f"{location}?{request.query_string}"
            return web.Response(
                status=instance.state.traits.redirect_status,
                headers={"Location": location},
            )
        path = path[len(url_base) :] or "/"

    if path.rstrip("/") == "/ping" and request.method in ("GET", "HEAD"):
        if fault is not None and fault.mode is InstanceFaultMode.ERROR:
            return web.json_response({"status": "Error"}, status=500)
        return web.json_response({"status": "OK"})
    if path != "/api" and not path.startswith("/api/"):
        if request.method in ("GET", "HEAD"):
            # The SPA's index page is served for any UI path.
            return web.Response(
                text=_UI_PAGE.format(title=instance.config.instance_name),
                content_type="text/html",
            )
        return web.Response(status=404)

    if fault is not None and fault.mode is InstanceFaultMode.STARTING:
        return web.json_response(
            {
                "errorMessage": (
                    f"{instance.app} is starting up, please try again later"
                )
            },
            status=503,
        )
    if not _authenticated(instance, request) or (
        fault is not None and fault.mode is InstanceFaultMode.UNAUTHORIZED
    ):
        # HandleChallengeAsync: 401 with an empty body, no version header (§1).
        return web.Response(status=401)

    response = await _api(instance, request, path, body, text)
    # VersionMiddleware runs after authentication (§1).
    response.headers["X-Application-Version"] = instance.config.version
    return response


def _authenticated(instance: SimulatedInstance, request: web.Request) -> bool:
    # Query "apikey" first, then X-Api-Key, then "Authorization: Bearer" (§1).
    key: str | None = None
    for name, value in request.query.items():
        if name.lower() == "apikey":
            key = value
            break
    if key is None:
        key = request.headers.get("X-Api-Key")
    if key is None:
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            key = authorization[len("bearer ") :].strip()
    return bool(key) and key == instance.api_key


async def _api(
    instance: SimulatedInstance,
    request: web.Request,
    path: str,
    body: Any,
    text: str,
) -> web.Response:
    fault = instance.fault
    if fault is not None and fault.mode is InstanceFaultMode.ERROR:
        return web.json_response(
            {
                "message": fault.message or "database is locked",
                "description": (
                    "code = Busy (5), message = System.Data.SQLite.SQLiteException "
                    "(0x800007AF): database is locked"
                ),
            },
            status=500,
        )
    if path.rstrip("/") == "/api":
        if request.method != "GET":
            return web.Response(status=405)
        return web.json_response({"current": instance.api_version, "deprecated": []})
    v5 = instance.api_version == "v5"
    prefix = f"/api/{instance.api_version}"
    if path != prefix and not path.startswith(f"{prefix}/"):
        # Wrong API version (e.g. /api/v3 on Prowlarr): no such route.
        return web.Response(status=404)
    relative = path[len(prefix) :].rstrip("/") or "/"
    if text and body is None and request.method in ("POST", "PUT"):
        return web.json_response(
            {"message": "The request body is not valid JSON"}, status=400
        )

    path_matched = False
    for method, pattern, handler, prowlarr_only in _ROUTES:
        match = pattern.fullmatch(relative)
        if match is None:
            continue
        if relative.startswith(
            ("/notification", "/connection")
        ) and not relative.startswith(f"/{_NOTIFICATIONS(instance)}"):
            continue
        if (
            prowlarr_only is not None
            and prowlarr_only != instance.state.traits.is_prowlarr
        ):
            continue
        path_matched = True
        if method != request.method:
            continue
        if handler in (_bulk_update, _bulk_delete) and not instance.config.bulk:
            # Apps older than the bulk API have no such PUT route (§4).
            return web.Response(status=405)
        if handler is _naming_config and v5:
            # Sonarr v5 moved config/* to settings/*.
            continue
        try:
            return await handler(instance, ApiRequest(request, match.groupdict(), body))
        except ValidationFailedError as err:
            return web.json_response(err.failures, status=400)
        except BadRequestError as err:
            return web.json_response({"message": str(err)}, status=400)
        except NotFoundError as err:
            return web.json_response({"message": str(err)}, status=404)
        except ServerError as err:
            # RadarrErrorPipeline: any other exception is a 500.
            return web.json_response(
                {"message": str(err), "description": f"System.Exception: {err}"},
                status=500,
            )
    return web.Response(status=405 if path_matched else 404)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


async def _system_status(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(reports.system_status(instance.state))


async def _naming_config(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(reports.naming_config(instance.state))


async def _health(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(instance.health())


async def _list_indexers(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(instance.state.list_indexers())


async def _get_indexer(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(instance.state.get_indexer(int(api.match["id"])))


async def _update_indexer(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    route_id = int(api.match["id"]) if api.match.get("id") else None
    state = instance.state
    pending = state.prepare_update(
        route_id, api.body, force_save=_skips_test(instance, api)
    )
    if pending.needs_test:
        failure = await instance.run_test(pending.resource)
        if failure is not None:
            # A failed test rejects the PUT; nothing is saved (§4).
            return _json([failure.as_json()], status=400)
    resource = state.commit_update(pending)
    return web.json_response(
        resource,
        status=202,
        headers={"Location": f"{instance.api_url}/indexer/{resource['id']}"},
    )


async def _create_indexer(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    state = instance.state
    pending = state.prepare_create(api.body, force_save=_skips_test(instance, api))
    if pending.needs_test:
        failure = await instance.run_test(pending.resource)
        if failure is not None:
            return _json([failure.as_json()], status=400)
    resource = state.commit_create(pending)
    return web.json_response(
        resource,
        status=201,
        headers={"Location": f"{instance.api_url}/indexer/{resource['id']}"},
    )


def _skips_test(instance: SimulatedInstance, api: ApiRequest) -> bool:
    """forceSave=true, or Sonarr v5's skipTesting=true (forceSave is ignored there)."""
    if instance.api_version == "v5":
        return api.query_flag("skipTesting")
    return api.query_flag("forceSave")


async def _bulk_update(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    # Sonarr v5 answers the bulk editor 200 (v3: 202 Accepted).
    status = 200 if instance.api_version == "v5" else 202
    return _json(instance.state.bulk_update(api.body), status=status)


async def _bulk_delete(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    ids = api.body.get("ids") if isinstance(api.body, dict) else None
    if not isinstance(ids, list) or not ids:
        raise BadRequestError("ids must be provided")
    for indexer_id in ids:
        if isinstance(indexer_id, int):
            instance.state.delete_indexer(indexer_id)
    return _json({})


async def _delete_indexer(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    instance.state.delete_indexer(int(api.match["id"]))
    if instance.api_version == "v5":
        return web.Response(status=204)
    return _json({})


async def _test_indexer(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    resource = instance.state.prepare_test(api.body)
    failure = await instance.run_test(resource)
    if failure is not None:
        return _json([failure.as_json()], status=400)
    if instance.api_version == "v5":
        # Sonarr v5: 204 without a body.
        return web.Response(status=204)
    return _json({})


async def _test_all(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    state = instance.state
    results: list[dict[str, Any]] = []
    # Serial, one live test per enabled indexer, like the apps (§5).
    for indexer_id in state.testable_ids():
        resource = state.indexers.get(indexer_id)
        if resource is None:
            continue
        failure = await instance.run_test(resource)
        results.append(
            {
                "id": indexer_id,
                "isValid": failure is None,
                # Declared as List<ValidationFailure>: base properties only (§3).
                "validationFailures": []
                if failure is None
                else [
                    {
                        "propertyName": failure.property_name,
                        "errorMessage": failure.message,
                        "severity": "warning" if failure.is_warning else "error",
                    }
                ],
            }
        )
    valid = all(result["isValid"] for result in results)
    return _json(results, status=200 if valid else 400)


async def _indexer_status(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(reports.indexer_status_list(instance.state))


async def _indexer_stats(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    try:
        start = parse_time(value) if (value := api.query("startDate")) else None
        end = parse_time(value) if (value := api.query("endDate")) else None
        ids = (
            {int(item) for item in value.split(",") if item.strip()}
            if (value := api.query("indexers"))
            else None
        )
    except ValueError as err:
        raise BadRequestError(str(err)) from err
    protocols = (
        {item.strip().lower() for item in value.split(",") if item.strip()}
        if (value := api.query("protocols"))
        else None
    )
    return _json(
        reports.indexer_stats(
            instance.state, start=start, end=end, indexer_ids=ids, protocols=protocols
        )
    )


async def _history(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    try:
        page = int(api.query("page") or 1)
        page_size = int(api.query("pageSize") or 10)
        ids = {int(v) for v in api.request.query.getall("indexerIds", [])} or None
    except ValueError as err:
        raise BadRequestError(str(err)) from err
    types = set(api.request.query.getall("eventType", [])) or None
    names = None
    if types is not None:
        names = {_event_name(value) for value in types}
    return _json(
        reports.history_page(
            instance.state,
            page=page,
            page_size=page_size,
            indexer_ids=ids,
            event_types=names,
        )
    )


async def _history_since(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    value = api.query("date")
    if not value:
        raise BadRequestError("date is required")
    try:
        since = parse_time(value)
    except ValueError as err:
        raise BadRequestError(str(err)) from err
    event_type = api.query("eventType")
    return _json(
        reports.history_since(
            instance.state,
            since,
            _event_name(event_type) if event_type else None,
        )
    )


def _event_name(value: str) -> str:
    """HistoryEventType from its name (any case) or its number."""
    if value.isdigit() and int(value) < len(HISTORY_EVENTS):
        return HISTORY_EVENTS[int(value)]
    for name in HISTORY_EVENTS:
        if name.lower() == value.lower():
            return name
    raise BadRequestError(f"The value '{value}' is not valid for eventType.")


async def _list_notifications(
    instance: SimulatedInstance, api: ApiRequest
) -> web.Response:
    state = instance.state
    return _json(
        [
            notifications.present(r)
            for r in sorted(
                state.notifications.values(), key=lambda r: str(r["name"]).casefold()
            )
        ]
    )


async def _get_notification(
    instance: SimulatedInstance, api: ApiRequest
) -> web.Response:
    return _json(
        notifications.present(notifications.get(instance.state, int(api.match["id"])))
    )


async def _save_notification(
    instance: SimulatedInstance, api: ApiRequest
) -> web.Response:
    """POST (create) or PUT (update): a live test first when enabled (§ProviderControllerBase)."""
    state = instance.state
    route_id = api.match.get("id")
    existing = (
        notifications.get(state, int(route_id or api.body.get("id") or 0))
        if api.request.method == "PUT"
        else None
    )
    resource = notifications.build(state, api.body, existing)
    changed = existing is None or resource != existing or state.traits.app == "Prowlarr"
    if (
        notifications.is_enabled(state.config.app, resource)
        and changed
        and not _skips_test(instance, api)
    ):
        failure = await instance.test_webhook(resource)
        if failure is not None:
            return failure
    if changed:
        state.save_notification(resource)
    shown = notifications.present(state.notifications[resource["id"]])
    status = 201 if existing is None else 202
    return web.json_response(
        shown,
        status=status,
        headers={
            "Location": f"{instance.api_url}/{_NOTIFICATIONS(instance)}/{shown['id']}"
        },
    )


async def _delete_notification(
    instance: SimulatedInstance, api: ApiRequest
) -> web.Response:
    state = instance.state
    notifications.get(state, int(api.match["id"]))
    del state.notifications[int(api.match["id"])]
    return _json({})


async def _test_notification(
    instance: SimulatedInstance, api: ApiRequest
) -> web.Response:
    existing = None
    if isinstance(api.body, dict) and api.body.get("id"):
        existing = instance.state.notifications.get(int(api.body["id"]))
    resource = notifications.build(instance.state, api.body, existing)
    failure = await instance.test_webhook(resource)
    return failure if failure is not None else _json("{}")


def _NOTIFICATIONS(instance: SimulatedInstance) -> str:  # noqa: N802 - a route name
    # Sonarr v5 renamed notification to connection.
    return "connection" if instance.api_version == "v5" else "notification"


async def _applications(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(reports.applications(instance.state))


async def _app_profiles(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    return _json(
        [
            {
                "name": "Standard",
                "enableRss": True,
                "enableAutomaticSearch": True,
                "enableInteractiveSearch": True,
                "minimumSeeders": 1,
                "id": 1,
            }
        ]
    )


async def _command(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    command = instance.state.run_command(api.body)
    return web.json_response(
        command,
        status=201,
        headers={"Location": f"{instance.api_url}/command/{command['id']}"},
    )


async def _get_command(instance: SimulatedInstance, api: ApiRequest) -> web.Response:
    command = instance.state.commands.get(int(api.match["id"]))
    if command is None:
        raise NotFoundError(f"CommandModel with ID {api.match['id']} does not exist")
    return _json(command)


# (method, path relative to /api/vN, handler, Prowlarr-only?) — None: all apps.
# "bulk" routes come before "{id}" so they are never read as an id.
_ROUTES: list[tuple[str, re.Pattern[str], Handler, bool | None]] = [
    ("GET", re.compile(r"/system/status"), _system_status, None),
    ("GET", re.compile(r"/(?:notification|connection)"), _list_notifications, None),
    ("POST", re.compile(r"/(?:notification|connection)"), _save_notification, None),
    (
        "POST",
        re.compile(r"/(?:notification|connection)/test"),
        _test_notification,
        None,
    ),
    (
        "GET",
        re.compile(r"/(?:notification|connection)/(?P<id>\d+)"),
        _get_notification,
        None,
    ),
    (
        "PUT",
        re.compile(r"/(?:notification|connection)/(?P<id>\d+)"),
        _save_notification,
        None,
    ),
    (
        "DELETE",
        re.compile(r"/(?:notification|connection)/(?P<id>\d+)"),
        _delete_notification,
        None,
    ),
    ("GET", re.compile(r"/health"), _health, None),
    ("GET", re.compile(r"/config/naming"), _naming_config, False),
    ("GET", re.compile(r"/indexer"), _list_indexers, None),
    ("POST", re.compile(r"/indexer"), _create_indexer, None),
    ("PUT", re.compile(r"/indexer"), _update_indexer, None),
    ("PUT", re.compile(r"/indexer/bulk"), _bulk_update, None),
    ("DELETE", re.compile(r"/indexer/bulk"), _bulk_delete, None),
    ("POST", re.compile(r"/indexer/test"), _test_indexer, None),
    ("POST", re.compile(r"/indexer/testall"), _test_all, None),
    ("GET", re.compile(r"/indexer/(?P<id>\d+)"), _get_indexer, None),
    ("PUT", re.compile(r"/indexer/(?P<id>\d+)"), _update_indexer, None),
    ("DELETE", re.compile(r"/indexer/(?P<id>\d+)"), _delete_indexer, None),
    ("GET", re.compile(r"/indexerstatus"), _indexer_status, True),
    ("GET", re.compile(r"/indexerstats"), _indexer_stats, True),
    ("GET", re.compile(r"/applications"), _applications, True),
    ("GET", re.compile(r"/history"), _history, True),
    ("GET", re.compile(r"/history/since"), _history_since, True),
    ("GET", re.compile(r"/appprofile"), _app_profiles, True),
    ("POST", re.compile(r"/command"), _command, None),
    ("GET", re.compile(r"/command/(?P<id>\d+)"), _get_command, None),
]
