"""The LLM API: its registration and every tool, called the way conversation
agents and the MCP server call them (``llm.async_get_api`` with an
``LLMContext``), against the simulated stack, as an administrator and not."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.const import DOMAIN, PUSH_DEBOUNCE
from custom_components.ai_arr_control.llm_api import (
    API_PROMPT,
    ERROR_CODES,
    LLM_API_ID,
    LLM_API_NAME,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import llm

from .common import next_health_check, setup_entries, state_of, writes

pytestmark = [
    pytest.mark.freeze_time("2026-11-28 12:00:00+00:00"),
    pytest.mark.usefixtures("socket_enabled"),
]

ALL = ("prowlarr", "radarr", "radarr4k", "sonarr")
TOOLS = {
    "list_indexers",
    "indexer_story",
    "test_indexer",
    "heal_now",
    "set_indexer_enabled",
}
# Secrets of the default simulated stack: the Cardigann indexers' settings.
SECRETS = ("hunter2-haven", "hunter2-vault", "TL-SECRET", "AITHER-SECRET")
ALL_FLAGS_OFF = {
    "enableRss": False,
    "enableAutomaticSearch": False,
    "enableInteractiveSearch": False,
}
ALL_FLAGS_ON = dict.fromkeys(ALL_FLAGS_OFF, True)

README = Path(__file__).parent.parent / "README.md"
README_SECTION = "## Ask your stack (LLM API and MCP)"
# An example in that section: the call shown, then the answer shown.
README_CALL = re.compile(
    r"calls\s+`(\w+)`\s+with\s+`(\{.*?\})`\s+and\s+reads[^:]*:\n\n```json\n(.*?)\n```",
    re.DOTALL,
)


def readme_section() -> str:
    """The README's section about the LLM API."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(README_SECTION) :]
    return section[: section.index("\n## ")]


def readme_examples() -> list[tuple[str, dict[str, Any], Any]]:
    """The tool calls the README shows, in order, with the answers it shows."""
    return [
        (tool, json.loads(args), json.loads(answer))
        for tool, args, answer in README_CALL.findall(readme_section())
    ]


def _context(user: MockUser | None, language: str = "en") -> llm.LLMContext:
    return llm.LLMContext(
        platform="test",
        context=Context(user_id=user.id if user else None),
        language=language,
        assistant="conversation",
        device_id=None,
    )


async def _call(
    hass: HomeAssistant, user: MockUser | None, tool: str, **args: Any
) -> llm.ToolResult:
    """Call a tool as a conversation agent does."""
    api = await llm.async_get_api(hass, LLM_API_ID, _context(user))
    return await api.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))


async def _ok(
    hass: HomeAssistant, user: MockUser | None, tool: str, **args: Any
) -> dict[str, Any]:
    result = await _call(hass, user, tool, **args)
    assert not result.error, result.data
    return dict(result.data)


async def _error(
    hass: HomeAssistant, user: MockUser | None, tool: str, **args: Any
) -> dict[str, Any]:
    result = await _call(hass, user, tool, **args)
    assert result.error, result.data
    data = dict(result.data)
    assert isinstance(data["message"], str)
    assert data["message"]
    return data


def _row(listing: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = [row for row in listing["indexers"] if row["indexer"] == name]
    assert len(rows) == 1, [row["indexer"] for row in listing["indexers"]]
    cells: list[dict[str, Any]] = rows[0]["in"]
    return cells


def _names(listing: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (row["indexer"], cell["instance"])
        for row in listing["indexers"]
        for cell in row["in"]
    ]


async def _settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the checks requested at set-up run: the copies of the Prowlarr take
    its verdict within seconds."""
    freezer.tick(timedelta(seconds=PUSH_DEBOUNCE + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def stack(
    hass: HomeAssistant, arr_simulator: ArrSimulator, freezer: FrozenDateTimeFactory
) -> dict[str, MockConfigEntry]:
    """The four simulated instances, set up and settled."""
    entries = dict(
        zip(
            ALL,
            await setup_entries(hass, (arr_simulator.instance(n) for n in ALL)),
            strict=True,
        )
    )
    await _settle(hass, freezer)
    for instance in arr_simulator.instances.values():
        instance.clear_requests()
    return entries


# -- the API -----------------------------------------------------------------------


async def test_registered_while_an_instance_is_loaded(
    hass: HomeAssistant, arr_simulator: ArrSimulator, hass_read_only_user: MockUser
) -> None:
    """The API exists from the first loaded instance to the last, with its
    prompt and tools; every tool's parameters convert to the JSON schema that
    the agents and the MCP server send to models."""

    def registered() -> bool:
        return LLM_API_ID in {api.id for api in llm.async_get_apis(hass)}

    assert not registered()
    radarr, sonarr = await setup_entries(
        hass, (arr_simulator.instance(n) for n in ("radarr", "sonarr"))
    )
    assert registered()
    (api,) = [a for a in llm.async_get_apis(hass) if a.id == LLM_API_ID]
    assert api.name == LLM_API_NAME == "AI Arr Control"

    instance = await llm.async_get_api(hass, LLM_API_ID, _context(hass_read_only_user))
    assert instance.api_prompt == API_PROMPT
    assert {tool.name for tool in instance.tools} == TOOLS
    for tool in instance.tools:
        assert tool.integration == DOMAIN
        assert tool.description
        schema = probatio.to_openapi(
            tool.parameters, custom_serializer=instance.custom_serializer
        )
        assert schema["type"] == "object"
        read_only = tool.name in ("list_indexers", "indexer_story")
        assert tool.annotations.read_only is read_only
        assert tool.annotations.destructive is (
            tool.name in ("heal_now", "set_indexer_enabled")
        )
    story = next(tool for tool in instance.tools if tool.name == "indexer_story")
    properties = probatio.to_openapi(
        story.parameters, custom_serializer=instance.custom_serializer
    )["properties"]
    assert properties["days"]["enum"] == [7, 30]
    assert properties["indexer"]["type"] == "string"

    await hass.config_entries.async_unload(radarr.entry_id)
    assert registered()
    await hass.config_entries.async_unload(sonarr.entry_id)
    assert not registered()
    await hass.config_entries.async_setup(radarr.entry_id)
    await hass.async_block_till_done()
    assert registered()


# -- list_indexers -------------------------------------------------------------


@pytest.mark.usefixtures("stack")
async def test_list_indexers_the_whole_stack(
    hass: HomeAssistant, hass_read_only_user: MockUser
) -> None:
    """Every indexer once, a Prowlarr indexer with its copies; where a copy
    comes from and where a change lasts; who disabled what; queries left; no
    secret. Readable by any user."""
    listing = await _ok(hass, hass_read_only_user, "list_indexers")
    assert listing["instances"] == [
        {"instance": "Prowlarr", "app": "Prowlarr", "reachable": True},
        {"instance": "Radarr", "app": "Radarr", "reachable": True},
        {"instance": "Radarr 4K", "app": "Radarr", "reachable": True},
        {"instance": "Sonarr", "app": "Sonarr", "reachable": True},
    ]
    assert listing["count"] == len(listing["indexers"])

    leech = _row(listing, "TorrentLeech")
    assert [cell["instance"] for cell in leech] == [
        "Prowlarr",
        "Radarr",
        "Radarr 4K",
        "Sonarr",
    ]
    assert leech[0] == {
        "instance": "Prowlarr",
        "id": 8,
        "status": "passing",
        "last_success": "2026-11-28T04:00:00-08:00",
    }
    # A Full Sync copy is changed in Prowlarr; an Add-Only one in its app.
    assert leech[1]["synced_from"] == {
        "instance": "Prowlarr",
        "indexer": "TorrentLeech",
        "id": 8,
        "sync_level": "fullSync",
    }
    assert leech[1]["change_in"] == {
        "instance": "Prowlarr",
        "indexer": "TorrentLeech",
        "id": 8,
    }
    assert leech[2]["synced_from"]["sync_level"] == "addOnly"
    assert "change_in" not in leech[2]
    # Copies take Prowlarr's verdict, and keep no name of their own here.
    flaky = _row(listing, "FlakyTracker")
    assert {cell["status"] for cell in flaky} == {"failing"}
    assert {cell["cause"] for cell in flaky} == {"cloudflare"}
    assert all("indexer" not in cell for cell in flaky)

    (retired,) = _row(listing, "RetiredNZB")
    assert (retired["status"], retired["disabled_by"]) == ("user_disabled", "user")
    (prime, *_) = _row(listing, "UsenetPrime")
    assert prime["queries_left"] == {"left": 100, "limit": 100}
    # The apps' own indexers of the same name are separate rows.
    geek = [row for row in listing["indexers"] if row["indexer"] == "GeekNZB"]
    assert sorted(cell["instance"] for row in geek for cell in row["in"]) == [
        "Radarr",
        "Radarr 4K",
        "Sonarr",
    ]
    dumped = json.dumps(listing)
    for secret in SECRETS:
        assert secret not in dumped


@pytest.mark.usefixtures("stack")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            {"status": "problem"},
            [
                ("AniTorrentHub", "Sonarr"),
                ("FlakyTracker", "Prowlarr"),
                ("FlakyTracker", "Radarr"),
                ("FlakyTracker", "Radarr 4K"),
                ("FlakyTracker", "Sonarr"),
                ("GeekNZB", "Radarr 4K"),
            ],
        ),
        (
            {"status": "user_disabled"},
            [
                ("LegacyIndexer", "Sonarr"),
                ("OldTracker", "Prowlarr"),
                ("RetiredNZB", "Radarr"),
                ("TipsySlug", "Radarr 4K"),
            ],
        ),
        ({"cause": "config"}, [("AniTorrentHub", "Sonarr")]),
        ({"cause": "network"}, [("GeekNZB", "Radarr 4K")]),
        (
            {"app": "Radarr", "status": "failing"},
            [
                ("FlakyTracker", "Radarr"),
                ("FlakyTracker", "Radarr 4K"),
                ("GeekNZB", "Radarr 4K"),
            ],
        ),
        (
            {"instance": "sonarr", "cause": "cloudflare"},
            [("FlakyTracker", "Sonarr")],
        ),
        ({"app": "Prowlarr", "status": "failing"}, [("FlakyTracker", "Prowlarr")]),
        ({"status": "rate_limited"}, []),
    ],
)
async def test_list_indexers_filters(
    hass: HomeAssistant,
    hass_read_only_user: MockUser,
    args: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    """Filters by instance (any case), app, status (or any problem) and cause
    combine."""
    listing = await _ok(hass, hass_read_only_user, "list_indexers", **args)
    assert _names(listing) == expected
    assert listing["count"] == len({name for name, _ in expected})


@pytest.mark.usefixtures("stack")
async def test_list_indexers_argument_errors(
    hass: HomeAssistant, hass_read_only_user: MockUser
) -> None:
    """An unknown instance lists the instances; an unknown status is refused
    before anything is read."""
    unknown = await _error(
        hass, hass_read_only_user, "list_indexers", instance="Lidarr"
    )
    assert unknown["error"] == "unknown_instance"
    assert unknown["instances"] == ["Prowlarr", "Radarr", "Radarr 4K", "Sonarr"]
    invalid = await _error(hass, hass_read_only_user, "list_indexers", status="down")
    assert invalid["error"] == "invalid_arguments"
    assert "status" in invalid["message"]


async def test_unreachable_instances(
    hass: HomeAssistant,
    stack: dict[str, MockConfigEntry],
    arr_simulator: ArrSimulator,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """An instance that stopped answering shows as unreachable, its indexers
    with what was last known; acting on it says so; an unloaded one too."""
    await arr_simulator.instance("sonarr").set_down(True)
    await next_health_check(hass, freezer)
    listing = await _ok(hass, hass_admin_user, "list_indexers", instance="Sonarr")
    assert listing["instances"][3] == {
        "instance": "Sonarr",
        "app": "Sonarr",
        "reachable": False,
    }
    assert all(
        cell["instance_reachable"] is False
        for row in listing["indexers"]
        for cell in row["in"]
    )
    tested = await _error(
        hass, hass_admin_user, "test_indexer", indexer="GeekNZB", instance="Sonarr"
    )
    assert tested["error"] == "instance_unreachable"
    assert "Sonarr could not be reached" in tested["message"]
    switched = await _error(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="LegacyIndexer",
        instance="Sonarr",
        enabled=True,
        confirm=True,
    )
    assert switched["error"] == "instance_unreachable"

    await hass.config_entries.async_unload(stack["radarr4k"].entry_id)
    unloaded = await _error(
        hass, hass_admin_user, "indexer_story", indexer="GeekNZB", instance="Radarr 4K"
    )
    assert unloaded["error"] == "instance_unreachable"
    assert unloaded["message"] == (
        "Radarr 4K is not loaded; check that the Arr app is reachable"
    )
    listing = await _ok(hass, hass_admin_user, "list_indexers")
    assert {"instance": "Radarr 4K", "app": "Radarr", "reachable": False} in listing[
        "instances"
    ]
    assert "Radarr 4K" not in {instance for _, instance in _names(listing)}


# -- finding an indexer ------------------------------------------------------------


@pytest.mark.usefixtures("stack")
async def test_finding_an_indexer(
    hass: HomeAssistant, hass_read_only_user: MockUser
) -> None:
    """By name in any case, with or without the instance, by id; a Prowlarr
    indexer's name means the Prowlarr one; several others are listed; an
    unknown name gets close names."""

    async def story(**args: Any) -> tuple[str, str, int]:
        found = await _ok(hass, hass_read_only_user, "indexer_story", **args)
        return found["indexer"], found["instance"], found["id"]

    assert await story(indexer="geeknzb", instance="Radarr 4K") == (
        "GeekNZB",
        "Radarr 4K",
        1,
    )
    assert await story(indexer="1", instance="sonarr") == ("GeekNZB", "Sonarr", 1)
    assert await story(indexer="TorrentLeech") == ("TorrentLeech", "Prowlarr", 8)
    assert await story(indexer="torrentleech (prowlarr)") == (
        "TorrentLeech",
        "Prowlarr",
        8,
    )
    assert await story(indexer="TorrentLeech", instance="Radarr") == (
        "TorrentLeech (Prowlarr)",
        "Radarr",
        11,
    )
    assert await story(indexer="Legacy") == ("LegacyIndexer", "Sonarr", 4)

    ambiguous = await _error(
        hass, hass_read_only_user, "indexer_story", indexer="GeekNZB"
    )
    assert ambiguous["error"] == "ambiguous_indexer"
    assert sorted(
        (c["indexer"], c["instance"], c["id"]) for c in ambiguous["candidates"]
    ) == [
        ("GeekNZB", "Radarr", 1),
        ("GeekNZB", "Radarr 4K", 1),
        ("GeekNZB", "Sonarr", 1),
    ]
    by_id = await _error(hass, hass_read_only_user, "indexer_story", indexer="3")
    assert by_id["error"] == "ambiguous_indexer"

    unknown = await _error(
        hass, hass_read_only_user, "indexer_story", indexer="GeekNZV"
    )
    assert unknown["error"] == "unknown_indexer"
    assert unknown["did_you_mean"] == ["GeekNZB"]
    assert unknown["message"] == (
        'No indexer matches "GeekNZV". List the indexers to see their names'
    )
    nothing = await _error(hass, hass_read_only_user, "indexer_story", indexer="zzz")
    assert "did_you_mean" not in nothing
    instance = await _error(
        hass, hass_read_only_user, "indexer_story", indexer="GeekNZB", instance="Lidarr"
    )
    assert instance["error"] == "unknown_instance"
    days = await _error(
        hass, hass_read_only_user, "indexer_story", indexer="TorrentLeech", days=14
    )
    assert days["error"] == "invalid_arguments"


# -- indexer_story without the recorder: now, and what to do -------------------------


@pytest.mark.usefixtures("stack")
async def test_story_what_to_do(
    hass: HomeAssistant, hass_read_only_user: MockUser
) -> None:
    """What to do comes from the cause's policy and the repairs issue's own
    text; a copy points at Prowlarr and Prowlarr's advice; a setting to fix is
    never disabled for. Without the recorder there is no history."""
    flaky = await _ok(
        hass, hass_read_only_user, "indexer_story", indexer="FlakyTracker"
    )
    assert (flaky["instance"], flaky["app"], flaky["status"], flaky["cause"]) == (
        "Prowlarr",
        "Prowlarr",
        "failing",
        "cloudflare",
    )
    assert flaky["copies"] == [
        {"instance": "Radarr", "id": 9, "status": "failing", "sync_level": "fullSync"},
        {
            "instance": "Radarr 4K",
            "id": 7,
            "status": "failing",
            "sync_level": "addOnly",
        },
        {"instance": "Sonarr", "id": 8, "status": "failing", "sync_level": "fullSync"},
    ]
    assert flaky["history"] == {"days": 7, "available": False}
    what = flaky["what_to_do"]
    assert what["cause"] == "cloudflare"
    assert what["auto_heal_disables_for_this_cause"] is True
    assert what["counts_toward_outage"] is False
    (repair,) = what["repairs"]
    assert repair["title"] == "FlakyTracker on Prowlarr is blocked by Cloudflare"
    assert "add a FlareSolverr or Byparr indexer proxy" in repair["description"]

    copy = await _ok(
        hass,
        hass_read_only_user,
        "indexer_story",
        indexer="FlakyTracker",
        instance="Radarr",
    )
    assert copy["indexer"] == "FlakyTracker (Prowlarr)"
    assert copy["what_to_do"]["change_in"] == {
        "instance": "Prowlarr",
        "indexer": "FlakyTracker",
        "id": 6,
    }
    assert copy["what_to_do"]["repairs"] == [repair]

    config = await _ok(
        hass, hass_read_only_user, "indexer_story", indexer="AniTorrentHub"
    )
    assert config["what_to_do"]["auto_heal_disables_for_this_cause"] is False
    assert config["what_to_do"]["repairs"][0]["title"] == (
        "AniTorrentHub on Sonarr: a setting to fix"
    )

    passing = await _ok(hass, hass_read_only_user, "indexer_story", indexer="NZBSeeker")
    assert "what_to_do" not in passing


async def test_story_after_auto_heal(
    hass: HomeAssistant,
    stack: dict[str, MockConfigEntry],
    hass_admin_user: MockUser,
) -> None:
    """Disabled by auto-heal: who did it, since when, and the open repairs
    issues (the indexer's own and the one listing what auto-heal disabled)."""
    await _ok(hass, hass_admin_user, "heal_now", instance="Prowlarr", confirm=True)
    story = await _ok(hass, hass_admin_user, "indexer_story", indexer="FlakyTracker")
    assert story["status"] == "auto_disabled"
    assert story["disabled_by"] == "auto_heal"
    assert story["since"] == "2026-11-28T04:00:03-08:00"
    what = story["what_to_do"]
    assert what["disabled_by"] == "auto_heal"
    repairs = {repair["title"]: repair for repair in what["repairs"]}
    assert set(repairs) == {
        "FlakyTracker on Prowlarr is blocked by Cloudflare",
        "Indexers disabled by auto-heal on Prowlarr",
    }
    # Settings → Repairs re-enables them: the fix's own text.
    listing = repairs["Indexers disabled by auto-heal on Prowlarr"]
    assert listing["fixable"] is True
    assert "Re-enable them all now" in listing["description"]
    assert "- FlakyTracker: Unable to access" in listing["description"]


# -- test_indexer ----------------------------------------------------------------------


async def test_test_indexer(
    hass: HomeAssistant,
    stack: dict[str, MockConfigEntry],
    arr_simulator: ArrSimulator,
    hass_read_only_user: MockUser,
) -> None:
    """Any user may test an indexer: exactly that one is tested, and the
    answer is its new status; a Full Sync copy takes Prowlarr's verdict
    without a test in the app."""
    radarr = arr_simulator.instance("radarr")
    radarr.set_indexer_fault(1, fail="Invalid API Key")
    tested = await _ok(
        hass, hass_read_only_user, "test_indexer", indexer="GeekNZB", instance="Radarr"
    )
    assert tested == {
        "indexer": "GeekNZB",
        "instance": "Radarr",
        "id": 1,
        "status": "failing",
        "cause": "auth",
        "message": "Invalid API Key",
        "since": "2026-11-28T04:00:03-08:00",
        "last_success": "2026-11-28T04:00:00-08:00",
        "checked_by": "test",
    }
    assert [r.body["id"] for r in radarr.requests if r.path.endswith("/test")] == [1]
    assert state_of(hass, "sensor.radarr_geeknzb_state") == "failing"

    radarr.clear_requests()
    copy = await _ok(
        hass,
        hass_read_only_user,
        "test_indexer",
        indexer="TorrentLeech",
        instance="Radarr",
    )
    assert (copy["status"], copy["checked_by"]) == ("passing", "source")
    assert not [r for r in radarr.requests if r.path.endswith("/test")]


# -- the changing tools: an administrator, a preview, then confirm -----------------


@pytest.mark.usefixtures("stack")
@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("heal_now", {"instance": "Prowlarr"}),
        ("heal_now", {"instance": "Prowlarr", "confirm": True}),
        ("set_indexer_enabled", {"indexer": "RetiredNZB", "enabled": True}),
        (
            "set_indexer_enabled",
            {"indexer": "RetiredNZB", "enabled": True, "confirm": True},
        ),
    ],
)
@pytest.mark.parametrize("user", ["read_only", "nobody"])
async def test_changing_tools_need_an_administrator(
    hass: HomeAssistant,
    arr_simulator: ArrSimulator,
    hass_read_only_user: MockUser,
    tool: str,
    args: dict[str, Any],
    user: str,
) -> None:
    """Neither a user who is no administrator nor a request without a user (a
    voice satellite) may heal or switch, not even a preview: nothing is
    tested or written."""
    refused = await _error(
        hass, hass_read_only_user if user == "read_only" else None, tool, **args
    )
    assert refused == {
        "error": "admin_required",
        "message": (
            "Only a Home Assistant administrator can run auto-heal or switch "
            "indexers through an assistant"
        ),
    }
    for instance in arr_simulator.instances.values():
        assert not [r for r in instance.requests if r.method != "GET"]


@pytest.mark.usefixtures("stack")
async def test_heal_now_preview_then_confirm(
    hass: HomeAssistant, arr_simulator: ArrSimulator, hass_admin_user: MockUser
) -> None:
    """Without confirm, a dry run that writes nothing says what auto-heal would
    do; with it, exactly that is done."""
    prowlarr = arr_simulator.instance("prowlarr")
    which = await _error(hass, hass_admin_user, "heal_now")
    assert which["error"] == "instance_required"
    assert which["instances"] == ["Prowlarr", "Radarr", "Radarr 4K", "Sonarr"]

    preview = await _ok(hass, hass_admin_user, "heal_now", instance="prowlarr")
    assert (preview["instance"], preview["preview"], preview["dry_run"]) == (
        "Prowlarr",
        True,
        True,
    )
    assert preview["decisions"] == [
        {
            "indexer_id": 6,
            "indexer": "FlakyTracker",
            "action": "disable",
            "reason": (
                "Unable to access flakytracker.example-tracker.test, blocked by "
                "CloudFlare Protection."
            ),
            "cause": "cloudflare",
        }
    ]
    assert writes(prowlarr) == []
    assert state_of(hass, "sensor.prowlarr_flakytracker_state") == "failing"

    done = await _ok(
        hass, hass_admin_user, "heal_now", instance="Prowlarr", confirm=True
    )
    assert (done["preview"], done["dry_run"]) == (False, False)
    assert [d["indexer"] for d in done["decisions"]] == ["FlakyTracker"]
    assert writes(prowlarr) == [("/api/v1/indexer/bulk", {"ids": [6], "enable": False})]
    assert state_of(hass, "sensor.prowlarr_flakytracker_state") == "auto_disabled"


async def test_heal_now_confirmed_keeps_the_dry_run_option(
    hass: HomeAssistant, arr_simulator: ArrSimulator, hass_admin_user: MockUser
) -> None:
    """An instance set to Dry run stays one: confirming changes nothing there
    either, and says so. With one instance, it needs no name."""
    prowlarr = arr_simulator.instance("prowlarr")
    await setup_entries(hass, [prowlarr], dry_run=True)
    prowlarr.clear_requests()
    done = await _ok(hass, hass_admin_user, "heal_now", confirm=True)
    assert (done["instance"], done["preview"], done["dry_run"]) == (
        "Prowlarr",
        False,
        True,
    )
    assert [d["indexer"] for d in done["decisions"]] == ["FlakyTracker"]
    assert writes(prowlarr) == []


@pytest.mark.usefixtures("stack")
async def test_set_indexer_enabled_preview_then_confirm(
    hass: HomeAssistant, arr_simulator: ArrSimulator, hass_admin_user: MockUser
) -> None:
    """Re-enabling an indexer the user turned off: the preview shows the flags
    it has and would get and writes nothing; confirmed, the app receives
    exactly that write. Off again the same way."""
    radarr = arr_simulator.instance("radarr")
    preview = await _ok(
        hass, hass_admin_user, "set_indexer_enabled", indexer="RetiredNZB", enabled=True
    )
    assert preview == {
        "preview": True,
        "indexer": "RetiredNZB",
        "instance": "Radarr",
        "id": 5,
        "status": "user_disabled",
        "enabled_now": False,
        "flags_now": ALL_FLAGS_OFF,
        "enabled": True,
        "flags_after": ALL_FLAGS_ON,
        "changes": True,
    }
    assert writes(radarr) == []

    done = await _ok(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="RetiredNZB",
        enabled=True,
        confirm=True,
    )
    assert done == {
        "preview": False,
        "indexer": "RetiredNZB",
        "instance": "Radarr",
        "id": 5,
        "status": "untested",
        "enabled": True,
        "flags": ALL_FLAGS_ON,
    }
    assert writes(radarr) == [("/api/v3/indexer/bulk", {"ids": [5], **ALL_FLAGS_ON})]
    assert state_of(hass, "switch.radarr_retirednzb_enabled") == "on"

    radarr.clear_requests()
    off = await _ok(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="RetiredNZB",
        enabled=False,
    )
    assert (off["flags_now"], off["flags_after"]) == (ALL_FLAGS_ON, ALL_FLAGS_OFF)
    done = await _ok(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="RetiredNZB",
        enabled=False,
        confirm=True,
    )
    assert (done["status"], done["flags"]) == ("user_disabled", ALL_FLAGS_OFF)
    assert writes(radarr) == [("/api/v3/indexer/bulk", {"ids": [5], **ALL_FLAGS_OFF})]


@pytest.mark.usefixtures("stack")
async def test_set_indexer_enabled_where_full_sync_decides(
    hass: HomeAssistant, arr_simulator: ArrSimulator, hass_admin_user: MockUser
) -> None:
    """A Full Sync copy: the preview says the switch is refused and where to
    act; confirmed, it is refused and nothing is written. The Prowlarr
    indexer's preview names the copies that follow it."""
    refused = await _ok(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="TorrentLeech",
        instance="Sonarr",
        enabled=False,
    )
    change_in = {"instance": "Prowlarr", "indexer": "TorrentLeech", "id": 8}
    assert refused["refused"]["error"] == "change_would_not_last"
    assert refused["refused"]["change_in"] == change_in
    assert "kept in line with Prowlarr by Full Sync" in refused["refused"]["message"]

    confirmed = await _error(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="TorrentLeech",
        instance="Sonarr",
        enabled=False,
        confirm=True,
    )
    assert confirmed["error"] == "change_would_not_last"
    assert confirmed["change_in"] == change_in
    for instance in arr_simulator.instances.values():
        assert writes(instance) == []

    source = await _ok(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="TorrentLeech",
        enabled=False,
    )
    assert (source["instance"], source["flags_after"]) == (
        "Prowlarr",
        {"enable": False},
    )
    assert source["copies_following"] == ["Radarr", "Sonarr"]
    assert "refused" not in source


async def test_copies_of_a_prowlarr_not_added(
    hass: HomeAssistant, arr_simulator: ArrSimulator, hass_admin_user: MockUser
) -> None:
    """Radarr without its Prowlarr in Home Assistant: its copies say the change
    belongs in a Prowlarr not added here, and the switch is refused."""
    radarr = arr_simulator.instance("radarr")
    await setup_entries(hass, [radarr])
    story = await _ok(hass, hass_admin_user, "indexer_story", indexer="TorrentLeech")
    assert story["indexer"] == "TorrentLeech (Prowlarr)"
    assert "synced_from" not in story
    unknown = {"instance": "Prowlarr", "added_to_home_assistant": False}
    assert story["change_in"] == unknown
    preview = await _ok(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="TorrentLeech",
        enabled=False,
    )
    assert preview["refused"]["error"] == "change_would_not_last"
    assert preview["refused"]["change_in"] == unknown
    assert "add that Prowlarr to AI Arr Control" in preview["refused"]["message"]


async def test_a_refused_api_key(
    hass: HomeAssistant,
    stack: dict[str, MockConfigEntry],
    arr_simulator: ArrSimulator,
    hass_admin_user: MockUser,
) -> None:
    """The app refuses the key in the middle of a change: the model hears so,
    and Home Assistant asks for the new key."""
    arr_simulator.instance("radarr").set_fault("unauthorized")
    refused = await _error(
        hass,
        hass_admin_user,
        "set_indexer_enabled",
        indexer="RetiredNZB",
        enabled=True,
        confirm=True,
    )
    assert refused == {
        "error": "api_key_refused",
        "message": "The Arr instance refused the API key",
    }
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert flows[0]["context"]["entry_id"] == stack["radarr"].entry_id


# -- errors are results ------------------------------------------------------------


@pytest.mark.usefixtures("stack")
async def test_unexpected_errors_are_results(
    hass: HomeAssistant, hass_read_only_user: MockUser, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug is logged with its traceback; the model gets an error it can
    report, not the traceback."""
    with patch(
        "custom_components.ai_arr_control.llm_api.build_board",
        side_effect=RuntimeError("boom"),
    ):
        failed = await _error(hass, hass_read_only_user, "list_indexers")
    assert failed == {
        "error": "internal_error",
        "message": "Unexpected error; see the Home Assistant log",
    }
    assert "Unexpected error in the LLM tool list_indexers" in caplog.text
    assert "boom" not in json.dumps(failed)


# -- the README --------------------------------------------------------------------


def test_readme_describes_the_api() -> None:
    """The README names every tool, every error code and the prompt as built."""
    section = readme_section()
    for tool in TOOLS:
        assert f"`{tool}`" in section, tool
    codes = {
        *ERROR_CODES.values(),
        "unknown_instance",
        "ambiguous_indexer",
        "instance_required",
        "admin_required",
        "action_failed",
        "invalid_arguments",
        "internal_error",
    }
    for code in codes:
        assert f"`{code}`" in section, code
    for line in API_PROMPT.splitlines():
        assert f"> {line}" in section, line


@pytest.mark.usefixtures("stack")
async def test_readme_examples(hass: HomeAssistant, hass_admin_user: MockUser) -> None:
    """The README's examples are what the tools answer (in UTC, as the demo's
    Home Assistant runs); the story's is checked from the recorder."""
    await hass.config.async_set_time_zone("UTC")
    examples = [e for e in readme_examples() if e[0] != "indexer_story"]
    assert [tool for tool, _, _ in examples] == [
        "list_indexers",
        "set_indexer_enabled",
        "set_indexer_enabled",
    ]
    for tool, args, shown in examples:
        answer = await _ok(hass, hass_admin_user, tool, **args)
        assert answer == shown, json.dumps(answer, indent=2)
