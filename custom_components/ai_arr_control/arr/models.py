"""Typed models parsed from the Arr apps' JSON.

Parsing is strict about what the client relies on (ids, names, flags) and lenient
about everything else; a payload of the wrong shape raises ``ArrResponseError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
import re
from typing import Any

from .const import PROWLARR_SYNC_IMPLEMENTATIONS, ArrApp, SyncLevel
from .exceptions import ArrResponseError

# How Prowlarr itself finds its indexers in an app (Applications/Radarr/Radarr.cs),
# without its \d{1,3} limit: Prowlarr keeps ids of 1000 and more mapped through its
# AppIndexerMap table.
_PROWLARR_BASE_URL = re.compile(r"^(?P<prowlarr>.+?)/(?P<indexer>\d+)(?:/(?:api)?/?)?$")


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ArrResponseError(f"Expected a JSON object for {what}")
    return data


def _list(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise ArrResponseError(f"Expected a JSON array for {what}")
    return data


def _int(data: Mapping[str, Any], key: str, what: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ArrResponseError(f"{what} has no integer '{key}'")
    return value


def _str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return value if isinstance(value, str) else default


def _bool(data: Mapping[str, Any], key: str) -> bool:
    return data.get(key) is True


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _datetime(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_version(version: str) -> tuple[int, ...]:
    """Turn ``6.0.4.10291`` into ``(6, 0, 4, 10291)``; stops at the first non-number."""
    parts: list[int] = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class SystemStatus:
    """What ``GET /system/status`` says about the instance."""

    app: ArrApp
    version: str
    api_version: str
    instance_name: str | None = None
    url_base: str = ""
    # False for old instances without appName, identified by other means.
    app_name_reported: bool = True

    @property
    def name(self) -> str:
        """The name the user gave the instance, else the app's name."""
        return self.instance_name or self.app.value

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """The version as numbers, for comparisons."""
        return parse_version(self.version)


@dataclass(frozen=True, slots=True)
class ValidationFailure:
    """One entry of the arrays the Arr apps answer 400 with."""

    message: str
    property_name: str = ""
    severity: str = "error"
    is_warning: bool = False
    info_link: str | None = None
    detailed_description: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> ValidationFailure:
        """Parse one validation failure."""
        item = _object(data, "a validation failure")
        return cls(
            message=_str(item, "errorMessage") or _str(item, "message"),
            property_name=_str(item, "propertyName"),
            severity=_str(item, "severity", "error"),
            # testall writes base properties only: a missing isWarning means False.
            is_warning=_bool(item, "isWarning"),
            info_link=item.get("infoLink")
            if isinstance(item.get("infoLink"), str)
            else None,
            detailed_description=(
                item["detailedDescription"]
                if isinstance(item.get("detailedDescription"), str)
                else None
            ),
        )

    @classmethod
    def list_from_json(cls, data: Any) -> list[ValidationFailure]:
        """Parse a 400 body: an array of failures."""
        return [cls.from_json(item) for item in _list(data, "validation failures")]


@dataclass(frozen=True, slots=True)
class IndexerTestResult:
    """The outcome of testing one indexer."""

    indexer_id: int
    passed: bool
    failures: tuple[ValidationFailure, ...] = ()
    # Seconds the Arr app took to answer the test, when tested one by one.
    response_time: float | None = None

    @property
    def message(self) -> str | None:
        """The failure messages as one line, or None when it passed."""
        if self.passed:
            return None
        return "; ".join(f.message for f in self.failures if f.message) or None

    @property
    def warning_only(self) -> bool:
        """Whether it failed with warnings only (e.g. a Jackett "all" endpoint)."""
        return (
            not self.passed
            and bool(self.failures)
            and all(f.is_warning for f in self.failures)
        )


@dataclass(frozen=True, slots=True)
class ProwlarrLink:
    """Where a Prowlarr-synced indexer in an app comes from."""

    prowlarr_url: str
    indexer_id: int


@dataclass(frozen=True, slots=True)
class Indexer:
    """One indexer, with its full resource kept verbatim for round-trips."""

    id: int
    name: str
    implementation: str
    protocol: str
    priority: int | None
    tags: tuple[int, ...]
    flags: Mapping[str, bool]
    resource: Mapping[str, Any] = field(repr=False, compare=True)

    @classmethod
    def from_json(cls, data: Any, flag_keys: tuple[str, ...]) -> Indexer:
        """Parse an IndexerResource; ``flag_keys`` are the app's enable flags."""
        item = _object(data, "an indexer")
        tags = item.get("tags", [])
        return cls(
            id=_int(item, "id", "An indexer"),
            name=_str(item, "name"),
            implementation=_str(item, "implementation"),
            protocol=_str(item, "protocol", "unknown"),
            priority=item["priority"]
            if isinstance(item.get("priority"), int)
            else None,
            tags=tuple(t for t in tags if isinstance(t, int))
            if isinstance(tags, list)
            else (),
            flags={key: _bool(item, key) for key in flag_keys},
            resource=dict(item),
        )

    @property
    def enabled(self) -> bool:
        """Whether the app uses it at all (any enable flag set)."""
        return any(self.flags.values())

    def all_on_flags(self) -> dict[str, bool]:
        """Every enable flag its implementation supports, switched on.

        What turning an indexer on means when nobody knows the flags it had.
        """
        supports = {
            "enableRss": self.resource.get("supportsRss", True),
            "enableAutomaticSearch": self.resource.get("supportsSearch", True),
            "enableInteractiveSearch": self.resource.get("supportsSearch", True),
        }
        return {key: supports.get(key, True) is not False for key in self.flags}

    def field_value(self, name: str) -> Any:
        """The value of one of the indexer's settings ``fields``, or None."""
        fields = self.resource.get("fields")
        if isinstance(fields, list):
            for item in fields:
                if isinstance(item, Mapping) and item.get("name") == name:
                    return item.get("value")
        return None

    @property
    def limits(self) -> IndexerLimits:
        """Prowlarr's query and grab limits of the indexer (IndexerLimitService)."""

        def limit(name: str) -> int | None:
            value = self.field_value(name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                return None
            return value

        hourly = self.field_value("baseSettings.limitsUnit") == 1
        return IndexerLimits(
            queries=limit("baseSettings.queryLimit"),
            grabs=limit("baseSettings.grabLimit"),
            window=timedelta(hours=1 if hourly else 24),
        )

    @property
    def vip_expiration(self) -> date | None:
        """When a Newznab/Torznab indexer's VIP access expires (Prowlarr).

        The ``vipExpiration`` setting, a date the user enters ("2026-12-31");
        None when it is empty or not a date.
        """
        value = self.field_value("vipExpiration")
        if not isinstance(value, str) or not value.strip():
            return None
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None

    @property
    def prowlarr_link(self) -> ProwlarrLink | None:
        """The Prowlarr indexer this app-side indexer was synced from, if any.

        Prowlarr pushes Newznab/Torznab indexers whose baseUrl is
        ``{prowlarrUrl}/{prowlarrIndexerId}/``; it recognises them the same way.
        """
        if self.implementation not in PROWLARR_SYNC_IMPLEMENTATIONS:
            return None
        base_url = self.field_value("baseUrl")
        if not isinstance(base_url, str):
            return None
        return _prowlarr_link(base_url)


@lru_cache(maxsize=4096)
def _prowlarr_link(base_url: str) -> ProwlarrLink | None:
    """Parse a synced copy's baseUrl (asked for several times per check)."""
    match = _PROWLARR_BASE_URL.match(base_url.strip())
    if match is None:
        return None
    return ProwlarrLink(
        match.group("prowlarr").rstrip("/"), int(match.group("indexer"))
    )


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """One failing health check from ``GET /health``."""

    source: str
    type: str
    message: str
    wiki_url: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> HealthCheck:
        """Parse a HealthResource."""
        item = _object(data, "a health check")
        return cls(
            source=_str(item, "source"),
            type=_str(item, "type", "warning"),
            message=_str(item, "message"),
            wiki_url=_str(item, "wikiUrl") or None,
        )


@dataclass(frozen=True, slots=True)
class IndexerStatus:
    """Prowlarr's back-off state of a blocked indexer (``GET /indexerstatus``)."""

    indexer_id: int
    disabled_till: datetime | None
    most_recent_failure: datetime | None
    initial_failure: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> IndexerStatus:
        """Parse an IndexerStatusResource."""
        item = _object(data, "an indexer status")
        return cls(
            indexer_id=_int(item, "indexerId", "An indexer status"),
            disabled_till=_datetime(item, "disabledTill"),
            most_recent_failure=_datetime(item, "mostRecentFailure"),
            initial_failure=_datetime(item, "initialFailure"),
        )


@dataclass(frozen=True, slots=True)
class IndexerStats:
    """Prowlarr's counters for one indexer over a time window."""

    indexer_id: int
    indexer_name: str
    average_response_time: float | None
    average_grab_response_time: float | None
    queries: int
    grabs: int
    rss_queries: int
    auth_queries: int
    failed_queries: int
    failed_grabs: int
    failed_rss_queries: int
    failed_auth_queries: int

    @classmethod
    def from_json(cls, data: Any) -> IndexerStats:
        """Parse one entry of IndexerStatsResource.indexers."""
        item = _object(data, "indexer statistics")

        def count(key: str) -> int:
            value = item.get(key, 0)
            return value if isinstance(value, int) else 0

        return cls(
            indexer_id=_int(item, "indexerId", "Indexer statistics"),
            indexer_name=_str(item, "indexerName"),
            average_response_time=_number(item, "averageResponseTime"),
            average_grab_response_time=_number(item, "averageGrabResponseTime"),
            queries=count("numberOfQueries"),
            grabs=count("numberOfGrabs"),
            rss_queries=count("numberOfRssQueries"),
            auth_queries=count("numberOfAuthQueries"),
            failed_queries=count("numberOfFailedQueries"),
            failed_grabs=count("numberOfFailedGrabs"),
            failed_rss_queries=count("numberOfFailedRssQueries"),
            failed_auth_queries=count("numberOfFailedAuthQueries"),
        )


@dataclass(frozen=True, slots=True)
class Notification:
    """A connection of an app ("Settings → Connect"), kept verbatim for updates."""

    id: int
    name: str
    implementation: str
    resource: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Notification:
        """Parse a NotificationResource."""
        item = _object(data, "a connection")
        return cls(
            id=_int(item, "id", "A connection"),
            name=_str(item, "name"),
            implementation=_str(item, "implementation"),
            resource=dict(item),
        )

    def field_value(self, name: str) -> Any:
        """The value of one of the connection's settings, or None."""
        fields = self.resource.get("fields")
        if isinstance(fields, list):
            for item in fields:
                if isinstance(item, Mapping) and item.get("name") == name:
                    return item.get("value")
        return None


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One row of Prowlarr's history (``GET /history/since``).

    Every real query or RSS sync an app made through Prowlarr is one row (per
    page fetched), with whether it succeeded and which app made it (``source``,
    from its User-Agent); Prowlarr's own tests write none.
    """

    id: int
    indexer_id: int
    date: datetime
    event_type: str
    successful: bool
    source: str = ""

    QUERY_EVENTS = frozenset({"indexerQuery", "indexerRss"})

    @property
    def is_query(self) -> bool:
        """A search or an RSS sync (what a query limit counts)."""
        return self.event_type in self.QUERY_EVENTS

    @property
    def is_grab(self) -> bool:
        """A release grabbed through Prowlarr (what a grab limit counts)."""
        return self.event_type == "releaseGrabbed"

    @classmethod
    def from_json(cls, data: Any) -> HistoryRecord:
        """Parse a HistoryResource."""
        item = _object(data, "a history record")
        date = _datetime(item, "date")
        if date is None:
            raise ArrResponseError("A history record has no date")
        extra = item.get("data")
        source = extra.get("source") if isinstance(extra, Mapping) else None
        return cls(
            id=_int(item, "id", "A history record"),
            indexer_id=_int(item, "indexerId", "A history record"),
            date=date,
            event_type=_str(item, "eventType"),
            successful=_bool(item, "successful"),
            source=source if isinstance(source, str) else "",
        )


@dataclass(frozen=True, slots=True)
class IndexerLimits:
    """A Prowlarr indexer's query and grab limits (its ``baseSettings``)."""

    queries: int | None
    grabs: int | None
    # limitsUnit: 0 = a rolling day (the default), 1 = a rolling hour.
    window: timedelta

    @property
    def any(self) -> bool:
        """Whether either limit is set."""
        return self.queries is not None or self.grabs is not None


@dataclass(frozen=True, slots=True)
class ProwlarrApplication:
    """An app Prowlarr syncs indexers into (``GET /applications``)."""

    id: int
    name: str
    implementation: str
    sync_level: SyncLevel
    base_url: str | None
    prowlarr_url: str | None

    @classmethod
    def from_json(cls, data: Any) -> ProwlarrApplication:
        """Parse an ApplicationResource."""
        item = _object(data, "an application")
        fields: dict[str, Any] = {}
        raw_fields = item.get("fields")
        if isinstance(raw_fields, list):
            fields = {
                f["name"]: f.get("value")
                for f in raw_fields
                if isinstance(f, Mapping) and isinstance(f.get("name"), str)
            }
        base_url = fields.get("baseUrl")
        prowlarr_url = fields.get("prowlarrUrl")
        return cls(
            id=_int(item, "id", "An application"),
            name=_str(item, "name"),
            implementation=_str(item, "implementation"),
            sync_level=next(
                (
                    level
                    for level in SyncLevel
                    if level.value.lower() == _str(item, "syncLevel").lower()
                ),
                SyncLevel.DISABLED,
            ),
            base_url=base_url if isinstance(base_url, str) else None,
            prowlarr_url=prowlarr_url if isinstance(prowlarr_url, str) else None,
        )
