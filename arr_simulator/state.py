"""In-memory model of one simulated Arr instance, free of HTTP.

Section numbers (§) refer to the team's Arr API reference (arr-api.md), which describes
the behaviour as the apps' C# source implements it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import copy
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import re
from typing import Any

from yarl import URL

from .config import ConfigError, IndexerConfig, IndexerFault, InstanceConfig
from .messages import (
    DOWNLOAD_CLIENT_MISSING,
    JACKETT_ALL,
    JACKETT_ALL_PATHS,
    NO_RESULTS_APPS,
    Failure,
    connection_failure,
    failure_for,
    http_failure,
    test_url,
)
from .schema import (
    APP_ENABLE_FLAGS,
    MASK,
    TRAITS,
    AppTraits,
    FieldSpec,
    category_tree,
    extra_field,
    flatten_categories,
    implementation_protocol,
    settings_schema,
)

type Resource = dict[str, Any]
type Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Return the current UTC time (a module-level call so freezegun can move it)."""
    return datetime.now(UTC)


def format_time(value: datetime) -> str:
    """Format like the apps' STJUtcConverter: yyyy-MM-ddTHH:mm:ssZ (§1)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; naive values are taken as UTC."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# EscalationBackOff.Periods (§8), indexed by escalation level.
ESCALATION_PERIODS: tuple[timedelta, ...] = tuple(
    timedelta(minutes=minutes) for minutes in (0, 1, 5, 15, 30, 60, 180, 360, 720, 1440)
)
MAX_ESCALATION_LEVEL = len(ESCALATION_PERIODS) - 1
LONG_TERM_FAILURE = timedelta(hours=6)

# What a test that hangs past the apps' 100 s HTTP timeout shows
# (ManagedHttpDispatcher: WebException "Http request timed out").
TIMEOUT_KIND = "timeout"

# GetIndexerMappings in Prowlarr's app proxies (§9).
_PROWLARR_ID_RE = re.compile(r"/(?P<indexer>\d{1,3})(?:/(?:api)?/?)?$")

# Prowlarr's history event types (HistoryEventType), as the API spells them.
QUERY_EVENTS = ("indexerQuery", "indexerRss")
HISTORY_EVENTS = (
    "unknown",
    "releaseGrabbed",
    "indexerQuery",
    "indexerRss",
    "indexerAuth",
    "indexerInfo",
)


class InstanceFaultMode(StrEnum):
    """HTTP-level faults of a whole instance ("down" is handled separately)."""

    UNAUTHORIZED = "unauthorized"
    ERROR = "error"
    HTML = "html"
    SLOW = "slow"
    STARTING = "starting"


@dataclass(frozen=True, slots=True)
class InstanceFault:
    """The active instance fault; `delay` is used by SLOW, `message` by ERROR."""

    mode: InstanceFaultMode
    delay: float = 0.0
    message: str | None = None


@dataclass(slots=True)
class IndexerStatus:
    """Back-off state of one indexer (ProviderStatusBase, §8)."""

    escalation_level: int = 0
    initial_failure: datetime | None = None
    most_recent_failure: datetime | None = None
    disabled_till: datetime | None = None

    def is_disabled(self, now: datetime) -> bool:
        """Return True while the indexer is blocked (`disabledTill > now`)."""
        return self.disabled_till is not None and self.disabled_till > now


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of Prowlarr's history (feeds /history, /indexerstats, limits)."""

    time: datetime
    indexer_id: int
    successful: bool
    elapsed_ms: int
    user_agent: str
    host: str
    # HistoryEventType: an app's RSS sync or test is "indexerRss", a search
    # with a term or ids "indexerQuery" (HistoryService, IsRssSearch).
    event_type: str = "indexerRss"
    source: str = ""
    id: int = 0


class NotFoundError(LookupError):
    """The requested resource does not exist (404 with a message)."""


class BadRequestError(Exception):
    """The request is malformed (400 with a message)."""


class ServerError(Exception):
    """An unhandled exception in the app (500 with message and description)."""


class ValidationFailedError(Exception):
    """Validation failed (400 with an array of validation failures)."""

    def __init__(self, failures: list[Resource]) -> None:
        """Keep the failures for the response body."""
        super().__init__(failures)
        self.failures = failures


@dataclass(slots=True)
class LiveTestPlan:
    """What a live indexer test will do, decided before any waiting happens."""

    indexer_id: int
    latency: float = 0.0
    hang: bool = False
    failure: Failure | None = None
    # A Prowlarr-synced indexer is tested through Prowlarr, which then queries
    # its own indexer (an RSS query in its history) and records the outcome on
    # its side too.
    upstream: InstanceState | None = None
    upstream_id: int = 0
    upstream_failed: bool = False
    # An RSS sync refused 429 by Prowlarr: its Retry-After is the app's
    # minimum back-off (HttpIndexerBase.FetchReleases, TooManyRequestsException).
    minimum_backoff: timedelta = timedelta(0)


@dataclass(slots=True)
class PendingUpdate:
    """A validated PUT, waiting for its live test (if any) before being saved."""

    resource: Resource
    changed: bool
    needs_test: bool


def validation_failure(
    property_name: str,
    message: str,
    attempted: Any,
    code: str,
    placeholders: dict[str, Any] | None = None,
) -> Resource:
    """Build a plain FluentValidation failure (resource validators, §3)."""
    return {
        "propertyName": property_name,
        "errorMessage": message,
        "attemptedValue": attempted,
        "severity": "error",
        "errorCode": code,
        "formattedMessagePlaceholderValues": {
            **(placeholders or {}),
            "PropertyName": property_name,
            "PropertyValue": attempted,
        },
    }


def provider_test_failure(message: str, property_name: str = "") -> Resource:
    """Build an NzbDroneValidationFailure as a failed test returns it (§3)."""
    return Failure(message, property_name).as_json()


def field_values(resource: Resource) -> dict[str, Any]:
    """Return a resource's settings as {field name: value}."""
    return {
        item["name"]: item.get("value")
        for item in resource.get("fields", [])
        if isinstance(item, dict) and "name" in item
    }


def is_enabled(resource: Resource) -> bool:
    """Return the `Enable` of a definition (§6)."""
    if "enable" in resource:
        return bool(resource["enable"])
    return any(bool(resource.get(flag)) for flag in APP_ENABLE_FLAGS)


def _prop(body: Resource, name: str) -> Any:
    # The apps read JSON case-insensitively (§1).
    if name in body:
        return body[name]
    lowered = name.lower()
    for key, value in body.items():
        if key.lower() == lowered:
            return value
    return None


def _body_bool(body: Resource, name: str) -> bool:
    value = _prop(body, name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequestError(f"The JSON value for '{name}' must be a boolean")
    return value


def _body_int(body: Resource, name: str, default: int = 0) -> int:
    value = _prop(body, name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"The JSON value for '{name}' must be an integer")
    return value


def _body_tags(body: Resource) -> list[int]:
    value = _prop(body, "tags")
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(tag, int) and not isinstance(tag, bool) for tag in value
    ):
        raise BadRequestError("The JSON value for 'tags' must be an array of integers")
    return list(dict.fromkeys(value))


def _render_fields(schema: tuple[FieldSpec, ...], values: dict[str, Any]) -> list[Any]:
    rendered: list[Any] = _render_schema_fields(schema, values)
    known = {spec.name for spec in schema}
    # Cardigann definition settings follow, numbered from 0 again.
    extras = [name for name in values if name not in known]
    rendered += [
        extra_field(order, name, copy.deepcopy(values[name]))
        for order, name in enumerate(extras)
    ]
    return rendered


def _render_schema_fields(
    schema: tuple[FieldSpec, ...], values: dict[str, Any]
) -> list[Any]:
    rendered: list[Any] = []
    for order, spec in enumerate(schema):
        item: Resource = {"order": order, "name": spec.name, "label": spec.label}
        if spec.unit is not None:
            item["unit"] = spec.unit
        if spec.help_text is not None:
            item["helpText"] = spec.help_text
        value = values.get(spec.name)
        # Null properties are omitted by the apps' serializer (§1).
        if value is not None:
            item["value"] = copy.deepcopy(value)
        item["type"] = spec.type
        item["advanced"] = spec.advanced
        if spec.select_options_provider_action is not None:
            item["selectOptionsProviderAction"] = spec.select_options_provider_action
        if spec.hidden is not None:
            item["hidden"] = spec.hidden
        item["privacy"] = spec.privacy
        item["isFloat"] = spec.is_float
        rendered.append(item)
    return rendered


_PRIVACY_LABELS = {
    "public": "Public",
    "semiPrivate": "Semi-Private",
    "private": "Private",
}


def _sort_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class InstanceState:
    """Indexers, back-off, faults and history of one simulated instance."""

    def __init__(self, config: InstanceConfig, *, clock: Clock = utcnow) -> None:
        """Seed the state from `config`."""
        self.config = config
        self.traits: AppTraits = TRAITS[config.app]
        self.clock = clock
        self.indexers: dict[int, Resource] = {}
        self.statuses: dict[int, IndexerStatus] = {}
        self.faults: dict[int, IndexerFault] = {}
        # Uses of each flaky indexer so far (a fault with `every` > 1).
        self.fault_uses: dict[int, int] = {}
        self.history: list[HistoryEntry] = []
        self.commands: dict[int, Resource] = {}
        # Connections (Webhook only), as stored.
        self.notifications: dict[int, Resource] = {}
        self._next_notification_id = 1
        self.fault: InstanceFault | None = None
        self.down = False
        # Set by the simulator once the port is bound ("" until then).
        self.url = ""
        # The Prowlarr this app syncs from, and the apps a Prowlarr syncs to.
        self.upstream: InstanceState | None = None
        self.downstream: list[InstanceState] = []
        self.started_at = clock()
        # Bumped by what makes HealthCheckService run its checks again (see
        # SimulatedInstance.health): back-off changes, CheckHealth, a reseed.
        self.health_events = 0
        self._next_history_id = 0
        self._next_id = 1
        self._next_command_id = 1
        self.seed()

    # ----------------------------------------------------------------- seeding

    def seed(self) -> None:
        """Reset indexers, faults, back-off and history to the configured ones."""
        self.health_events += 1
        self.indexers.clear()
        self.statuses.clear()
        self.faults.clear()
        self.fault_uses.clear()
        self.history.clear()
        self.commands.clear()
        self.notifications.clear()
        self._next_notification_id = 1
        self.fault = None
        self._next_id = 1
        self._next_command_id = 1
        self._next_history_id = 0
        for indexer in self.config.indexers:
            self.add_indexer(indexer, sync=False)
        generate = self.config.generate
        if generate is not None:
            for number in range(1, generate.count + 1):
                self.add_indexer(
                    self._generated(number, generate.name_prefix, generate.latency),
                    sync=False,
                )
        # Keep the synced copies consistent when only one side is reseeded
        # (both calls are no-ops before the instances have URLs).
        if self.upstream is not None:
            self.upstream.sync_apps(event="app", apps=[self])
        self.sync_apps(event="app")

    def _generated(self, number: int, prefix: str, latency: float) -> IndexerConfig:
        usenet = number % 2 == 1
        slug = f"indexer{number:02d}"
        fault = IndexerFault(latency=latency) if latency > 0 else None
        if self.traits.is_prowlarr:
            return IndexerConfig(
                name=f"{prefix} {number:02d}",
                implementation="Cardigann",
                protocol="torrent",
                priority=25,
                definition_name=slug,
                categories=[2000, 2040, 5000, 5040],
                indexer_urls=[f"https://{slug}.example-tracker.test/"],
                fields={"definitionFile": slug, "username": "sim", "password": "sim"},
                fault=fault,
            )
        return IndexerConfig(
            name=f"{prefix} {number:02d}",
            implementation="Newznab" if usenet else "Torznab",
            priority=25,
            fields={
                "baseUrl": f"https://api.{slug}.example-nzb.test"
                if usenet
                else f"https://{slug}.example-tracker.test/torznab",
                "apiKey": f"{number:032x}",
            },
            fault=fault,
        )

    def add_indexer(self, indexer: IndexerConfig, *, sync: bool = True) -> Resource:
        """Add an indexer from its compact config; return the stored resource."""
        indexer_id = self._next_id
        resource = self._resource_from_config(indexer_id, indexer)
        self._next_id += 1
        self.indexers[indexer_id] = resource
        if indexer.fault is not None and not indexer.fault.is_clear:
            self.faults[indexer_id] = indexer.fault
        for _ in range(indexer.failures):
            self.record_failure(indexer_id)
        if indexer.queries_used and not self.traits.is_prowlarr:
            raise ConfigError(f"indexer {indexer.name!r}: only Prowlarr keeps queries")
        for _ in range(indexer.queries_used):
            self.record_query(
                indexer_id,
                successful=True,
                event_type="indexerQuery",
                user_agent="Sonarr",
                host="sonarr",
                record_status=False,
            )
        if sync:
            self.sync_apps([indexer_id], event="added")
        return copy.deepcopy(resource)

    def _resource_from_config(
        self, indexer_id: int, indexer: IndexerConfig
    ) -> Resource:
        try:
            schema = settings_schema(self.config.app, indexer.implementation)
        except KeyError:
            raise ConfigError(
                f"indexer {indexer.name!r}: {self.config.app} has no implementation "
                f"{indexer.implementation!r}"
            ) from None
        known = {spec.name for spec in schema}
        unknown = sorted(set(indexer.fields) - known)
        # A Cardigann indexer's other settings come from its definition.
        if unknown and indexer.implementation != "Cardigann":
            raise ConfigError(
                f"indexer {indexer.name!r}: unknown fields {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        values = {spec.name: spec.default for spec in schema} | indexer.fields
        if indexer.vip_expires_in_days is not None and "vipExpiration" in values:
            expires = self.clock() + timedelta(days=indexer.vip_expires_in_days)
            values["vipExpiration"] = expires.date().isoformat()
        protocol = (
            implementation_protocol(indexer.implementation)
            or indexer.protocol
            or "torrent"
        )
        if not self.traits.is_prowlarr:
            return self._app_resource(
                indexer_id=indexer_id,
                name=indexer.name,
                implementation=indexer.implementation,
                flags=(
                    indexer.enable_rss,
                    indexer.enable_automatic_search,
                    indexer.enable_interactive_search,
                ),
                priority=indexer.priority,
                tags=indexer.tags,
                download_client_id=indexer.download_client_id,
                values=values,
                extra={},
            )
        definition = indexer.definition_name or _sort_name(indexer.name)
        urls = indexer.indexer_urls or (
            [str(values["baseUrl"])] if values.get("baseUrl") else []
        )
        if indexer.implementation == "Cardigann":
            # A Cardigann indexer points at its definition and its first site URL.
            if values.get("definitionFile") is None:
                values["definitionFile"] = definition
            if values.get("baseUrl") is None and urls:
                values["baseUrl"] = urls[0]
        descriptive: Resource = {
            "indexerUrls": urls,
            "legacyUrls": [],
            "definitionName": definition,
            "description": indexer.description
            or f"{indexer.name} is a {_PRIVACY_LABELS[indexer.privacy]} site",
            "language": indexer.language,
            "protocol": protocol,
            "privacy": indexer.privacy,
            "capabilities": {
                "id": 0,
                "limitsMax": 100,
                "limitsDefault": 100,
                "categories": category_tree(indexer.categories),
                "supportsRawSearch": False,
                "searchParams": ["q"],
                "tvSearchParams": ["q", "season", "ep", "imdbId", "tvdbId"],
                "movieSearchParams": ["q", "imdbId", "tmdbId"],
                "musicSearchParams": [],
                "bookSearchParams": [],
            },
            "added": format_time(self.clock()),
        }
        redirect = (
            indexer.redirect if indexer.redirect is not None else protocol == "usenet"
        )
        return self._prowlarr_resource(
            indexer_id=indexer_id,
            name=indexer.name,
            implementation=indexer.implementation,
            enable=indexer.enable,
            redirect=redirect,
            app_profile_id=indexer.app_profile_id,
            priority=indexer.priority,
            tags=indexer.tags,
            download_client_id=indexer.download_client_id,
            values=values,
            descriptive=descriptive,
        )

    # --------------------------------------------------------- resource shapes

    def _app_resource(
        self,
        *,
        indexer_id: int,
        name: str | None,
        implementation: str,
        flags: tuple[bool, bool, bool],
        priority: int,
        tags: list[int],
        download_client_id: int,
        values: dict[str, Any],
        extra: Resource,
    ) -> Resource:
        schema = settings_schema(self.config.app, implementation)
        resource: Resource = {
            "enableRss": flags[0],
            "enableAutomaticSearch": flags[1],
            "enableInteractiveSearch": flags[2],
            "supportsRss": True,
            "supportsSearch": True,
            "protocol": implementation_protocol(implementation) or "unknown",
            "priority": priority,
            "downloadClientId": download_client_id,
        }
        if self.traits.season_search:
            resource["seasonSearchMaximumSingleEpisodeAge"] = extra.get(
                "seasonSearchMaximumSingleEpisodeAge", 0
            )
        if name is not None:
            resource["name"] = name
        resource |= {
            "fields": _render_fields(schema, values),
            "implementationName": implementation,
            "implementation": implementation,
            "configContract": f"{implementation}Settings",
            "infoLink": f"https://wiki.servarr.com/{self.traits.wiki_slug}/supported#{implementation.lower()}",
            "tags": list(tags),
            "id": indexer_id,
        }
        return resource

    def _prowlarr_resource(
        self,
        *,
        indexer_id: int,
        name: str | None,
        implementation: str,
        enable: bool,
        redirect: bool,
        app_profile_id: int,
        priority: int,
        tags: list[int],
        download_client_id: int,
        values: dict[str, Any],
        descriptive: Resource,
    ) -> Resource:
        schema = settings_schema(self.config.app, implementation)
        resource: Resource = {
            "indexerUrls": list(descriptive["indexerUrls"]),
            "legacyUrls": list(descriptive["legacyUrls"]),
            "definitionName": descriptive["definitionName"],
            "description": descriptive["description"],
            "language": descriptive["language"],
            "enable": enable,
            "redirect": redirect,
            "supportsRss": True,
            "supportsSearch": True,
            "supportsRedirect": descriptive["protocol"] == "usenet",
            "supportsPagination": False,
            "appProfileId": app_profile_id,
            "protocol": descriptive["protocol"],
            "privacy": descriptive["privacy"],
            "capabilities": copy.deepcopy(descriptive["capabilities"]),
            "priority": priority,
            "downloadClientId": download_client_id,
            "added": descriptive["added"],
        }
        if name is not None:
            resource["sortName"] = _sort_name(name)
            resource["name"] = name
        definition = str(descriptive["definitionName"])
        resource |= {
            "fields": _render_fields(schema, values),
            "implementationName": implementation,
            "implementation": implementation,
            "configContract": f"{implementation}Settings",
            "infoLink": f"https://wiki.servarr.com/prowlarr/supported-indexers#{definition}",
            "tags": list(tags),
            "id": indexer_id,
        }
        return resource

    def present(self, resource: Resource) -> Resource:
        """Return a resource as GET shows it: secrets masked, except in Readarr (§1)."""
        shown = copy.deepcopy(resource)
        if self.traits.masks_secrets:
            for item in shown.get("fields", []):
                if item.get("privacy") in ("apiKey", "password") and item.get("value"):
                    item["value"] = MASK
        return shown

    def list_indexers(self) -> list[Resource]:
        """Return all indexers as GET /indexer does: sorted by name, ignoring case."""
        return [
            self.present(resource)
            for resource in sorted(
                self.indexers.values(),
                key=lambda item: str(item.get("name", "")).casefold(),
            )
        ]

    def get_indexer(self, indexer_id: int) -> Resource:
        """Return one presented indexer or raise NotFoundError."""
        return self.present(self.existing(indexer_id))

    def existing(self, indexer_id: int) -> Resource:
        resource = self.indexers.get(indexer_id)
        if resource is None:
            # BasicRepository.Get throws ModelNotFoundException (§1 errors).
            raise NotFoundError(
                f"IndexerDefinition with ID {indexer_id} does not exist"
            )
        return resource

    # --------------------------------------------------------- body → resource

    def build_from_body(self, body: Resource, existing: Resource | None) -> Resource:
        """Build a new definition from a request body (ToModel + ReadFromSchema, §4).

        Settings start from the implementation's defaults, so fields missing from
        the body are reset; a "********" value keeps the stored secret (not in
        Readarr, which stores the mask literally).
        """
        implementation = _prop(body, "implementation")
        if not isinstance(implementation, str) or not implementation:
            raise ValidationFailedError(
                [
                    validation_failure(
                        "Implementation",
                        "'Implementation' must not be empty.",
                        implementation,
                        "NotEmptyValidator",
                    )
                ]
            )
        try:
            schema = settings_schema(self.config.app, implementation)
        except KeyError:
            raise BadRequestError(
                f"Unknown indexer implementation '{implementation}'"
            ) from None
        stored = (
            field_values(existing)
            if existing is not None and existing.get("implementation") == implementation
            else {}
        )
        values = {spec.name: spec.default for spec in schema}
        # Cardigann: the definition's settings are rebuilt from the body alone
        # (IndexerResource.ToModel fills ExtraFieldData from the body's fields, no
        # "********" merge); a name the definition lacks is an unhandled error.
        definition_settings = (
            {name for name in stored if name not in values}
            if implementation == "Cardigann"
            else set()
        )
        body_fields = _prop(body, "fields")
        if body_fields is not None and not isinstance(body_fields, list):
            raise BadRequestError("The JSON value for 'fields' must be an array")
        for item in body_fields or []:
            if not isinstance(item, dict):
                raise BadRequestError("Every field must be an object")
            name = _prop(item, "name")
            value = _prop(item, "value")
            if name in definition_settings:
                values[name] = value
                continue
            if name not in values:
                if implementation != "Cardigann":
                    continue
                if existing is not None:
                    raise ServerError(
                        f"Unknown Cardigann setting. (Parameter '{name}')"
                    )
                # A new indexer: its definition is whatever the body names.
                values[name] = value
                continue
            if self.traits.masks_secrets and value == MASK:
                value = stored.get(name)
            values[name] = value
        name = _prop(body, "name")
        if name is not None and not isinstance(name, str):
            raise BadRequestError("The JSON value for 'name' must be a string")
        indexer_id = existing["id"] if existing is not None else _body_int(body, "id")
        if not self.traits.is_prowlarr:
            return self._app_resource(
                indexer_id=indexer_id,
                name=name,
                implementation=implementation,
                flags=(
                    _body_bool(body, "enableRss"),
                    _body_bool(body, "enableAutomaticSearch"),
                    _body_bool(body, "enableInteractiveSearch"),
                ),
                priority=_body_int(body, "priority"),
                tags=_body_tags(body),
                download_client_id=_body_int(body, "downloadClientId"),
                values=values,
                extra={
                    "seasonSearchMaximumSingleEpisodeAge": _body_int(
                        body, "seasonSearchMaximumSingleEpisodeAge"
                    )
                },
            )
        # Prowlarr derives the descriptive properties from the definition, not
        # from the body; keep the stored ones (or the body's for a new indexer).
        source = existing if existing is not None else body
        protocol = (
            _prop(source, "protocol")
            or implementation_protocol(implementation)
            or "torrent"
        )
        descriptive: Resource = {
            "indexerUrls": _prop(source, "indexerUrls") or [],
            "legacyUrls": _prop(source, "legacyUrls") or [],
            "definitionName": _prop(source, "definitionName") or implementation.lower(),
            "description": _prop(source, "description") or "",
            "language": _prop(source, "language") or "en-US",
            "protocol": protocol,
            "privacy": _prop(source, "privacy") or "private",
            "capabilities": _prop(source, "capabilities") or category_tree([]),
            "added": _prop(source, "added") or format_time(self.clock()),
        }
        return self._prowlarr_resource(
            indexer_id=indexer_id,
            name=name,
            implementation=implementation,
            enable=_body_bool(body, "enable"),
            redirect=_body_bool(body, "redirect"),
            app_profile_id=_body_int(body, "appProfileId"),
            priority=_body_int(body, "priority"),
            tags=_body_tags(body),
            download_client_id=_body_int(body, "downloadClientId"),
            values=values,
            descriptive=descriptive,
        )

    def validate_resource(self, resource: Resource) -> None:
        """Run the shared resource validators; raise ValidationFailedError (§5)."""
        failures: list[Resource] = []
        name = resource.get("name")
        if not name or not str(name).strip():
            failures.append(
                validation_failure(
                    "Name", "'Name' must not be empty.", name or "", "NotEmptyValidator"
                )
            )
        elif any(
            other_id != resource["id"]
            and str(other.get("name", "")).casefold() == str(name).casefold()
            for other_id, other in self.indexers.items()
        ):
            failures.append(
                validation_failure(
                    "Name", "Should be unique", name, "PredicateValidator"
                )
            )
        priority = resource["priority"]
        if not 1 <= priority <= 50:
            failures.append(
                validation_failure(
                    "Priority",
                    f"'Priority' must be between 1 and 50. You entered {priority}.",
                    priority,
                    "InclusiveBetweenValidator",
                    {"From": 1, "To": 50, "Value": priority},
                )
            )
        client = resource.get("downloadClientId") or 0
        if client and client not in self.config.download_clients:
            # DownloadClientExistsValidator, a shared rule: checked before any
            # test, so nothing is recorded on the back-off (§5).
            failures.append(
                validation_failure(
                    "DownloadClientId",
                    DOWNLOAD_CLIENT_MISSING,
                    client,
                    "PredicateValidator",
                )
            )
        if self.traits.is_prowlarr:
            if resource["appProfileId"] != 1:
                failures.append(
                    validation_failure(
                        "AppProfileId",
                        "App Profile does not exist",
                        resource["appProfileId"],
                        "PredicateValidator",
                    )
                )
            if resource["protocol"] == "usenet" and not resource["redirect"]:
                failures.append(
                    validation_failure(
                        "Redirect",
                        "Redirect must be enabled for Usenet indexers",
                        resource["redirect"],
                        "PredicateValidator",
                    )
                )
        if failures:
            raise ValidationFailedError(failures)

    def validate_settings(self, resource: Resource) -> None:
        """Validate the settings (ValidRootUrl on the indexer URL)."""
        if resource["implementation"] not in ("Newznab", "Torznab"):
            return
        base_url = field_values(resource).get("baseUrl")
        if not isinstance(base_url, str) or not re.match(
            r"^https?://[-_a-z0-9.]+", base_url, re.IGNORECASE
        ):
            raise ValidationFailedError(
                [
                    provider_test_failure(
                        "must be valid URL that starts with http(s)://", "BaseUrl"
                    )
                    | {"attemptedValue": base_url}
                ]
            )

    # ------------------------------------------------------------- PUT/create

    def prepare_update(
        self, route_id: int | None, body: Any, *, force_save: bool
    ) -> PendingUpdate:
        """Validate a PUT and decide whether it needs a live test (§4)."""
        if not isinstance(body, dict):
            raise BadRequestError("The request body must be an indexer resource")
        body_id = _body_int(body, "id")
        existing = self.indexers.get(route_id or 0) or self.indexers.get(body_id)
        if existing is None:
            raise NotFoundError(
                f"IndexerDefinition with ID {route_id or body_id} does not exist"
            )
        resource = self.build_from_body(body, existing)
        self.validate_resource(resource)
        enabled = is_enabled(resource)
        if enabled:
            self.validate_settings(resource)
        if self.traits.change_detection:
            changed = resource != existing
            return PendingUpdate(
                resource, changed, needs_test=changed and enabled and not force_save
            )
        return PendingUpdate(resource, True, needs_test=enabled and not force_save)

    def commit_update(self, pending: PendingUpdate) -> Resource:
        """Save a validated (and tested) PUT; return the presented resource."""
        resource = pending.resource
        if pending.changed:
            self.indexers[resource["id"]] = resource
            # ProviderUpdatedEvent: a full-sync Prowlarr pushes it to the apps (§9).
            self.sync_apps([resource["id"]], event="updated")
        return self.present(self.indexers[resource["id"]])

    def prepare_create(self, body: Any, *, force_save: bool) -> PendingUpdate:
        """Validate a POST /indexer (create); the id is assigned on commit."""
        if not isinstance(body, dict):
            raise BadRequestError("The request body must be an indexer resource")
        resource = self.build_from_body(body, None)
        resource["id"] = 0
        self.validate_resource(resource)
        enabled = is_enabled(resource)
        if enabled:
            self.validate_settings(resource)
        return PendingUpdate(resource, True, needs_test=enabled and not force_save)

    def commit_create(self, pending: PendingUpdate) -> Resource:
        """Store a created indexer under the next id."""
        resource = pending.resource
        resource["id"] = self._next_id
        self._next_id += 1
        self.indexers[resource["id"]] = resource
        self.sync_apps([resource["id"]], event="added")
        return self.present(resource)

    def prepare_test(self, body: Any) -> Resource:
        """Validate a POST /indexer/test body and return the definition to test."""
        if not isinstance(body, dict):
            raise BadRequestError("The request body must be an indexer resource")
        body_id = _body_int(body, "id")
        existing = self.indexers.get(body_id) if body_id > 0 else None
        resource = self.build_from_body(body, existing)
        resource["id"] = body_id
        self.validate_resource(resource)
        # Test always validates the settings (forceValidate, §5).
        self.validate_settings(resource)
        return resource

    def delete_indexer(self, indexer_id: int) -> None:
        """Delete an indexer with its status row; unknown ids are a no-op (§8)."""
        self.indexers.pop(indexer_id, None)
        self.statuses.pop(indexer_id, None)
        self.faults.pop(indexer_id, None)
        self.history = [h for h in self.history if h.indexer_id != indexer_id]
        # ProviderDeletedEvent: every app with sync on loses its copy (§9).
        for app in self.sync_enabled_apps():
            synced = app.find_synced(self, indexer_id)
            if synced is not None:
                app.delete_indexer(synced)

    # ------------------------------------------------------------------- bulk

    def bulk_update(self, body: Any) -> list[Resource]:
        """Apply PUT /indexer/bulk: only provided properties change, no test (§4)."""
        if not isinstance(body, dict):
            raise BadRequestError("ids must be provided")
        ids = _prop(body, "ids")
        if not isinstance(ids, list) or not ids:
            raise BadRequestError("ids must be provided")
        tags = _prop(body, "tags")
        apply_tags = str(_prop(body, "applyTags") or "add").lower()
        if apply_tags not in ("add", "remove", "replace"):
            raise BadRequestError(f"Unknown applyTags '{apply_tags}'")
        if self.traits.is_prowlarr:
            flags: tuple[str, ...] = ("enable", "appProfileId", "priority")
            field_map = {
                "minimumSeeders": "torrentBaseSettings.appMinimumSeeders",
                "seedRatio": "torrentBaseSettings.seedRatio",
                "seedTime": "torrentBaseSettings.seedTime",
                "packSeedTime": "torrentBaseSettings.packSeedTime",
                "preferMagnetUrl": "torrentBaseSettings.preferMagnetUrl",
            }
        else:
            flags = (*APP_ENABLE_FLAGS, "priority")
            field_map = {}
        found = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        found = [i for i in dict.fromkeys(found) if i in self.indexers]
        if len(found) != len(ids):
            # BasicRepository.Get(ids) throws before anything changes; the error
            # pipeline answers 500 (duplicate ids fail the same way).
            raise ServerError(
                f"Expected query to return {len(ids)} rows but returned {len(found)}"
            )
        updated: list[int] = []
        for indexer_id in found:
            resource = self.indexers[indexer_id]
            for key in flags:
                value = _prop(body, key)
                if value is not None:
                    resource[key] = value
            for key, field_name in field_map.items():
                value = _prop(body, key)
                if value is None:
                    continue
                for item in resource["fields"]:
                    if item["name"] == field_name:
                        item["value"] = value
            if isinstance(tags, list):
                current = list(resource.get("tags", []))
                if apply_tags == "add":
                    current = list(dict.fromkeys([*current, *tags]))
                elif apply_tags == "remove":
                    current = [tag for tag in current if tag not in tags]
                else:
                    current = list(dict.fromkeys(tags))
                resource["tags"] = current
            updated.append(indexer_id)
        # ProviderBulkUpdatedEvent triggers the app sync in Prowlarr (§4).
        self.sync_apps(updated, event="bulk")
        return [self.present(self.indexers[indexer_id]) for indexer_id in updated]

    # ----------------------------------------------------------- live testing

    def set_indexer_fault(self, indexer_id: int, fault: IndexerFault | None) -> None:
        """Set (or clear with None / a clear fault) the fault of one indexer."""
        self.existing(indexer_id)
        if fault is None or fault.is_clear:
            self.faults.pop(indexer_id, None)
        else:
            self.faults[indexer_id] = fault

    def testable_ids(self) -> list[int]:
        """Return the ids testall tests: enabled indexers only, in id order (§5)."""
        return sorted(
            i for i, resource in self.indexers.items() if is_enabled(resource)
        )

    def fault_for(self, indexer_id: int, resource: Resource) -> IndexerFault:
        """The scripted fault that applies to testing `resource` (its settings)."""
        fault = self.faults.get(indexer_id)
        if fault is None:
            return IndexerFault()
        if fault.url is not None:
            base_url = str(field_values(resource).get("baseUrl") or "")
            if not base_url.startswith(fault.url):
                # The settings under test point elsewhere: the fault is not theirs.
                return IndexerFault()
        if fault.every > 1:
            uses = self.fault_uses.get(indexer_id, 0) + 1
            self.fault_uses[indexer_id] = uses
            if uses % fault.every:
                # A flaky site: this use works.
                return IndexerFault(latency=fault.latency)
        return fault

    def scripted_failure(self, fault: IndexerFault, resource: Resource) -> Failure:
        """The failure a failing fault produces, in this app's own words."""
        values = field_values(resource)
        base_url = str(values.get("baseUrl") or "https://indexer.test")
        parsed = URL(base_url)
        # .NET's socket errors name "host:port" (the default port when none).
        host = f"{parsed.host}:{parsed.port}" if parsed.host else base_url
        url = test_url(
            self.config.app,
            base_url,
            str(values.get("apiPath") or "/api"),
            self._api_key_of(resource),
        )
        if fault.fail is not None:
            return Failure(fault.fail)
        assert fault.kind is not None
        return failure_for(self.config.app, fault.kind, host=host, url=url)

    def _api_key_of(self, resource: Resource) -> str | None:
        """The indexer's API key as the app uses it (the stored one for a mask).

        A Cardigann UNIT3D definition keeps it in its "apikey" setting.
        """
        values = field_values(resource)
        key = values.get("apiKey") or values.get("apikey")
        if key == MASK and int(resource.get("id") or 0) in self.indexers:
            key = field_values(self.indexers[int(resource["id"])]).get("apiKey")
        return str(key) if key else None

    def rss_sync(self) -> dict[int, Failure | None]:
        """The apps' RSS sync (RssSyncService): real traffic, not a test.

        Every indexer with RSS on that the back-off does not block fetches its
        feed now; the outcome moves the back-off (and, through Prowlarr, is an
        RSS row in its history and counts toward the indexer's query limit).
        Returns each fetched indexer's failure, None for a success.
        """
        if self.traits.is_prowlarr:
            raise ValueError("Prowlarr has no RSS sync of its own")
        now = self.clock()
        outcomes: dict[int, Failure | None] = {}
        for indexer_id, resource in sorted(self.indexers.items()):
            status = self.statuses.get(indexer_id)
            if not resource.get("enableRss") or (status and status.is_disabled(now)):
                continue
            plan = self.plan_test(resource, rss=True)
            outcomes[indexer_id] = self.finish_test(plan, timed_out=plan.hang)
        return outcomes

    def plan_test(self, resource: Resource, *, rss: bool = False) -> LiveTestPlan:
        """Decide the outcome of testing `resource`.

        The settings in the body are what is tested (ProviderControllerBase.Test
        builds the definition from the body; "********" values come from the
        stored one): a fault with a `url` only applies to those settings.
        """
        indexer_id = int(resource.get("id") or 0)
        fault = self.fault_for(indexer_id, resource)
        plan = LiveTestPlan(
            indexer_id=indexer_id, latency=fault.latency, hang=fault.hang
        )
        if fault.fails:
            plan.failure = self.scripted_failure(fault, resource)
        if plan.failure is not None or plan.hang:
            return plan
        upstream = self.upstream
        prowlarr_id = self.prowlarr_id_of(resource)
        if upstream is None or prowlarr_id is None:
            plan.failure = None if rss else self._jackett_all(resource)
            return plan
        self._plan_through_prowlarr(plan, resource, upstream, prowlarr_id, rss=rss)
        return plan

    def _jackett_all(self, resource: Resource) -> Failure | None:
        """Torznab.JackettAll in Radarr/Sonarr: a warning, after a working test."""
        if self.traits.is_prowlarr or resource.get("implementation") != "Torznab":
            return None
        values = field_values(resource)
        where = f"{values.get('baseUrl') or ''}{values.get('apiPath') or ''}"
        if any(path in where.lower() for path in JACKETT_ALL_PATHS):
            return Failure(JACKETT_ALL, "ApiPath", is_warning=True)
        return None

    def _plan_through_prowlarr(
        self,
        plan: LiveTestPlan,
        resource: Resource,
        upstream: InstanceState,
        prowlarr_id: int,
        *,
        rss: bool = False,
    ) -> None:
        """A synced copy's test is an RSS query to Prowlarr's NewznabController.

        Prowlarr answers 410 for a disabled indexer and 429 while the indexer is
        blocked or at its query limit; the apps show only the HTTP status. A site
        failure inside Prowlarr comes back as an empty feed ("no results").
        """
        app = self.config.app
        url = test_url(
            app,
            str(field_values(resource).get("baseUrl") or ""),
            "/api",
            self._api_key_of(resource),
        )
        if upstream.down:
            host = upstream.url.split("://", 1)[-1].split("/", 1)[0]
            plan.failure = Failure(
                connection_failure(app, f"Connection refused ({host})")
            )
            return
        upstream_fault = upstream.fault
        if upstream_fault is not None:
            status = {
                InstanceFaultMode.UNAUTHORIZED: 401,
                InstanceFaultMode.ERROR: 500,
                InstanceFaultMode.STARTING: 503,
            }.get(upstream_fault.mode)
            if status is not None:
                plan.failure = Failure(http_failure(app, status, url))
                return
            if upstream_fault.mode is InstanceFaultMode.HTML:
                plan.failure = Failure(
                    "Unable to connect to indexer: Data at the root level is invalid. "
                    "Line 1, position 1.. Check the log surrounding this error for "
                    "details"
                )
                return
            plan.latency += upstream_fault.delay
        target = upstream.indexers.get(prowlarr_id)
        now = self.clock()
        if target is None:
            plan.failure = Failure(http_failure(app, 404, url))
        elif not target["enable"]:
            plan.failure = Failure(http_failure(app, 410, url))
        elif prowlarr_id in upstream.blocked_ids() or upstream.at_query_limit(
            prowlarr_id, now
        ):
            # 429 + Retry-After; an app's test records a plain failure, with no
            # minimum back-off (IndexerFactory.Test), its RSS sync one at least
            # as long as the Retry-After.
            plan.failure = Failure(http_failure(app, 429, url))
            if rss:
                plan.minimum_backoff = upstream.retry_after(prowlarr_id, now)
        else:
            target_fault = upstream.fault_for(prowlarr_id, target)
            plan.upstream = upstream
            plan.upstream_id = prowlarr_id
            plan.latency += target_fault.latency
            plan.hang = target_fault.hang
            plan.upstream_failed = target_fault.fails
            if target_fault.fails:
                plan.failure = Failure(NO_RESULTS_APPS)
            elif not rss and not self._served_by(resource, target):
                # A successful query with no results (so in Prowlarr's history
                # as successful): the test fails, an RSS sync just finds nothing.
                plan.failure = Failure(NO_RESULTS_APPS)
            elif not rss:
                plan.failure = self._jackett_all(resource)

    @staticmethod
    def _served_by(resource: Resource, target: Resource) -> bool:
        """Whether a copy asks Prowlarr for categories its indexer serves.

        Prowlarr answers a query for categories the indexer does not have with
        an empty feed. A copy without categories asks for everything.
        """
        values = field_values(resource)
        wanted = {
            int(c)
            for key in ("categories", "animeCategories")
            for c in values.get(key) or ()
        }
        if not wanted:
            return True
        capabilities = target.get("capabilities") or {}
        supported = flatten_categories(capabilities.get("categories") or [])
        return bool(wanted & supported)

    def finish_test(
        self, plan: LiveTestPlan, *, timed_out: bool = False
    ) -> Failure | None:
        """Record the outcome of a finished test; return its failure, if any.

        Tests of saved indexers (id > 0) move the back-off: success → RecordSuccess,
        failure (a warning too) → RecordFailure (IndexerFactory.Test, §5). A test
        through Prowlarr is an RSS query there: recorded in its history, counted
        toward the indexer's query limit, and on its back-off. Prowlarr's own test
        (TestConnection) writes no history.
        """
        failure = plan.failure
        if timed_out:
            failure = failure_for(self.config.app, TIMEOUT_KIND, host="", url="")
        elapsed_ms = round(plan.latency * 1000)
        if plan.upstream is not None and not timed_out:
            plan.upstream.record_query(
                plan.upstream_id,
                successful=not plan.upstream_failed,
                elapsed_ms=elapsed_ms,
                user_agent=f"{self.config.app}/{self.config.version}",
                host=self.url.split("://", 1)[-1].split("/", 1)[0] or self.config.name,
                source=self.config.app,
            )
        if plan.indexer_id in self.indexers and (failure is None or failure.recorded):
            if failure is None:
                self.record_success(plan.indexer_id)
            else:
                self.record_failure(plan.indexer_id, plan.minimum_backoff)
        return failure

    def record_query(
        self,
        indexer_id: int,
        *,
        successful: bool,
        elapsed_ms: int = 0,
        user_agent: str = "Prowlarr",
        host: str = "localhost",
        event_type: str = "indexerRss",
        source: str = "",
        record_status: bool = True,
    ) -> None:
        """Record a query through Prowlarr's Newznab/Torznab endpoint.

        HttpIndexerBase.FetchReleases records the outcome on the back-off too.
        """
        if indexer_id not in self.indexers:
            return
        self._next_history_id += 1
        self.history.append(
            HistoryEntry(
                time=self.clock(),
                indexer_id=indexer_id,
                successful=successful,
                elapsed_ms=elapsed_ms,
                user_agent=user_agent,
                host=host,
                event_type=event_type,
                source=source or user_agent.split("/", 1)[0],
                id=self._next_history_id,
            )
        )
        if not record_status:
            return
        if successful:
            self.record_success(indexer_id)
        else:
            self.record_failure(indexer_id)

    def query_limit(self, indexer_id: int) -> tuple[int | None, int]:
        """A Prowlarr indexer's query limit and its window in hours (limitsUnit)."""
        values = field_values(self.indexers[indexer_id])
        limit = values.get("baseSettings.queryLimit")
        hours = 1 if values.get("baseSettings.limitsUnit") == 1 else 24
        return (limit if isinstance(limit, int) and limit > 0 else None), hours

    def at_query_limit(self, indexer_id: int, now: datetime) -> bool:
        """IndexerLimitService.AtQueryLimit: queries and RSS in a rolling window."""
        limit, hours = self.query_limit(indexer_id)
        if limit is None:
            return False
        since = now - timedelta(hours=hours)
        count = sum(
            1
            for entry in self.history
            if entry.indexer_id == indexer_id
            and entry.event_type in QUERY_EVENTS
            and entry.time >= since
        )
        return count >= limit

    def retry_after(self, indexer_id: int, now: datetime) -> timedelta:
        """Prowlarr's Retry-After for a 429: until its back-off ends, or until
        enough counted queries leave the limit's window
        (IndexerLimitService.CalculateRetryAfterQueryLimit)."""
        status = self.statuses.get(indexer_id)
        till = status.disabled_till if status is not None else None
        if till is not None and till > now:
            return till - now
        limit, hours = self.query_limit(indexer_id)
        if limit is None:
            return timedelta(0)
        window = timedelta(hours=hours)
        times = sorted(
            entry.time
            for entry in self.history
            if entry.indexer_id == indexer_id
            and entry.event_type in QUERY_EVENTS
            and entry.time >= now - window
        )
        if len(times) < limit:
            return timedelta(0)
        return max(timedelta(0), times[len(times) - limit] + window - now)

    # ---------------------------------------------------------------- back-off

    def status(self, indexer_id: int) -> IndexerStatus:
        """Return a copy of an indexer's back-off status (level 0 when clean)."""
        self.existing(indexer_id)
        return replace(self.statuses.get(indexer_id, IndexerStatus()))

    def record_failure(
        self, indexer_id: int, minimum_backoff: timedelta = timedelta(0)
    ) -> None:
        """ProviderStatusServiceBase.RecordFailure (§8).

        The 15-minute startup grace period (no escalation right after the app
        starts) is deliberately not simulated: tests start the simulator and
        fail indexers at once, and the grace would hide the escalation.
        """
        status = self.statuses.setdefault(indexer_id, IndexerStatus())
        now = self.clock()
        # ProviderStatusChangedEvent: the indexer checks run again.
        self.health_events += 1
        status.most_recent_failure = now
        if status.escalation_level == 0:
            status.initial_failure = now
            status.escalation_level = 1
        else:
            status.escalation_level = min(
                MAX_ESCALATION_LEVEL, status.escalation_level + 1
            )
        if minimum_backoff > timedelta(0):
            while (
                status.escalation_level < MAX_ESCALATION_LEVEL
                and ESCALATION_PERIODS[status.escalation_level] < minimum_backoff
            ):
                status.escalation_level += 1
        status.disabled_till = now + ESCALATION_PERIODS[status.escalation_level]

    def record_success(self, indexer_id: int) -> None:
        """ProviderStatusServiceBase.RecordSuccess: one level down, unblocked (§8)."""
        status = self.statuses.get(indexer_id)
        if status is None or status.escalation_level == 0:
            return
        self.health_events += 1
        status.escalation_level -= 1
        status.disabled_till = None

    def blocked_ids(self) -> list[int]:
        """Return the ids of currently blocked indexers (GetBlockedProviders)."""
        now = self.clock()
        return sorted(
            indexer_id
            for indexer_id, status in self.statuses.items()
            if indexer_id in self.indexers and status.is_disabled(now)
        )

    # ---------------------------------------------------------- Prowlarr sync

    def prowlarr_id_of(self, resource: Resource) -> int | None:
        """Return the Prowlarr indexer id an app indexer proxies, if any (§9)."""
        upstream = self.upstream
        if upstream is None or resource.get("implementation") not in (
            "Newznab",
            "Torznab",
        ):
            return None
        values = field_values(resource)
        base_url = str(values.get("baseUrl") or "")
        if not (
            (upstream.url and base_url.startswith(upstream.url))
            or values.get("apiKey") == upstream.config.api_key
        ):
            return None
        match = _PROWLARR_ID_RE.search(base_url)
        return int(match.group("indexer")) if match else None

    def find_synced(self, prowlarr: InstanceState, prowlarr_id: int) -> int | None:
        """Return the id of the app indexer synced from `prowlarr_id`, if any."""
        if self.upstream is not prowlarr:
            return None
        for indexer_id, resource in sorted(self.indexers.items()):
            if self.prowlarr_id_of(resource) == prowlarr_id:
                return indexer_id
        return None

    def sync_enabled_apps(self) -> list[InstanceState]:
        """Apps whose application syncs (ApplicationDefinition.Enable, §9)."""
        return [app for app in self.downstream if app.config.sync_level != "disabled"]

    def sync_apps(
        self,
        prowlarr_ids: Iterable[int] | None = None,
        *,
        event: str = "app",
        force: bool = False,
        apps: Iterable[InstanceState] | None = None,
    ) -> None:
        """Push Prowlarr indexers into the linked apps (ApplicationService, §9).

        `event` is what triggered the sync:

        - "added" (ProviderAddedEvent): apps with sync on get a copy, enabled or
          not (that handler has no Enable check);
        - "updated" (ProviderUpdatedEvent, a PUT): full-sync apps only;
        - "bulk" (ProviderBulkUpdatedEvent): apps with sync on; only full-sync
          ones update an existing copy, add-only ones get missing enabled ones;
        - "scheduled" (ApplicationIndexerSync, every 6 h): like "bulk" over every
          indexer, skipping those blocked by the back-off unless `force`, and
          removing copies of indexers that no longer exist;
        - "app" (an application added or edited, or the simulator starting):
          like "bulk" over the enabled indexers.

        `apps` limits the sync to some of the linked apps.
        """
        if not self.traits.is_prowlarr or not self.url:
            return
        targets = [
            app for app in self.sync_enabled_apps() if apps is None or app in list(apps)
        ]
        if event == "updated":
            targets = [app for app in targets if app.config.sync_level == "fullSync"]
        ids = sorted(self.indexers) if prowlarr_ids is None else list(prowlarr_ids)
        if event == "app":
            ids = [i for i in ids if self.indexers[i]["enable"]]
        if event == "scheduled" and not force:
            # AllProviders() filters indexers blocked by the back-off.
            blocked = set(self.blocked_ids())
            ids = [i for i in ids if i not in blocked]
        for app in targets:
            for prowlarr_id in ids:
                app.apply_synced(self, prowlarr_id, added=event == "added")
            if event == "scheduled":
                for indexer_id, resource in list(app.indexers.items()):
                    mapped = app.prowlarr_id_of(resource)
                    if mapped is not None and mapped not in self.indexers:
                        app.delete_indexer(indexer_id)

    def apply_synced(
        self, prowlarr: InstanceState, prowlarr_id: int, *, added: bool = False
    ) -> None:
        """Add or update the app-side copy of one Prowlarr indexer (§9).

        SyncIndexers: an existing copy is only updated under Full Sync; a missing
        one is added only when the Prowlarr indexer is enabled (or, `added`, when
        it was just created: that path adds it with every flag off).
        """
        source = prowlarr.indexers.get(prowlarr_id)
        existing_id = self.find_synced(prowlarr, prowlarr_id)
        if source is None:
            if existing_id is not None:
                self.delete_indexer(existing_id)
            return
        if existing_id is not None and self.config.sync_level != "fullSync":
            return
        if existing_id is None and not (source["enable"] or added):
            return
        supported = flatten_categories(source["capabilities"]["categories"])
        categories = sorted(supported & set(self.traits.sync_categories))
        anime = sorted(supported & set(self.traits.anime_sync_categories))
        if not categories and not anime:
            # Prowlarr only syncs indexers that have categories the app wants.
            if existing_id is not None:
                self.delete_indexer(existing_id)
            return
        implementation = "Newznab" if source["protocol"] == "usenet" else "Torznab"
        upstream_values = field_values(source)
        synced_values: dict[str, Any] = {
            "baseUrl": f"{prowlarr.url}/{prowlarr_id}/",
            "apiPath": "/api",
            "apiKey": prowlarr.config.api_key,
            "categories": categories,
        }
        if self.config.app == "Sonarr":
            synced_values["animeCategories"] = anime
        if implementation == "Torznab":
            synced_values |= {
                "minimumSeeders": upstream_values.get(
                    "torrentBaseSettings.appMinimumSeeders"
                )
                or 1,
                "seedCriteria.seedRatio": upstream_values.get(
                    "torrentBaseSettings.seedRatio"
                ),
                "seedCriteria.seedTime": upstream_values.get(
                    "torrentBaseSettings.seedTime"
                ),
            }
            if self.config.app in ("Sonarr", "Whisparr"):
                synced_values["seedCriteria.seasonPackSeedTime"] = upstream_values.get(
                    "torrentBaseSettings.packSeedTime"
                )
        existing = self.indexers.get(existing_id) if existing_id is not None else None
        schema = settings_schema(self.config.app, implementation)
        values = {spec.name: spec.default for spec in schema}
        if existing is not None and existing["implementation"] == implementation:
            # Fields Prowlarr does not manage stay as the user set them.
            values |= field_values(existing)
        values |= synced_values
        enable = bool(source["enable"])
        indexer_id = existing_id if existing_id is not None else self._next_id
        resource = self._app_resource(
            indexer_id=indexer_id,
            name=f"{source.get('name', '')} (Prowlarr)",
            implementation=implementation,
            flags=(enable, enable, enable),
            priority=int(source["priority"]),
            tags=existing["tags"] if existing is not None else [],
            download_client_id=existing["downloadClientId"]
            if existing is not None
            else 0,
            values=values,
            extra={
                "seasonSearchMaximumSingleEpisodeAge": existing.get(
                    "seasonSearchMaximumSingleEpisodeAge", 0
                )
            }
            if existing is not None
            else {},
        )
        if existing is None:
            self._next_id += 1
        if resource != existing:
            self.indexers[indexer_id] = resource

    # ------------------------------------------------------------- connections

    def save_notification(self, resource: Resource) -> Resource:
        """Store a connection (a new one gets the next id)."""
        if not resource["id"]:
            resource["id"] = self._next_notification_id
            self._next_notification_id += 1
        self.notifications[resource["id"]] = resource
        return resource

    # -------------------------------------------------------- status & commands

    def run_command(self, body: Any) -> Resource:
        """POST /command: run a known command at once and return it as queued."""
        name = _prop(body, "name") if isinstance(body, dict) else None
        known = {"CheckHealth", "RssSync"} | (
            {"ApplicationIndexerSync"} if self.traits.is_prowlarr else set()
        )
        if name not in known:
            raise BadRequestError(f"Unknown command '{name}'")
        if name == "CheckHealth":
            self.health_events += 1
        if name == "RssSync" and not self.traits.is_prowlarr:
            self.rss_sync()
        if name == "ApplicationIndexerSync":
            self.sync_apps(event="scheduled", force=bool(_prop(body, "forceSync")))
        now = format_time(self.clock())
        command_name = re.sub(r"(?<!^)(?=[A-Z])", " ", str(name))
        command: Resource = {
            "name": name,
            "commandName": command_name,
            "body": {
                "sendUpdatesToClient": False,
                "updateScheduledTask": True,
                "completionMessage": "Completed",
                "requiresDiskAccess": False,
                "isExclusive": False,
                "isTypeExclusive": False,
                "isLongRunning": False,
                "name": name,
                "trigger": "manual",
                "suppressMessages": False,
            },
            "priority": "normal",
            "status": "queued",
            "result": "unknown",
            "queued": now,
            "trigger": "manual",
            "sendUpdatesToClient": False,
            "updateScheduledTask": True,
            "id": self._next_command_id,
        }
        self._next_command_id += 1
        # The work above is already done; later reads report it completed.
        self.commands[command["id"]] = command | {
            "status": "completed",
            "result": "successful",
            "message": "Completed",
            "started": now,
            "ended": now,
        }
        return command
