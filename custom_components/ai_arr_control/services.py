"""Actions: test an instance's indexers now, test one indexer now, heal an
instance now (optionally a dry run)."""

from __future__ import annotations

from typing import Any

import probatio

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .arr import ArrApp, ArrConnectionError
from .const import CONF_DRY_RUN, DOMAIN
from .coordinator import ArrConfigEntry
from .data import HealRun, IndexerHealth
from .helpers import arr_errors

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
SERVICE_TEST_INDEXERS = "test_indexers"
SERVICE_TEST_INDEXER = "test_indexer"
SERVICE_HEAL_NOW = "heal_now"

_ENTRY_SCHEMA = probatio.Schema({probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string})
_INDEXER_SCHEMA = probatio.Schema({probatio.Required(ATTR_DEVICE_ID): cv.string})
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


def _get_indexer(call: ServiceCall) -> tuple[ArrConfigEntry, int]:
    """The loaded entry and the indexer of an indexer's device."""
    device_id = call.data[ATTR_DEVICE_ID]
    device = dr.async_get(call.hass).async_get(device_id)
    if device is not None and (found := _indexer_of(call.hass, device)):
        return found
    name = (device.name_by_user or device.name) if device is not None else None
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_an_indexer",
        translation_placeholders={"device": name or device_id},
    )


def _indexer_of(
    hass: HomeAssistant, device: dr.AnyDeviceEntry
) -> tuple[ArrConfigEntry, int] | None:
    entry: ArrConfigEntry | None = hass.config_entries.async_get_entry(
        device.config_entry_id
    )
    if entry is None or entry.domain != DOMAIN:
        return None
    prefix = f"{entry.entry_id}_indexer_"
    for domain, identifier in device.identifiers:
        number = identifier.removeprefix(prefix)
        if domain != DOMAIN or number == identifier or not number.isdigit():
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"instance": entry.title},
            )
        if int(number) in entry.runtime_data.health.data.indexers:
            return entry, int(number)
    return None


async def _test_indexer(call: ServiceCall) -> ServiceResponse:
    """Check one indexer now (see ``async_test_indexer``)."""
    entry, indexer_id = _get_indexer(call)
    result = await async_test_indexer(call.hass, entry, indexer_id)
    return {
        "instance": entry.title,
        "indexer": result.indexer.name,
        "state": entry.runtime_data.health.indexer_state(indexer_id).value,
        "cause": result.cause.value if result.cause else None,
        "message": result.message,
    }


async def async_test_indexer(
    hass: HomeAssistant, entry: ArrConfigEntry, indexer_id: int
) -> IndexerHealth:
    """Check one indexer now, by the product's rules: a copy of a configured
    Prowlarr takes Prowlarr's verdict; Prowlarr's copies in the apps follow.

    The test_indexer action and the LLM API's tool; returns what it found.
    """
    health = entry.runtime_data.health
    name = health.data.indexers[indexer_id].indexer.name
    with arr_errors(hass, entry):
        try:
            await health.async_retest([indexer_id])
        except ArrConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="indexer_unreachable",
                translation_placeholders={
                    "indexer": name,
                    "instance": entry.title,
                    "error": str(err),
                },
            ) from err
    if indexer_id not in health.data.indexers:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="indexer_gone",
            translation_placeholders={"indexer": name, "instance": entry.title},
        )
    if health.app is ArrApp.PROWLARR:
        entry.runtime_data.stack.request_copies_check(entry.entry_id, [indexer_id])
    return health.data.indexers[indexer_id]


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
        SERVICE_TEST_INDEXER,
        _test_indexer,
        schema=_INDEXER_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_HEAL_NOW,
        _heal_now,
        schema=_HEAL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
