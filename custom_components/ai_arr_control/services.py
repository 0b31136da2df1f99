"""Actions: test an instance's indexers now, heal it now (optionally a dry run)."""

from __future__ import annotations

from typing import Any

import probatio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import CONF_DRY_RUN, DOMAIN
from .coordinator import ArrConfigEntry
from .data import HealRun

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
SERVICE_TEST_INDEXERS = "test_indexers"
SERVICE_HEAL_NOW = "heal_now"

_ENTRY_SCHEMA = probatio.Schema({probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string})
_HEAL_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        # Unset: the entry's Dry run option.
        probatio.Optional(CONF_DRY_RUN): cv.boolean,
    }
)


def _get_entry(call: ServiceCall) -> ArrConfigEntry:
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: ArrConfigEntry | None = call.hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"instance": entry.title},
        )
    return entry


async def _test_indexers(call: ServiceCall) -> None:
    await _get_entry(call).runtime_data.health.async_check_now()


async def _heal_now(call: ServiceCall) -> ServiceResponse:
    entry = _get_entry(call)
    run = await entry.runtime_data.heal.async_heal_now(
        dry_run=call.data.get(CONF_DRY_RUN)
    )
    return heal_report(run)


def heal_report(run: HealRun) -> dict[str, Any]:
    """What a heal run decided, as an action response."""
    plan = run.plan
    return {
        "dry_run": run.dry_run,
        "outage": plan.outage,
        "failing": plan.failing,
        "enabled": plan.enabled,
        "decisions": [
            {
                "indexer_id": d.indexer_id,
                "indexer": d.name,
                "action": str(d.action),
                "reason": d.reason,
                "cause": str(d.cause) if d.cause else None,
            }
            for d in plan.decisions
        ],
        "skipped": [
            {
                "indexer_id": s.indexer_id,
                "indexer": s.name,
                "reason": str(s.reason),
                "cause": str(s.cause) if s.cause else None,
            }
            for s in plan.skipped
        ],
        "notices": [
            {
                "indexer_id": n.indexer_id,
                "indexer": n.name,
                "kind": str(n.kind),
                "cause": str(n.cause) if n.cause else None,
                "setting": n.setting,
            }
            for n in plan.notices
        ],
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, whatever the number of entries)."""
    hass.services.async_register(
        DOMAIN, SERVICE_TEST_INDEXERS, _test_indexers, schema=_ENTRY_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_HEAL_NOW,
        _heal_now,
        schema=_HEAL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
