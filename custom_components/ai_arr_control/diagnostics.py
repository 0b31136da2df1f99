"""Diagnostics: the entry, its options and what the last health check saw."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant

from .arr import Indexer, safe_url
from .coordinator import ArrConfigEntry
from .data import IndexerHealth

REDACTED = "**REDACTED**"
TO_REDACT = {CONF_API_KEY, "apiKey", "password", "username", "passkey", "cookie"}
# Indexer settings the apps themselves treat as secret (field "privacy").
_SECRET_PRIVACY = {"apiKey", "password", "userName"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ArrConfigEntry
) -> dict[str, Any]:
    """Diagnostics for one Arr instance, without keys, passwords or URL credentials."""
    runtime = entry.runtime_data
    health = runtime.health.data
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(
                {**entry.data, CONF_URL: safe_url(entry.data[CONF_URL])}, TO_REDACT
            ),
            "options": dict(entry.options),
        },
        "instance": {
            **asdict(runtime.status),
            "url": safe_url(runtime.client.url),
        },
        "health": {
            "last_update_success": runtime.health.last_update_success,
            "last_checked": health.last_checked,
            "checks": [asdict(check) for check in health.checks],
            "indexers": [_indexer(i) for i in health.indexers.values()],
        },
        "heal": asdict(runtime.heal.data) if runtime.heal.data else None,
        "ledger": runtime.ledger.as_dict(),
    }


def _indexer(health: IndexerHealth) -> dict[str, Any]:
    indexer = health.indexer
    return {
        "id": indexer.id,
        "name": indexer.name,
        "enabled": indexer.enabled,
        "flags": dict(indexer.flags),
        "prowlarr_link": asdict(link) if (link := indexer.prowlarr_link) else None,
        "passed": health.passed,
        "message": health.message,
        "response_time": health.response_time,
        "consecutive_failures": health.consecutive_failures,
        "last_tested": health.last_tested,
        "last_success": health.last_success,
        "blocked_until": health.blocked_until,
        "stats": asdict(health.stats) if health.stats else None,
        "resource": _redact_resource(indexer),
    }


def _redact_resource(indexer: Indexer) -> dict[str, Any]:
    """The resource with secret settings removed, whatever the app masked itself."""
    resource: dict[str, Any] = async_redact_data(dict(indexer.resource), TO_REDACT)
    fields = resource.get("fields")
    if isinstance(fields, list):
        resource["fields"] = [
            {**field, "value": REDACTED}
            if isinstance(field, Mapping)
            and (
                field.get("privacy") in _SECRET_PRIVACY
                or str(field.get("name", "")).rsplit(".", 1)[-1] in TO_REDACT
            )
            and field.get("value") not in (None, "")
            else field
            for field in fields
        ]
    return resource
