"""The user guide (README.md) and the example dashboard match the integration."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import MagicMock

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ai_arr_control import const
from custom_components.ai_arr_control.arr import (
    Cause,
    Indexer,
    IndexerTestResult,
    ValidationFailure,
)
from custom_components.ai_arr_control.data import IndexerState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.template import Template
from homeassistant.util import slugify
from homeassistant.util.yaml import parse_yaml

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "ai_arr_control"
README = (ROOT / "README.md").read_text()
TRANSLATIONS = json.loads((INTEGRATION / "translations" / "en.json").read_text())
DASHBOARD: Any = parse_yaml((ROOT / "docs" / "dashboard.yaml").read_text())
# The demo stack's instances, as entity id prefixes (longest first).
DEMO_PREFIXES = ("radarr_4k_", "prowlarr_", "radarr_", "sonarr_")


def test_readme_documents_every_action() -> None:
    """Every action and each of its fields (docs-actions)."""
    services: Any = parse_yaml((INTEGRATION / "services.yaml").read_text())
    for service, spec in services.items():
        assert f"`{const.DOMAIN}.{service}`" in README, service
        for field in spec.get("fields", {}):
            assert f"`{field}`" in README, (service, field)


def test_readme_documents_events_causes_and_states() -> None:
    """Every event, failure cause and indexer state by its value."""
    events = [
        value
        for name, value in vars(const).items()
        if name.startswith("EVENT_") and isinstance(value, str)
    ]
    assert len(events) == 4
    for value in [*events, *Cause, *IndexerState]:
        assert f"`{value}`" in README, value


def test_readme_documents_every_field_option_and_entity() -> None:
    """Every config flow field, option and entity by the name the user sees
    (docs-installation-parameters, docs-configuration-parameters,
    docs-supported-functions)."""
    labels = [
        *TRANSLATIONS["config"]["step"]["user"]["data"].values(),
        *TRANSLATIONS["options"]["step"]["init"]["data"].values(),
    ]
    for label in labels:
        assert f"**{label}**" in README, label
    for platform, entities in TRANSLATIONS["entity"].items():
        for key, entity in entities.items():
            assert entity["name"] in README, (platform, key)


def test_readme_links_resolve() -> None:
    """In-page links name a heading; relative links name a file of the
    repository (screenshots and blueprints come from other parts of the build)."""
    anchors = {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", README, flags=re.MULTILINE)
    }
    for anchor in re.findall(r"\]\(#([^)]+)\)", README):
        assert anchor in anchors, anchor
    for target in re.findall(r"\]\((?!https?://|#)([^)]+)\)", README):
        if target.startswith(("docs/images/", "blueprints/")):
            continue
        assert (ROOT / target).exists(), target


def _cards(node: Any) -> list[dict[str, Any]]:
    """Every card of the dashboard, nested ones included."""
    if isinstance(node, list):
        return [card for item in node for card in _cards(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if "type" in node else []
    for key in ("views", "sections", "cards"):
        found += _cards(node.get(key, []))
    return found


def _entity_ids(node: Any) -> set[str]:
    """Every entity id the dashboard names."""
    if isinstance(node, list):
        return {entity_id for item in node for entity_id in _entity_ids(item)}
    if isinstance(node, dict):
        return {e for value in node.values() for e in _entity_ids(value)}
    if isinstance(node, str) and re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", node):
        return {node}
    return set()


def _as_radarr(entity_id: str) -> str:
    """The same entity of the instance named "Radarr"."""
    domain, object_id = entity_id.split(".")
    prefix = next(p for p in DEMO_PREFIXES if object_id.startswith(p))
    return f"{domain}.radarr_{object_id.removeprefix(prefix)}"


def _failing(*ids: int) -> Any:
    async def test_indexer(indexer: Indexer) -> IndexerTestResult:
        if indexer.id in ids:
            return IndexerTestResult(
                indexer.id, False, (ValidationFailure("Invalid API Key"),)
            )
        return IndexerTestResult(indexer.id, True, response_time=0.25)

    return test_indexer


async def test_dashboard_names_real_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
    entity_registry: er.EntityRegistry,
) -> None:
    """The example dashboard uses the board card and built-in cards, and its
    entity ids are the ones the integration creates for an instance."""
    types = {card["type"] for card in _cards(DASHBOARD)}
    assert "custom:ai-arr-indexer-board" in types
    assert {"tile", "entities", "history-graph", "logbook", "markdown"} <= types

    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    ids = _entity_ids(DASHBOARD)
    assert {"binary_sensor.radarr_4k_health", "sensor.sonarr_failing_indexers"} <= ids
    for entity_id in ids:
        if entity_id == "calendar.prowlarr_vip_expiry":
            # Prowlarr's only; named like the others.
            name = TRANSLATIONS["entity"]["calendar"]["vip_expiry"]["name"]
            assert entity_id == f"calendar.prowlarr_{slugify(name)}"
            continue
        assert entity_registry.async_get(_as_radarr(entity_id)), entity_id


async def test_dashboard_lists_failing_indexers(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_arr_client: MagicMock,
) -> None:
    """The markdown card's template lists each failing indexer with its
    instance and cause, and says so when none fails."""
    (markdown,) = [c for c in _cards(DASHBOARD) if c["type"] == "markdown"]
    mock_arr_client.test_indexer.side_effect = _failing(3)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    rendered = Template(markdown["content"], hass).async_render(parse_result=False)
    lines = [line.strip() for line in rendered.splitlines() if line.strip()]
    assert lines == ["- **GeekNZB** on Radarr: auth"]

    mock_arr_client.test_indexer.side_effect = _failing()
    await mock_config_entry.runtime_data.health.async_check_now()
    await hass.async_block_till_done()
    rendered = Template(markdown["content"], hass).async_render(parse_result=False)
    assert rendered.strip() == "Every indexer passes."
