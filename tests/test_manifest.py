"""The integration's metadata is what Home Assistant and HACS expect."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from PIL import Image

from homeassistant.util.yaml import load_yaml_dict

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "ai_arr_control"


def test_manifest() -> None:
    """Keys in hassfest's order; what HACS requires; nothing to install."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == INTEGRATION.name
    for key in ("version", "documentation", "issue_tracker", "codeowners"):
        assert manifest[key]
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "local_polling"
    assert manifest["integration_type"] == "service"
    assert manifest["requirements"] == []


def test_hacs_json() -> None:
    """Only keys HACS's schema allows, with the minimum Home Assistant version."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"] == "AI Arr Control"
    assert hacs["homeassistant"] == "2026.10.0"
    allowed = {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "hacs",
        "persistent_directory",
        "render_readme",
    }
    assert set(hacs) <= allowed


def test_brand_icon() -> None:
    """A 256x256 PNG icon (and its hDPI twin) in the local brand folder."""
    with Image.open(INTEGRATION / "brand" / "icon.png") as icon:
        assert (icon.format, icon.size) == ("PNG", (256, 256))
    with Image.open(INTEGRATION / "brand" / "icon@2x.png") as icon:
        assert (icon.format, icon.size) == ("PNG", (512, 512))


def _strings(node: object, path: str = "") -> list[tuple[str, str]]:
    """Every string of a translations file, with its path."""
    if isinstance(node, dict):
        return [
            item
            for key, value in node.items()
            for item in _strings(value, f"{path}.{key}")
        ]
    return [(path, node)] if isinstance(node, str) else []


def test_translations_pass_hassfest_rules() -> None:
    """hassfest refuses URLs in strings (they go in description placeholders) and
    a fixable issue with a description of its own (its fix flow has one)."""
    translations = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    assert [
        p for p, s in _strings(translations) if "http://" in s or "https://" in s
    ] == []
    for key, issue in translations["issues"].items():
        assert not ("fix_flow" in issue and "description" in issue), key


# Every rule of the Integration Quality Scale, by tier, as hassfest lists them
# (ALL_RULES in home-assistant/core script/hassfest/quality_scale.py).
QUALITY_SCALE_RULES = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}


def test_quality_scale_lists_every_rule_once() -> None:
    """quality_scale.yaml has every rule exactly once, in hassfest's schema:
    ``done``, or a mapping with a ``status`` (done or exempt) and a ``comment``
    (which an exemption must have)."""
    assert sum(len(rules) for rules in QUALITY_SCALE_RULES.values()) == 54
    path = INTEGRATION / "quality_scale.yaml"
    # A key given twice would silently keep the last: count the rule lines.
    listed = re.findall(r"^  ([a-z-]+):", path.read_text(), flags=re.MULTILINE)
    assert sorted(listed) == sorted(set(listed))
    data = load_yaml_dict(path)
    assert list(data) == ["rules"]
    rules: dict[str, Any] = data["rules"]
    expected = [rule for tier in QUALITY_SCALE_RULES.values() for rule in tier]
    assert sorted(rules) == sorted(expected)
    assert sorted(listed) == sorted(expected)
    for rule, value in rules.items():
        if isinstance(value, str):
            assert value == "done", rule
            continue
        assert set(value) == {"status", "comment"}, rule
        # Every rule met, or honestly exempt: none left to do.
        assert value["status"] in ("done", "exempt"), rule
        assert isinstance(value["comment"], str), rule
        assert value["comment"].strip(), rule
