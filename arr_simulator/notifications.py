"""Connections ("notifications"): the Webhook kind, and the health events it sends.

Radarr/Sonarr `Api.V3/Notifications/NotificationController.cs` (a provider
controller: create and update test the connection live when it is enabled and
`forceSave` is not set), `Core/Notifications/Webhook/*` (what is POSTed), and
`Core/HealthCheck/HealthCheckService.cs` + `NotificationService.cs` (a Health
event when a check starts failing, HealthRestored when it passes again; errors
always, warnings only with includeHealthWarnings). Only Webhook connections are
simulated.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from yarl import URL

from .messages import http_error
from .state import (
    BadRequestError,
    NotFoundError,
    Resource,
    ServerError,
    ValidationFailedError,
    validation_failure,
)

if TYPE_CHECKING:
    from .state import InstanceState

# The on* flags of a connection, per app; Enable is any of them.
ON_FLAGS = {
    "Radarr": (
        "onGrab",
        "onDownload",
        "onUpgrade",
        "onRename",
        "onMovieAdded",
        "onMovieDelete",
        "onMovieFileDelete",
        "onMovieFileDeleteForUpgrade",
        "onHealthIssue",
        "onHealthRestored",
        "onApplicationUpdate",
        "onManualInteractionRequired",
    ),
    "Sonarr": (
        "onGrab",
        "onDownload",
        "onUpgrade",
        "onImportComplete",
        "onRename",
        "onSeriesAdd",
        "onSeriesDelete",
        "onEpisodeFileDelete",
        "onEpisodeFileDeleteForUpgrade",
        "onHealthIssue",
        "onHealthRestored",
        "onApplicationUpdate",
        "onManualInteractionRequired",
    ),
    "Prowlarr": ("onGrab", "onHealthIssue", "onHealthRestored", "onApplicationUpdate"),
}
INCLUDE_FLAGS = ("includeHealthWarnings", "includeManualGrabs")
WEBHOOK_FIELDS = ("url", "method", "username", "password", "headers")

# What a webhook POSTs for "Test" (WebhookBase.BuildTestPayload), by app.
TEST_PAYLOADS: dict[str, dict[str, Any]] = {
    "Radarr": {
        "movie": {
            "id": 1,
            "title": "Test Title",
            "year": 1970,
            "releaseDate": "1970-01-01",
            "folderPath": "C:\\testpath",
            "tmdbId": 0,
            "tags": ["test-tag"],
        },
        "remoteMovie": {
            "tmdbId": 1234,
            "imdbId": "5678",
            "title": "Test title",
            "year": 1970,
        },
        "release": {
            "quality": "Test Quality",
            "qualityVersion": 1,
            "releaseGroup": "Test Group",
            "releaseTitle": "Test Title",
            "indexer": "Test Indexer",
            "size": 9999999,
            "customFormatScore": 0,
        },
    },
    "Sonarr": {
        "series": {
            "id": 1,
            "title": "Test Title",
            "path": "C:\\testpath",
            "tvdbId": 1234,
            "tvMazeId": 0,
            "tmdbId": 0,
            "type": "standard",
            "year": 0,
            "tags": ["test-tag"],
        },
        "episodes": [
            {
                "id": 123,
                "episodeNumber": 1,
                "seasonNumber": 1,
                "title": "Test title",
                "seriesId": 0,
                "tvdbId": 0,
            }
        ],
    },
    "Prowlarr": {},
}


def _flags(app: str) -> tuple[str, ...]:
    return ON_FLAGS.get(app, ON_FLAGS["Radarr"])


def is_enabled(app: str, resource: Resource) -> bool:
    """NotificationDefinition.Enable: any on* flag (include* flags do not count)."""
    return any(resource.get(flag) for flag in _flags(app))


def settings(resource: Resource) -> dict[str, Any]:
    """A connection's WebhookSettings as {field: value}."""
    return {
        item["name"]: item.get("value")
        for item in resource.get("fields", [])
        if isinstance(item, dict) and "name" in item
    }


def build(state: InstanceState, body: Any, existing: Resource | None) -> Resource:
    """A connection from a request body (ToModel), validated (SharedValidator)."""
    if not isinstance(body, dict):
        raise BadRequestError("The request body must be a notification resource")
    app = state.config.app
    failures: list[Resource] = []
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        failures.append(
            validation_failure(
                "Name", "'Name' must not be empty.", name or "", "NotEmptyValidator"
            )
        )
    elif any(
        str(other.get("name", "")).casefold() == name.casefold()
        and other["id"] != (existing or {}).get("id")
        for other in state.notifications.values()
    ):
        failures.append(
            validation_failure("Name", "Should be unique", name, "PredicateValidator")
        )
    implementation = body.get("implementation")
    if implementation != "Webhook":
        failures.append(
            validation_failure(
                "Implementation",
                "'Implementation' must not be empty.",
                implementation,
                "NotEmptyValidator",
            )
        )
    fields = body.get("fields")
    if existing is None and fields is None:
        failures.append(
            validation_failure(
                "Fields", "'Fields' must not be empty.", None, "NotNullValidator"
            )
        )
    values: dict[str, Any] = {
        "url": None,
        "method": 1,
        "username": None,
        "password": None,
    }
    if app != "Prowlarr":
        values["headers"] = []
    stored = settings(existing) if existing is not None else {}
    for item in fields or []:
        if isinstance(item, dict) and item.get("name") in values:
            value = item.get("value")
            if item["name"] == "password" and value == "********":
                value = stored.get("password")
            values[item["name"]] = value
    url = values.get("url")
    if (
        not isinstance(url, str)
        or not url.lower().startswith("http")
        or not _absolute(url)
    ):
        failures.append(
            validation_failure(
                "Url",
                "must be valid URL that starts with http(s)://",
                url,
                "PredicateValidator",
            )
        )
    if failures:
        raise ValidationFailedError(failures)
    resource: Resource = {flag: bool(body.get(flag)) for flag in _flags(app)}
    for flag in INCLUDE_FLAGS:
        if flag == "includeManualGrabs" and app != "Prowlarr":
            continue
        if flag == "includeHealthWarnings" or app == "Prowlarr":
            resource[flag] = bool(body.get(flag))
    resource |= {f"supports{flag[0].upper()}{flag[1:]}": True for flag in _flags(app)}
    resource |= {
        "name": name,
        "fields": [
            {"order": order, "name": key, "value": value}
            for order, (key, value) in enumerate(values.items())
            if value is not None
        ],
        "implementationName": "Webhook",
        "implementation": "Webhook",
        "configContract": "WebhookSettings",
        "infoLink": f"https://wiki.servarr.com/{app.lower()}/supported#webhook",
        "tags": list(body.get("tags") or []),
        "id": existing["id"] if existing is not None else 0,
    }
    return resource


def _absolute(url: str) -> bool:
    try:
        parsed = URL(url)
    except ValueError:
        return False
    return parsed.is_absolute() and bool(parsed.host) and url == url.strip()


def present(resource: Resource) -> Resource:
    """A connection as GET shows it: a set password masked."""
    shown = copy.deepcopy(resource)
    for item in shown["fields"]:
        if item["name"] == "password" and item.get("value"):
            item["value"] = "********"
    return shown


def get(state: InstanceState, notification_id: int) -> Resource:
    """One stored connection, or NotFoundError."""
    resource = state.notifications.get(notification_id)
    if resource is None:
        raise NotFoundError(
            f"NotificationDefinition with ID {notification_id} does not exist"
        )
    return resource


def test_failure(app: str, url: str, status: int) -> list[Resource]:
    """The 400 a test answers when the receiver answered an HTTP error."""
    message = f"Unable to post to webhook: {http_error(status, 'POST', url)}"
    if app != "Prowlarr":
        message = f"Unable to send test message: {message}"
    return [
        {
            "isWarning": False,
            "propertyName": "Url",
            "errorMessage": message,
            "severity": "error",
        }
    ]


def payload_text(payload: dict[str, Any]) -> str:
    """Newtonsoft's ToJson: indented by 2, camelCase already, nulls left out."""
    return json.dumps(payload, indent=2)


def test_payload(state: InstanceState) -> dict[str, Any]:
    """The Test event's body (WebhookBase.BuildTestPayload)."""
    app = state.config.app
    return {
        **copy.deepcopy(TEST_PAYLOADS.get(app, {})),
        "eventType": "Test",
        "instanceName": state.config.instance_name,
        "applicationUrl": "",
    }


def health_payload(
    state: InstanceState, check: Resource, *, restored: bool
) -> dict[str, Any]:
    """A Health or HealthRestored event's body (WebhookHealthPayload).

    Radarr and Prowlarr set applicationUrl on Health only; Sonarr on neither.
    """
    payload: dict[str, Any] = {
        "level": check["type"],
        "message": check["message"],
        "type": check["source"],
        "wikiUrl": check["wikiUrl"],
        "eventType": "HealthRestored" if restored else "Health",
        "instanceName": state.config.instance_name,
    }
    if not restored and state.config.app != "Sonarr":
        payload["applicationUrl"] = ""
    return payload


def wants(
    state: InstanceState, resource: Resource, check: Resource, *, restored: bool
) -> bool:
    """Whether a connection takes a health event (NotificationService)."""
    flag = "onHealthRestored" if restored else "onHealthIssue"
    if not resource.get(flag):
        return False
    if check["type"] == "error":
        return True
    return check["type"] == "warning" and bool(resource.get("includeHealthWarnings"))


def require(condition: bool, message: str) -> None:
    """Raise the app's 500 for an unhandled case."""
    if not condition:
        raise ServerError(message)
