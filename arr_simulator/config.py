"""Configuration of the simulator: dataclasses and the TOML loader."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
import tomllib
from typing import Any

from .messages import FAULT_KINDS

APPS = ("Radarr", "Sonarr", "Lidarr", "Readarr", "Whisparr", "Prowlarr")

# Plausible current builds; only used when a config leaves `version` out.
DEFAULT_VERSIONS = {
    "Radarr": "6.0.4.10291",
    "Sonarr": "4.0.19.2900",
    "Lidarr": "2.14.5.4836",
    "Readarr": "0.3.22.2499",
    "Whisparr": "2.0.0.1028",
    "Prowlarr": "2.3.6.5296",
}

PROTOCOLS = ("usenet", "torrent")
SYNC_LEVELS = ("disabled", "addOnly", "fullSync")
PROWLARR_PRIVACY = ("public", "semiPrivate", "private")


class ConfigError(ValueError):
    """The simulator configuration is invalid."""


@dataclass(frozen=True, slots=True)
class IndexerFault:
    """How the live test of one indexer behaves.

    `fail` makes the test fail with that message, `kind` with the app's own text
    for that kind of site problem (messages.FAULT_KINDS), `latency` (seconds) is
    added to every test and `hang` makes the test never answer (until the client
    gives up or the simulator's hang cap is reached). With `url`, the fault only
    applies while the tested settings' baseUrl starts with it: the apps test the
    settings in the request body, so a user who fixes the URL fixes the test.
    With `every` = N > 1 the site is flaky: only every Nth use of the indexer (a
    test or a real query) meets the fault, the others work.
    """

    fail: str | None = None
    latency: float = 0.0
    hang: bool = False
    kind: str | None = None
    url: str | None = None
    every: int = 1

    @property
    def is_clear(self) -> bool:
        """Return True when this fault changes nothing."""
        return (
            self.fail is None
            and self.kind is None
            and self.latency <= 0
            and not self.hang
        )

    @property
    def fails(self) -> bool:
        """Return True when the test fails (with a text or a kind)."""
        return self.fail is not None or self.kind is not None


@dataclass(slots=True)
class IndexerConfig:
    """One seeded indexer in compact form (expanded to a full resource later)."""

    name: str
    implementation: str = "Torznab"
    protocol: str | None = None
    priority: int = 25
    tags: list[int] = field(default_factory=list)
    enable_rss: bool = True
    enable_automatic_search: bool = True
    enable_interactive_search: bool = True
    # Prowlarr has a single enable flag instead of the three above.
    enable: bool = True
    download_client_id: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    fault: IndexerFault | None = None
    # Failures recorded at seed time, so an indexer can start out in back-off.
    failures: int = 0
    # Prowlarr Newznab/Torznab: VIP access expiring this many days after the
    # simulator starts (sets vipExpiration; negative: already expired).
    vip_expires_in_days: int | None = None
    # Prowlarr: successful queries in its history at start (they count toward
    # the indexer's query limit), e.g. to start out near the limit.
    queries_used: int = 0
    # Prowlarr-only descriptive properties.
    definition_name: str | None = None
    description: str | None = None
    privacy: str = "private"
    categories: list[int] = field(default_factory=list)
    app_profile_id: int = 1
    redirect: bool | None = None
    language: str = "en-US"
    indexer_urls: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GenerateConfig:
    """Extra generated indexers (for benchmarks with many indexers)."""

    count: int = 0
    latency: float = 0.0
    name_prefix: str = "Generated Indexer"


@dataclass(slots=True)
class InstanceConfig:
    """One simulated Arr application instance."""

    name: str
    app: str
    api_key: str
    version: str = ""
    instance_name: str = ""
    port: int = 0
    url_base: str = ""
    legacy_status: bool = False
    bulk: bool = True
    prowlarr: str | None = None
    # How the Prowlarr syncs into this app (its application's syncLevel).
    sync_level: str = "fullSync"
    # The download clients that exist (ids); an indexer naming another fails the
    # shared "Download Client does not exist" rule.
    download_clients: list[int] = field(default_factory=lambda: [1])
    # Minutes between the app's RSS syncs while the simulator runs (0: none; the
    # Python API's rss_sync() runs one at any time).
    rss_interval: float = 0
    indexers: list[IndexerConfig] = field(default_factory=list)
    generate: GenerateConfig | None = None

    @property
    def api_version(self) -> str:
        """Return the API version the app serves ("v3", "v1" or "v5").

        A Sonarr of version 5 or newer is simulated as a build that serves only
        /api/v5 (Sonarr.Api.V5), without the deprecated /api/v3.
        """
        if self.app == "Sonarr" and self.major_version >= 5:
            return "v5"
        return "v3" if self.app in ("Radarr", "Sonarr", "Whisparr") else "v1"

    @property
    def major_version(self) -> int:
        """Return the first number of the version (0 when it has none)."""
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0


@dataclass(slots=True)
class SimulatorConfig:
    """The whole simulated set-up."""

    instances: list[InstanceConfig] = field(default_factory=list)

    def instance(self, name: str) -> InstanceConfig:
        """Return the instance config called `name`."""
        for instance in self.instances:
            if instance.name == name:
                return instance
        raise KeyError(name)

    def with_ephemeral_ports(self) -> SimulatorConfig:
        """Return a copy with every port replaced by 0 (let the OS choose)."""
        return SimulatorConfig(
            instances=[replace(instance, port=0) for instance in self.instances]
        )


def normalize_url_base(url_base: str) -> str:
    """Normalize a url base the way the apps do ("/" + value trimmed of slashes)."""
    trimmed = url_base.strip().strip("/")
    return f"/{trimmed}" if trimmed else ""


def default_config_text() -> str:
    """Return the text of the bundled default.toml."""
    return resources.files("arr_simulator").joinpath("default.toml").read_text("utf-8")


def load_config(source: str | Path | None = None) -> SimulatorConfig:
    """Load a simulator config.

    `source` may be a `Path`, a path string, a TOML document string (recognised
    by containing a newline or "[[instance"), or None for the bundled default.
    """
    if source is None:
        text = default_config_text()
    elif isinstance(source, Path):
        text = source.read_text("utf-8")
    elif "\n" in source or "[[instance" in source:
        text = source
    else:
        text = Path(source).read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"invalid TOML: {err}") from err
    return parse_config(data)


def parse_config(data: dict[str, Any]) -> SimulatorConfig:
    """Build a `SimulatorConfig` from already parsed TOML data."""
    _reject_unknown(data, {"instance"}, "top level")
    raw_instances = data.get("instance", [])
    if not isinstance(raw_instances, list):
        raise ConfigError("'instance' must be an array of tables ([[instance]])")
    config = SimulatorConfig(instances=[_parse_instance(raw) for raw in raw_instances])
    _check_config(config)
    return config


_INSTANCE_KEYS = {
    "name",
    "app",
    "version",
    "instance_name",
    "port",
    "api_key",
    "url_base",
    "legacy_status",
    "bulk",
    "prowlarr",
    "sync_level",
    "download_clients",
    "rss_interval",
    "indexer",
    "generate",
}
_INDEXER_KEYS = {
    "name",
    "implementation",
    "protocol",
    "priority",
    "tags",
    "enable_rss",
    "enable_automatic_search",
    "enable_interactive_search",
    "enable",
    "download_client_id",
    "fields",
    "fault",
    "queries_used",
    "failures",
    "vip_expires_in_days",
    "definition_name",
    "description",
    "privacy",
    "categories",
    "app_profile_id",
    "redirect",
    "language",
    "indexer_urls",
}


def _parse_instance(raw: Any) -> InstanceConfig:
    if not isinstance(raw, dict):
        raise ConfigError("every [[instance]] must be a table")
    _reject_unknown(raw, _INSTANCE_KEYS, f"instance {raw.get('name')!r}")
    name = _str(raw, "name", required=True)
    app = _str(raw, "app", required=True)
    if app not in APPS:
        raise ConfigError(f"instance {name!r}: app must be one of {', '.join(APPS)}")
    generate = raw.get("generate")
    return InstanceConfig(
        name=name,
        app=app,
        api_key=_str(raw, "api_key", required=True),
        version=_str(raw, "version") or DEFAULT_VERSIONS[app],
        instance_name=_str(raw, "instance_name") or app,
        port=_int(raw, "port", 0),
        url_base=normalize_url_base(_str(raw, "url_base")),
        legacy_status=_bool(raw, "legacy_status", default=False),
        bulk=_bool(raw, "bulk", default=True),
        prowlarr=_str(raw, "prowlarr") or None,
        sync_level=_sync_level(raw, name),
        rss_interval=_float(raw, "rss_interval", 0.0),
        download_clients=_int_list(raw, "download_clients", name)
        if "download_clients" in raw
        else [1],
        indexers=[parse_indexer(item, app=app) for item in _list(raw, "indexer", name)],
        generate=_parse_generate(generate, name) if generate is not None else None,
    )


def parse_indexer(raw: Any, *, app: str) -> IndexerConfig:
    """Parse one compact indexer table (also used by the control API)."""
    if not isinstance(raw, dict):
        raise ConfigError("every indexer must be a table")
    _reject_unknown(raw, _INDEXER_KEYS, f"indexer {raw.get('name')!r}")
    name = _str(raw, "name", required=True)
    implementation = _str(raw, "implementation") or (
        "Cardigann" if app == "Prowlarr" else "Torznab"
    )
    protocol = _str(raw, "protocol") or None
    if protocol is not None and protocol not in PROTOCOLS:
        raise ConfigError(f"indexer {name!r}: protocol must be usenet or torrent")
    privacy = _str(raw, "privacy") or "private"
    if privacy not in PROWLARR_PRIVACY:
        raise ConfigError(f"indexer {name!r}: unknown privacy {privacy!r}")
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        raise ConfigError(f"indexer {name!r}: fields must be a table")
    fault = raw.get("fault")
    redirect = raw.get("redirect")
    if redirect is not None and not isinstance(redirect, bool):
        raise ConfigError(f"indexer {name!r}: redirect must be a boolean")
    return IndexerConfig(
        name=name,
        implementation=implementation,
        protocol=protocol,
        priority=_int(raw, "priority", 25),
        tags=_int_list(raw, "tags", name),
        enable_rss=_bool(raw, "enable_rss", default=True),
        enable_automatic_search=_bool(raw, "enable_automatic_search", default=True),
        enable_interactive_search=_bool(raw, "enable_interactive_search", default=True),
        enable=_bool(raw, "enable", default=True),
        download_client_id=_int(raw, "download_client_id", 0),
        fields=dict(fields),
        fault=parse_fault(fault, name) if fault is not None else None,
        failures=_int(raw, "failures", 0),
        queries_used=_int(raw, "queries_used", 0),
        vip_expires_in_days=_int(raw, "vip_expires_in_days", 0)
        if "vip_expires_in_days" in raw
        else None,
        definition_name=_str(raw, "definition_name") or None,
        description=_str(raw, "description") or None,
        privacy=privacy,
        categories=_int_list(raw, "categories", name),
        app_profile_id=_int(raw, "app_profile_id", 1),
        redirect=redirect,
        language=_str(raw, "language") or "en-US",
        indexer_urls=[str(url) for url in _list(raw, "indexer_urls", name)],
    )


def parse_fault(raw: Any, owner: str) -> IndexerFault:
    """Parse an indexer fault table `{fail, kind, url, latency, hang}`."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{owner!r}: fault must be a table")
    _reject_unknown(
        raw,
        {"fail", "kind", "url", "latency", "hang", "every"},
        f"fault of {owner!r}",
    )
    for key in ("fail", "kind", "url"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ConfigError(f"{owner!r}: fault.{key} must be a string")
    kind = raw.get("kind")
    if kind is not None and kind not in FAULT_KINDS:
        raise ConfigError(
            f"{owner!r}: fault.kind must be one of {', '.join(FAULT_KINDS)}"
        )
    return IndexerFault(
        fail=raw.get("fail"),
        kind=kind,
        url=raw.get("url"),
        latency=_float(raw, "latency", 0.0),
        hang=_bool(raw, "hang", default=False),
        every=max(1, _int(raw, "every", 1)),
    )


def _sync_level(raw: dict[str, Any], owner: str) -> str:
    level = _str(raw, "sync_level") or "fullSync"
    if level not in SYNC_LEVELS:
        raise ConfigError(
            f"instance {owner!r}: sync_level must be one of {', '.join(SYNC_LEVELS)}"
        )
    return level


def _parse_generate(raw: Any, owner: str) -> GenerateConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"instance {owner!r}: generate must be a table")
    _reject_unknown(raw, {"count", "latency", "name_prefix"}, f"generate of {owner!r}")
    return GenerateConfig(
        count=_int(raw, "count", 0),
        latency=_float(raw, "latency", 0.0),
        name_prefix=_str(raw, "name_prefix") or "Generated Indexer",
    )


def _check_config(config: SimulatorConfig) -> None:
    names = [instance.name for instance in config.instances]
    if len(set(names)) != len(names):
        raise ConfigError("instance names must be unique")
    ports = [instance.port for instance in config.instances if instance.port]
    if len(set(ports)) != len(ports):
        raise ConfigError("instance ports must be unique (or 0)")
    by_name = {instance.name: instance for instance in config.instances}
    for instance in config.instances:
        if instance.prowlarr is None:
            continue
        upstream = by_name.get(instance.prowlarr)
        if upstream is None or upstream.app != "Prowlarr":
            raise ConfigError(
                f"instance {instance.name!r}: prowlarr must name a Prowlarr instance"
            )
        if instance.app == "Prowlarr":
            raise ConfigError(f"instance {instance.name!r}: Prowlarr cannot sync")


def _reject_unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    # Typos in a hand-written TOML file should fail loudly, not be ignored.
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(unknown)}")


def _str(raw: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise ConfigError(f"missing required key {key!r}")
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{key!r} must be a string")
    return value


def _int(raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key!r} must be an integer")
    return value


def _float(raw: dict[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key!r} must be a number")
    return float(value)


def _bool(raw: dict[str, Any], key: str, *, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key!r} must be a boolean")
    return value


def _list(raw: dict[str, Any], key: str, owner: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{owner!r}: {key!r} must be an array")
    return value


def _int_list(raw: dict[str, Any], key: str, owner: str) -> list[int]:
    values = _list(raw, key, owner)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"{owner!r}: {key!r} must be an array of integers")
    return list(values)
