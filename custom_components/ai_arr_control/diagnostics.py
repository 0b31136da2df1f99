"""Diagnostics: the entry, its options and what the last health check saw.

Fit to attach to a public bug report: an indexer setting's value is kept only
when its name is on the allow-list of settings known not to be secret (Prowlarr
returns Cardigann secrets in clear), URLs lose their credentials, and the API
key is removed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .arr import ArrApp, redact_resource, safe_url
from .const import CONF_WEBHOOK_ID
from .coordinator import ArrConfigEntry
from .data import IndexerHealth

# The webhook id is what lets anyone post to the instance's webhook.
TO_REDACT = {CONF_API_KEY, "apiKey", CONF_WEBHOOK_ID}


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
            "tests_today": sum(runtime.health.tests_today().values()),
            "last_checked": health.last_checked,
            "checks": [asdict(check) for check in health.checks],
            "applications": [
                {**asdict(app), "base_url": _url(app.base_url)}
                | {"prowlarr_url": _url(app.prowlarr_url)}
                for app in health.applications
            ],
            "indexers": [_indexer(entry, i) for i in health.indexers.values()],
        },
        "push": runtime.push.diagnostics(),
        "heal": asdict(runtime.heal.data) if runtime.heal.data else None,
        "ledger": runtime.ledger.as_dict(),
    }


def _url(url: str | None) -> str | None:
    return safe_url(url) if url else None


def _indexer(entry: ArrConfigEntry, health: IndexerHealth) -> dict[str, Any]:
    runtime = entry.runtime_data
    indexer = health.indexer
    route, source = runtime.stack.route_of(entry.entry_id, indexer)
    link = indexer.prowlarr_link
    data: dict[str, Any] = {
        "id": indexer.id,
        "name": indexer.name,
        "enabled": indexer.enabled,
        "flags": dict(indexer.flags),
        "route": route.value,
        "prowlarr_link": {**asdict(link), "prowlarr_url": _url(link.prowlarr_url)}
        if link
        else None,
        "source": {
            "prowlarr": source.prowlarr_title,
            "indexer_id": source.indexer_id,
            "sync_level": source.sync_level.value,
            "application": source.application,
            "failing_in_prowlarr": source.source_failing(dt_util.utcnow()),
        }
        if source
        else None,
        "passed": health.passed,
        "cause": health.cause,
        "message": health.message,
        "setting": health.setting,
        "warning": health.warning,
        "response_time": health.response_time,
        "consecutive_failures": health.consecutive_failures,
        "strikes": health.strikes,
        "last_tested": health.last_tested,
        "last_success": health.last_success,
        "paused_until": health.paused_until,
        "blocked_until": health.blocked_until,
        "stats": asdict(health.stats) if health.stats else None,
        "checked_by": health.checked_by,
        "tests_today": runtime.health.tests_today().get(indexer.id, 0),
        "queries": asdict(health.queries) if health.queries else None,
        "grabs": asdict(health.grabs) if health.grabs else None,
        "traffic": {app: asdict(t) for app, t in health.traffic.items()},
        "resource": redact_resource(indexer.resource),
    }
    if runtime.status.app is ArrApp.PROWLARR:
        data["copies"] = [
            {
                "instance": copy.title,
                "indexer_id": copy.indexer_id,
                "sync_level": copy.sync_level.value,
                "enabled": copy.health.indexer.enabled,
                "passed": copy.health.passed,
                "cause": copy.health.cause,
            }
            for copy in runtime.stack.copies_of(entry.entry_id, indexer.id)
        ]
    return data
