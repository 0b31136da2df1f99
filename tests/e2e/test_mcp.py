"""End to end: an external assistant asks the stack through Home Assistant's
MCP server, as Claude Desktop or any MCP client would.

Home Assistant's own ``mcp_server`` is set up through its config flow and
options over REST with only this integration's LLM API exposed; an MCP client
(the ``mcp`` package, streamable HTTP) connects with a long-lived token. It
touches only Radarr's RetiredNZB (id 5, turned off by the user in the seed),
and leaves it off again, so that the other tests, in any order, find the stack
as seeded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
import json
from typing import Any

import aiohttp
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
import mcp.types

from devtools.hass import HomeAssistantClient

from .conftest import Stack

API_ID = "ai_arr_control"
TOOLS = {
    "list_indexers",
    "indexer_story",
    "test_indexer",
    "heal_now",
    "set_indexer_enabled",
}
# What the seed breaks (arr_simulator/default.toml): the indexer, where, why.
SEEDED_FAILURES = {
    ("FlakyTracker", "Prowlarr", "cloudflare"),
    ("GeekNZB", "Radarr 4K", "network"),
    ("AniTorrentHub", "Sonarr", "config"),
}
RETIRED = {"indexer": "RetiredNZB", "instance": "Radarr"}
FLAGS = ("enableRss", "enableAutomaticSearch", "enableInteractiveSearch")


async def _expose_our_api(client: HomeAssistantClient) -> None:
    """Set up the MCP server (all its tools by default), then choose in its
    options to expose this integration's API alone."""
    entries = await client.entries("mcp_server")
    if not entries:
        created = await client.config_flow("mcp_server", {})
        assert created["type"] == "create_entry", created
        entries = await client.entries("mcp_server")
    (entry,) = entries
    form = await client.post(
        "/api/config/config_entries/options/flow", {"handler": entry["entry_id"]}
    )
    assert form["type"] == "form", form
    options = [
        option["value"]
        for field in form["data_schema"]
        if field["name"] == "llm_hass_api"
        for option in field["selector"]["select"]["options"]
    ]
    assert API_ID in options, options
    done = await client.post(
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        {
            "all_llm_apis": False,
            "llm_hass_api": [API_ID],
            "require_admin": True,
            "read_only": False,
        },
    )
    assert done["type"] == "create_entry", done


@contextlib.asynccontextmanager
async def _mcp(url: str, token: str) -> AsyncIterator[ClientSession]:
    """An MCP session with Home Assistant's server, as its owner."""
    async with (
        httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as http,
        streamable_http_client(f"{url}/api/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def _call(session: ClientSession, tool: str, **args: Any) -> dict[str, Any]:
    """A tool's result, as the JSON the model reads."""
    result = await session.call_tool(tool, args)
    assert not result.is_error, result
    (content,) = result.content
    assert isinstance(content, mcp.types.TextContent)
    data: dict[str, Any] = json.loads(content.text)
    return data


async def _writes(stack: Stack, session: aiohttp.ClientSession) -> list[Any]:
    requests = await stack.control(session, "GET", "/instances/radarr/requests")
    return [(r["path"], r["body"]) for r in requests if r["method"] == "PUT"]


async def test_an_mcp_client_asks_the_stack(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    """The client lists the tools, asks which indexers fail and gets the ones
    the simulator breaks, with their causes, and one's story; a re-enable is
    previewed (no write), then confirmed: the app receives exactly that
    write."""
    client = stack.client(session)
    await _expose_our_api(client)
    token = await client.long_lived_token("MCP end-to-end test")

    async with _mcp(stack.url, token) as mcp_session:
        listed = await mcp_session.list_tools()
        tools = {tool.name: tool for tool in listed.tools}
        assert set(tools) == TOOLS
        assert tools["list_indexers"].annotations is not None
        assert tools["list_indexers"].annotations.read_only_hint is True
        assert tools["set_indexer_enabled"].annotations is not None
        assert tools["set_indexer_enabled"].annotations.destructive_hint is True
        assert set(tools["set_indexer_enabled"].input_schema["required"]) == {
            "indexer",
            "enabled",
        }
        prompts = await mcp_session.list_prompts()
        assert [prompt.name for prompt in prompts.prompts] == ["AI Arr Control"]

        down = await _call(mcp_session, "list_indexers", status="problem")
        found = {
            (row["indexer"], cell["instance"], cell.get("cause"))
            for row in down["indexers"]
            for cell in row["in"]
        }
        assert found >= SEEDED_FAILURES, found
        assert all(instance["reachable"] for instance in down["instances"])

        # Its story, from the recorder, with the repairs issue's advice.
        story = await _call(mcp_session, "indexer_story", indexer="flakytracker")
        assert (story["instance"], story["cause"]) == ("Prowlarr", "cloudflare")
        assert story["history"]["days"] == 7
        assert story["history"]["uptime_percent"] == 0.0
        assert "FlakyTracker on Prowlarr is blocked by Cloudflare" in {
            repair["title"] for repair in story["what_to_do"]["repairs"]
        }
        # A name it does not know: an error the model can act on.
        unknown = await mcp_session.call_tool("indexer_story", {"indexer": "NZBgeek"})
        assert unknown.is_error
        (content,) = unknown.content
        assert isinstance(content, mcp.types.TextContent)
        assert json.loads(content.text)["error"] == "unknown_indexer"

        await stack.control(session, "DELETE", "/instances/radarr/requests")
        preview = await _call(
            mcp_session, "set_indexer_enabled", **RETIRED, enabled=True
        )
        assert preview["preview"] is True
        assert (preview["indexer"], preview["instance"], preview["id"]) == (
            "RetiredNZB",
            "Radarr",
            5,
        )
        assert preview["enabled_now"] is False
        assert preview["flags_after"] == dict.fromkeys(FLAGS, True)
        assert await _writes(stack, session) == []

        done = await _call(
            mcp_session, "set_indexer_enabled", **RETIRED, enabled=True, confirm=True
        )
        assert (done["preview"], done["enabled"]) == (False, True)
        assert await _writes(stack, session) == [
            ("/api/v3/indexer/bulk", {"ids": [5], **dict.fromkeys(FLAGS, True)})
        ]
        stored = await stack.control(session, "GET", "/instances/radarr/indexers")
        retired = next(i for i in stored if i["id"] == 5)
        assert all(retired[flag] for flag in FLAGS)

        # As found: off again.
        off = await _call(
            mcp_session, "set_indexer_enabled", **RETIRED, enabled=False, confirm=True
        )
        assert (off["status"], off["enabled"]) == ("user_disabled", False)
