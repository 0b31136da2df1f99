"""Async client for the Arr apps' indexer APIs (Radarr, Sonarr, Prowlarr, ...).

It knows nothing of Home Assistant: it takes an ``aiohttp.ClientSession`` and
returns typed models. The API key travels only in the ``X-Api-Key`` header.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import json
import logging
import time
from typing import Any, Self

import aiohttp
from yarl import URL

from .const import (
    API_VERSIONS,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TEST_ALL_TIMEOUT,
    DEFAULT_TEST_TIMEOUT,
    MAX_REDIRECTS,
    PROFILES,
    AppProfile,
    ArrApp,
    profile_for,
)
from .exceptions import (
    ArrAuthenticationError,
    ArrConnectionError,
    ArrError,
    ArrNotArrAppError,
    ArrNotFoundError,
    ArrOtherAppError,
    ArrRedirectError,
    ArrResponseError,
    ArrTimeoutError,
    ArrUnsupportedError,
    ArrUnsupportedVersionError,
    ArrValidationError,
)
from .models import (
    HealthCheck,
    HistoryRecord,
    Indexer,
    IndexerStats,
    IndexerStatus,
    IndexerTestResult,
    Notification,
    ProwlarrApplication,
    SystemStatus,
    ValidationFailure,
)

_LOGGER = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Resource keys a full IndexerResource always has; a body without them is partial.
_FULL_RESOURCE_KEYS = ("id", "name", "implementation", "configContract", "fields")


class ArrInvalidUrlError(ArrError, ValueError):
    """The URL given for the Arr app is not an http(s) URL with a host."""


def normalize_url(url: str) -> str:
    """Return ``scheme://host[:port][/urlBase]`` without trailing slash.

    A URL without a scheme gets ``http://``, since that is how the apps listen.
    Raises ``ArrInvalidUrlError`` for anything that is not an http(s) URL.
    """
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    try:
        parsed = URL(text)
        _ = parsed.port  # a non-numeric port only fails when read
    except ValueError as err:
        raise ArrInvalidUrlError("The URL is not valid") from err
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ArrInvalidUrlError(
            "The URL must start with http:// or https:// and name a host"
        )
    path = parsed.path.rstrip("/") or "/"
    return str(parsed.with_path(path).with_query(None).with_fragment(None)).rstrip("/")


def safe_url(url: URL | str) -> str:
    """A URL fit for logs and messages: without user name and password."""
    parsed = URL(url) if isinstance(url, str) else url
    return str(parsed.with_user(None))


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    data: Any


class ArrClient:
    """Client for one Arr instance.

    The app and its API version are detected by ``system_status()``; every other
    call detects them first when that has not happened yet.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        test_timeout: float = DEFAULT_TEST_TIMEOUT,
        test_all_timeout: float = DEFAULT_TEST_ALL_TIMEOUT,
        api_version: str | None = None,
    ) -> None:
        """Set up the client; nothing is sent until the first call.

        ``api_version``: where the app was found before, tried first.
        """
        self._base = URL(normalize_url(url))
        self._api_key = api_key
        self._session = session
        self._request_timeout = request_timeout
        self._test_timeout = test_timeout
        self._test_all_timeout = test_all_timeout
        self._profile: AppProfile | None = None
        self._status: SystemStatus | None = None
        self._bulk_supported: bool | None = None
        self._api_version_hint = api_version if api_version in API_VERSIONS else None

    def __repr__(self) -> str:
        """Describe the client without its API key."""
        return f"ArrClient({safe_url(self._base)!r})"

    @property
    def url(self) -> str:
        """The base URL in use, including a urlBase learnt from a redirect."""
        return str(self._base)

    @property
    def status(self) -> SystemStatus | None:
        """The last system status read, or None before detection."""
        return self._status

    @property
    def app(self) -> ArrApp | None:
        """The detected app, or None before detection."""
        return self._profile.app if self._profile else None

    @property
    def flag_keys(self) -> tuple[str, ...]:
        """The detected app's enable flags (empty before detection)."""
        return self._profile.flag_keys if self._profile else ()

    # -- detection -------------------------------------------------------------

    async def system_status(self) -> SystemStatus:
        """Read ``system/status`` and detect the app and its API version.

        Probes ``/api/v3``, ``/api/v1`` and ``/api/v5`` until detection succeeded
        once, starting with the version the app was found at before (so a
        Prowlarr is not asked for ``/api/v3`` at every start).
        """
        if self._profile:
            versions: tuple[str, ...] = (self._profile.api_version,)
        elif self._api_version_hint:
            hint = self._api_version_hint
            versions = (hint, *(v for v in API_VERSIONS if v != hint))
        else:
            versions = API_VERSIONS
        last_error: ArrResponseError | None = None
        for api_version in versions:
            try:
                response = await self._request(
                    "GET", "system/status", api_version=api_version
                )
                status = await self._parse_status(response.data, api_version)
            except ArrRedirectError:
                raise
            except ArrResponseError as err:
                # Not this API version (404, HTML, not a status): try the next one.
                last_error = err
                continue
            self._profile = profile_for(status.app, api_version)
            self._status = status
            return status
        raise ArrNotArrAppError(
            f"No Arr API found at {safe_url(self._base)} "
            f"(tried {', '.join(f'/api/{v}' for v in versions)}): "
            f"{last_error}"
        ) from last_error

    async def _parse_status(self, data: Any, api_version: str) -> SystemStatus:
        if not isinstance(data, Mapping) or not isinstance(data.get("version"), str):
            raise ArrResponseError("system/status did not answer an Arr system status")
        version: str = data["version"]
        app_name = data.get("appName")
        reported = isinstance(app_name, str) and bool(app_name)
        if reported:
            app = next(
                (a for a in ArrApp if a.value.lower() == str(app_name).lower()), None
            )
            if app is None:
                raise ArrOtherAppError(f"{app_name} is not a supported Arr app")
        else:
            app = await self._identify_legacy(api_version)
        profile = profile_for(app, api_version)
        if profile is None:
            raise ArrResponseError(f"{app} does not serve /api/{api_version}")
        status = SystemStatus(
            app=app,
            version=version,
            api_version=api_version,
            instance_name=data.get("instanceName") or None,
            url_base=data.get("urlBase") or "",
            app_name_reported=reported,
        )
        if status.version_tuple < profile.minimum_version:
            minimum = ".".join(str(part) for part in profile.minimum_version)
            raise ArrUnsupportedVersionError(
                f"{app} {version} is too old: version {minimum} or newer is needed"
            )
        return status

    async def _identify_legacy(self, api_version: str) -> ArrApp:
        """Tell old instances (no ``appName``) apart by their naming settings."""
        try:
            response = await self._request(
                "GET", "config/naming", api_version=api_version
            )
        except ArrResponseError as err:
            raise ArrNotArrAppError(
                "system/status has no appName and the app could not be identified"
            ) from err
        naming = response.data if isinstance(response.data, Mapping) else {}
        for profile in PROFILES.values():
            if profile.api_version == api_version and profile.naming_key in naming:
                return profile.app
        raise ArrNotArrAppError("system/status has no appName and the app is not known")

    async def _ensure_profile(self) -> AppProfile:
        if self._profile is None:
            await self.system_status()
        assert self._profile is not None
        return self._profile

    # -- indexers --------------------------------------------------------------

    async def indexers(self) -> list[Indexer]:
        """All indexers, each with its full resource."""
        profile = await self._ensure_profile()
        response = await self._request("GET", "indexer")
        if not isinstance(response.data, list):
            raise ArrResponseError("The indexer list is not a JSON array")
        return [Indexer.from_json(item, profile.flag_keys) for item in response.data]

    async def indexer(self, indexer_id: int) -> Indexer:
        """One indexer, read fresh; ``ArrNotFoundError`` when it is gone."""
        profile = await self._ensure_profile()
        response = await self._request("GET", f"indexer/{indexer_id}")
        return Indexer.from_json(response.data, profile.flag_keys)

    async def test_indexer(self, indexer: Indexer) -> IndexerTestResult:
        """Test one indexer with its full resource (``POST /indexer/test``).

        200 (Sonarr v5: 204) means it passed, 400 that it did not, with the app's
        messages: a failure, a warning only (``isWarning``), or a validation error
        raised before any test. The app tests the settings in the body, so pass a
        fresh resource. A test moves the app's back-off: a pass clears it, a
        failure escalates it (validation errors raised before the test do not).
        """
        await self._ensure_profile()
        started = time.perf_counter()
        response = await self._request(
            "POST",
            "indexer/test",
            json_body=dict(indexer.resource),
            accept=(200, 204, 400),
            time_limit=self._test_timeout,
            parse=False,
        )
        elapsed = time.perf_counter() - started
        # Sonarr v5 answers a passing test 204 without a body.
        if response.status in (200, 204):
            return IndexerTestResult(indexer.id, True, response_time=elapsed)
        return IndexerTestResult(
            indexer.id, False, _test_failures(response.data), response_time=elapsed
        )

    async def test_all_indexers(self) -> list[IndexerTestResult]:
        """Test every enabled indexer at once (``POST /indexer/testall``).

        The app answers 400 when any test failed; that body is the per-indexer
        result, so it is data here, not an error. Disabled indexers are absent.
        """
        await self._ensure_profile()
        response = await self._request(
            "POST",
            "indexer/testall",
            accept=(200, 400),
            time_limit=self._test_all_timeout,
        )
        if not isinstance(response.data, list):
            raise ArrResponseError("indexer/testall did not answer an array")
        results: list[IndexerTestResult] = []
        for item in response.data:
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), int):
                raise ArrResponseError("indexer/testall answered an entry without id")
            failures = item.get("validationFailures") or []
            results.append(
                IndexerTestResult(
                    indexer_id=item["id"],
                    passed=item.get("isValid") is True,
                    failures=tuple(ValidationFailure.list_from_json(failures)),
                )
            )
        return results

    async def set_indexer_flags(
        self, indexer_id: int, flags: Mapping[str, bool]
    ) -> Indexer:
        """Set some of an indexer's enable flags and nothing else.

        Radarr-family flags are ``enableRss``, ``enableAutomaticSearch`` and
        ``enableInteractiveSearch``; Prowlarr's is ``enable``. Uses the bulk editor
        (no test, no validation, only these fields) where the app has it, else a
        fresh GET and the whole resource PUT back with ``forceSave`` (a partial
        body would reset every setting it lacks).
        """
        profile = await self._ensure_profile()
        unknown = set(flags) - set(profile.flag_keys)
        if unknown or not flags:
            raise ValueError(
                f"{profile.app} indexer flags are {', '.join(profile.flag_keys)}, "
                f"not {', '.join(sorted(unknown)) or 'nothing'}"
            )
        if self._use_bulk(profile):
            try:
                return await self._bulk_set_flags(profile, indexer_id, flags)
            except ArrResponseError as err:
                if err.status == 500:
                    # The apps answer a bulk edit naming a deleted indexer with 500
                    # (BasicRepository.Get: "Expected query to return 1 rows");
                    # a 404 on a fresh read says that is what happened.
                    await self.indexer(indexer_id)
                    raise
                if err.status not in (404, 405):
                    raise
                _LOGGER.debug(
                    "No bulk indexer editor at %s: %s", safe_url(self._base), err
                )
        return await self._put_flags(profile, indexer_id, flags)

    async def set_indexer_enabled(self, indexer_id: int, enabled: bool) -> Indexer:
        """Turn every enable flag of an indexer on or off."""
        profile = await self._ensure_profile()
        return await self.set_indexer_flags(
            indexer_id, dict.fromkeys(profile.flag_keys, enabled)
        )

    def _use_bulk(self, profile: AppProfile) -> bool:
        if self._bulk_supported is not None:
            return self._bulk_supported
        if profile.bulk_since is None or self._status is None:
            return True
        return self._status.version_tuple >= profile.bulk_since

    async def _bulk_set_flags(
        self, profile: AppProfile, indexer_id: int, flags: Mapping[str, bool]
    ) -> Indexer:
        response = await self._request(
            "PUT",
            "indexer/bulk",
            json_body={"ids": [indexer_id], **flags},
            accept=(200, 202),
        )
        if not isinstance(response.data, list):
            raise ArrResponseError("indexer/bulk did not answer an array")
        self._bulk_supported = True
        for item in response.data:
            indexer = Indexer.from_json(item, profile.flag_keys)
            if indexer.id == indexer_id:
                return indexer
        raise ArrNotFoundError(
            f"Indexer {indexer_id} does not exist", status=response.status
        )

    async def _put_flags(
        self, profile: AppProfile, indexer_id: int, flags: Mapping[str, bool]
    ) -> Indexer:
        current = await self.indexer(indexer_id)
        missing = [key for key in _FULL_RESOURCE_KEYS if key not in current.resource]
        if missing:
            raise ArrResponseError(
                f"Indexer {indexer_id} came back without {', '.join(missing)}; "
                "refusing to write a partial resource"
            )
        body = {**current.resource, **flags}
        response = await self._request(
            "PUT",
            f"indexer/{indexer_id}",
            params=dict(profile.force_save),
            json_body=body,
            accept=(200, 202),
        )
        self._bulk_supported = False
        return Indexer.from_json(response.data, profile.flag_keys)

    # -- health and Prowlarr ---------------------------------------------------

    async def health(self) -> list[HealthCheck]:
        """The app's failing health checks (``GET /health``)."""
        await self._ensure_profile()
        response = await self._request("GET", "health")
        if not isinstance(response.data, list):
            raise ArrResponseError("health did not answer an array")
        return [HealthCheck.from_json(item) for item in response.data]

    async def indexer_status(self) -> list[IndexerStatus]:
        """Prowlarr's currently blocked indexers (``GET /indexerstatus``)."""
        await self._ensure_prowlarr("indexerstatus")
        response = await self._request("GET", "indexerstatus")
        if not isinstance(response.data, list):
            raise ArrResponseError("indexerstatus did not answer an array")
        return [IndexerStatus.from_json(item) for item in response.data]

    async def indexer_stats(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        indexer_ids: Iterable[int] | None = None,
    ) -> list[IndexerStats]:
        """Prowlarr's per-indexer counters between ``start`` and ``end``."""
        await self._ensure_prowlarr("indexerstats")
        params: dict[str, str] = {}
        if start is not None:
            params["startDate"] = _iso(start)
        if end is not None:
            params["endDate"] = _iso(end)
        if indexer_ids is not None:
            params["indexers"] = ",".join(str(i) for i in indexer_ids)
        response = await self._request("GET", "indexerstats", params=params or None)
        if not isinstance(response.data, Mapping) or not isinstance(
            response.data.get("indexers", []), list
        ):
            raise ArrResponseError("indexerstats did not answer statistics")
        return [
            IndexerStats.from_json(item) for item in response.data.get("indexers", [])
        ]

    async def history_since(
        self, since: datetime, *, event_type: str | None = None
    ) -> list[HistoryRecord]:
        """Prowlarr's history from ``since`` on, oldest first (``/history/since``)."""
        await self._ensure_prowlarr("history")
        params = {"date": _iso(since)}
        if event_type is not None:
            params["eventType"] = event_type
        response = await self._request("GET", "history/since", params=params)
        if not isinstance(response.data, list):
            raise ArrResponseError("history/since did not answer an array")
        return [HistoryRecord.from_json(item) for item in response.data]

    # -- connections -----------------------------------------------------------

    async def notifications(self) -> list[Notification]:
        """The app's connections (``GET /notification``)."""
        profile = await self._ensure_profile()
        response = await self._request("GET", profile.notification_path)
        if not isinstance(response.data, list):
            raise ArrResponseError("notification did not answer an array")
        return [Notification.from_json(item) for item in response.data]

    async def create_notification(self, body: Mapping[str, Any]) -> Notification:
        """Add a connection. The app first tests it live: it sends its Test event
        to the connection, and answers 400 (the receiver answered an error) or 500
        (it could not be reached) when that fails."""
        profile = await self._ensure_profile()
        response = await self._request(
            "POST", profile.notification_path, json_body=dict(body), accept=(200, 201)
        )
        return Notification.from_json(response.data)

    async def update_notification(
        self, notification_id: int, body: Mapping[str, Any]
    ) -> Notification:
        """Replace a connection with a whole resource (tested live if it changed)."""
        profile = await self._ensure_profile()
        response = await self._request(
            "PUT",
            f"{profile.notification_path}/{notification_id}",
            json_body={**body, "id": notification_id},
            accept=(200, 202),
        )
        return Notification.from_json(response.data)

    async def delete_notification(self, notification_id: int) -> None:
        """Remove a connection."""
        profile = await self._ensure_profile()
        await self._request(
            "DELETE",
            f"{profile.notification_path}/{notification_id}",
            accept=(200, 204),
            parse=False,
        )

    async def prowlarr_applications(self) -> list[ProwlarrApplication]:
        """The apps this Prowlarr syncs indexers into (``GET /applications``)."""
        await self._ensure_prowlarr("applications")
        response = await self._request("GET", "applications")
        if not isinstance(response.data, list):
            raise ArrResponseError("applications did not answer an array")
        return [ProwlarrApplication.from_json(item) for item in response.data]

    async def _ensure_prowlarr(self, endpoint: str) -> None:
        profile = await self._ensure_profile()
        if not profile.is_prowlarr:
            raise ArrUnsupportedError(
                f"{profile.app} has no {endpoint}; only Prowlarr does"
            )

    # -- HTTP ------------------------------------------------------------------

    def _api_url(self, path: str, api_version: str) -> URL:
        return URL(f"{self._base}/api/{api_version}/{path}", encoded=False)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        api_version: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        accept: tuple[int, ...] = (200,),
        time_limit: float | None = None,
        parse: bool = True,
    ) -> _Response:
        """Send one API request and return its status and parsed JSON body.

        Redirects to the same host are followed (the app adds a missing urlBase
        that way) and the new base is kept; to another host they are an error.
        """
        if api_version is None:
            assert self._profile is not None
            api_version = self._profile.api_version
        timeout = self._request_timeout if time_limit is None else time_limit
        url = self._api_url(path, api_version)
        headers = {"X-Api-Key": self._api_key, "Accept": "application/json"}
        for _ in range(MAX_REDIRECTS + 1):
            try:
                async with (
                    asyncio.timeout(timeout),
                    self._session.request(
                        method,
                        url,
                        params=params,
                        json=json_body,
                        headers=headers,
                        allow_redirects=False,
                    ) as response,
                ):
                    status = response.status
                    location = response.headers.get("Location")
                    body = b"" if status in _REDIRECTS else await response.read()
                    content_type = response.content_type
                    response_url = response.url
            except TimeoutError as err:
                raise ArrTimeoutError(
                    f"{safe_url(self._base)} did not answer {method} {path} "
                    f"within {timeout:g} s"
                ) from err
            except aiohttp.ClientSSLError as err:
                raise ArrConnectionError(
                    f"TLS error talking to {safe_url(self._base)}: {type(err).__name__}"
                ) from err
            except aiohttp.ClientError as err:
                raise ArrConnectionError(
                    f"Cannot connect to {safe_url(self._base)}: {_describe(err)}"
                ) from err

            if status in _REDIRECTS:
                url, params = self._follow_redirect(
                    response_url, location, path, api_version, params
                )
                continue
            return self._handle(status, body, content_type, path, accept, parse=parse)
        raise ArrResponseError(f"Too many redirects from {safe_url(self._base)}")

    def _follow_redirect(
        self,
        current: URL,
        location: str | None,
        path: str,
        api_version: str,
        params: Mapping[str, str] | None,
    ) -> tuple[URL, Mapping[str, str] | None]:
        if not location:
            raise ArrResponseError("Redirect without a Location header")
        target = current.join(URL(location))
        if (target.host or "").lower() != (current.host or "").lower():
            raise ArrRedirectError(
                f"{safe_url(self._base)} redirects to another host ({target.host}); "
                "a reverse proxy asking for a login?"
            )
        suffix = f"/api/{api_version}/{path}"
        if target.path.endswith(suffix):
            # The app prefixed its urlBase: remember it so later calls go straight.
            new_base = target.with_path(target.path[: -len(suffix)] or "/").with_query(
                None
            )
            self._base = URL(str(new_base).rstrip("/"))
            _LOGGER.debug(
                "Following redirect; base URL is now %s", safe_url(self._base)
            )
            return self._api_url(path, api_version), params
        return target, None

    def _handle(
        self,
        status: int,
        body: bytes,
        content_type: str,
        path: str,
        accept: tuple[int, ...],
        *,
        parse: bool,
    ) -> _Response:
        if status in (401, 403):
            raise ArrAuthenticationError(
                f"{safe_url(self._base)} refused the API key (HTTP {status})"
            )
        if status in accept and not parse and status < 300:
            return _Response(status, None)
        data = self._decode(body, content_type, status, path)
        if status in accept:
            return _Response(status, data)
        message = _error_message(data)
        if status == 404:
            raise ArrNotFoundError(f"{path} was not found: {message}", status=status)
        if status == 503:
            raise ArrConnectionError(
                f"{safe_url(self._base)} is not available (HTTP 503): {message}"
            )
        if status == 400 and isinstance(data, list):
            failures = ValidationFailure.list_from_json(data)
            raise ArrValidationError(
                "; ".join(f.message for f in failures) or "Validation failed", failures
            )
        raise ArrResponseError(
            f"Unexpected HTTP {status} for {path}: {message}", status=status
        )

    def _decode(self, body: bytes, content_type: str, status: int, path: str) -> Any:
        if not body.strip():
            return None
        if "html" in content_type or body.lstrip()[:1] == b"<":
            raise ArrResponseError(
                f"{safe_url(self._base)} answered {path} with an HTML page instead of "
                "JSON (a reverse-proxy login page, or not an Arr app?)",
                status=status,
            )
        try:
            return json.loads(body)
        except ValueError as err:
            raise ArrResponseError(
                f"{safe_url(self._base)} answered {path} with malformed JSON",
                status=status,
            ) from err

    async def __aenter__(self) -> Self:
        """Use the client in ``async with``; the session stays the caller's."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Nothing to close: the session is injected."""


def _test_failures(data: Any) -> tuple[ValidationFailure, ...]:
    """Parse the 400 body of a failed test: an array of validation failures."""
    if data is None:
        return (ValidationFailure("The indexer test failed"),)
    if isinstance(data, Mapping) and _error_message(data) != "no details":
        return (ValidationFailure(_error_message(data)),)
    return tuple(ValidationFailure.list_from_json(data))


def _error_message(data: Any) -> str:
    if isinstance(data, Mapping):
        for key in ("message", "errorMessage", "description"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value[:300]
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        return _error_message(data[0])
    return "no details"


def _describe(err: aiohttp.ClientError) -> str:
    if isinstance(err, aiohttp.ClientConnectorDNSError):
        return "host name not found"
    if isinstance(err, aiohttp.ClientConnectorError):
        if isinstance(err.os_error, ConnectionRefusedError):
            return "connection refused"
        return err.os_error.strerror or type(err.os_error).__name__
    return type(err).__name__


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
