"""Ask your stack: an LLM API for conversation agents and the MCP server.

Registered with Home Assistant while at least one instance is loaded, as the
API "AI Arr Control": every conversation agent can use it, and the
``mcp_server`` integration offers it to external assistants. Thin glue: the
indexers come from the board (one row per indexer across Prowlarr and its
copies), the story's figures from ``story.py``, what to do from the cause's
policy and the repairs issues' own texts; changes go through the paths the
switches and actions use.

Tools that change something (``heal_now``, ``set_indexer_enabled``) need an
administrator and change nothing without ``confirm: true``: without it they
return what would happen. ``test_indexer`` changes no setting and takes at most
one query of the site, as the board's Test now does, so it needs neither.
Errors come back as tool results with an ``error`` code the model can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from difflib import get_close_matches
from functools import partial
from typing import Any, Final, cast, override

import probatio

from homeassistant.components.recorder import history
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    entity_registry as er,
    issue_registry as ir,
    llm,
    translation,
)
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import JsonObjectType

from .arr import ArrApp, ArrConnectionError, Cause, SyncLevel
from .board import build_board
from .const import DOMAIN, ISSUE_AUTO_DISABLED, ISSUE_OUTAGE, LOGGER
from .coordinator import ArrConfigEntry
from .data import PROBLEM_STATES, IndexerHealth, IndexerState
from .heal import Route, plan_notices, policy_of
from .helpers import arr_errors
from .issues import notice_placeholders, notice_translation_key
from .services import async_test_indexer, heal_report
from .stack import DATA_STACK, SYNCED_NAME_SUFFIX
from .story import cause_history, story_stats

LLM_API_ID: Final = DOMAIN
LLM_API_NAME: Final = "AI Arr Control"

API_PROMPT: Final = (
    "AI Arr Control watches the indexers of the user's Arr apps (Prowlarr, "
    "Radarr, Sonarr, ...), each added to Home Assistant as an instance: it tests "
    "them, gives each failure a cause (auth, quota, cloudflare, network, "
    "site_error, config, upstream, unknown), and its auto-heal disables an "
    "indexer that keeps failing and puts it back with its flags once it passes.\n"
    "Answer naming the instance and the cause, and say what the user can do "
    "(what_to_do). A copy synced from Prowlarr under Full Sync is changed in "
    "Prowlarr (change_in), not in the app.\n"
    "heal_now and set_indexer_enabled need an administrator and change nothing "
    "without confirm: call them without it, tell the user what would happen, and "
    "call again with confirm true only once the user agrees."
)

# What the status filter accepts: a state, or any problem state.
STATUS_PROBLEM: Final = "problem"
STORY_DAYS: Final = (7, 30)
# At most this many candidates in an error.
MAX_CANDIDATES: Final = 20

# The error codes a tool result can carry (``error``), by the translation key
# of the Home Assistant error a shared path raised.
ERROR_CODES: Final[Mapping[str, str]] = {
    "entry_not_loaded": "instance_unreachable",
    "indexer_unreachable": "instance_unreachable",
    "heal_unreachable": "instance_unreachable",
    "update_failed": "instance_unreachable",
    "invalid_auth": "api_key_refused",
    "indexer_gone": "unknown_indexer",
    "switch_full_sync": "change_would_not_last",
    "switch_unknown_source": "change_would_not_last",
}

_READ_ONLY = llm.ToolAnnotations(
    read_only=True, destructive=False, idempotent=True, open_world=False
)
# A test makes the app query the indexer's site; it changes no setting.
_TEST = llm.ToolAnnotations(
    read_only=False, destructive=False, idempotent=False, open_world=True
)
_CHANGE = llm.ToolAnnotations(
    read_only=False, destructive=True, idempotent=False, open_world=True
)

# The parameter of the tools that change something: without it, a preview.
_CONFIRM_PARAM: Final[dict[probatio.Marker, Any]] = {
    probatio.Optional(
        "confirm",
        default=False,
        description="True to carry it out, after the user saw the preview.",
    ): cv.boolean,
}
_INDEXER_PARAMS: Final[dict[probatio.Marker, Any]] = {
    probatio.Required(
        "indexer",
        description="The indexer's name as listed (or its id within the instance).",
    ): cv.string,
    probatio.Optional(
        "instance",
        description=(
            'The instance (Arr app) it belongs to, e.g. "Radarr 4K". Without it, '
            "a name found in Prowlarr and its copies means the Prowlarr indexer."
        ),
    ): cv.string,
}


@dataclass(slots=True)
class _Registration:
    """The registered API and the loaded entries that keep it registered."""

    unregister: Callable[[], None]
    entries: set[str]


DATA_LLM_API: HassKey[_Registration] = HassKey(f"{DOMAIN}_llm_api")


@callback
def async_register_llm_api(hass: HomeAssistant, entry: ArrConfigEntry) -> None:
    """Offer the API while at least one entry is loaded: registered with the
    first, unregistered when the last unloads."""
    registration = hass.data.get(DATA_LLM_API)
    if registration is None:
        registration = hass.data[DATA_LLM_API] = _Registration(
            unregister=llm.async_register_api(hass, ArrLlmApi(hass)), entries=set()
        )
    registration.entries.add(entry.entry_id)

    @callback
    def release() -> None:
        registration.entries.discard(entry.entry_id)
        if not registration.entries and hass.data.get(DATA_LLM_API) is registration:
            registration.unregister()
            del hass.data[DATA_LLM_API]

    entry.async_on_unload(release)


class ArrLlmApi(llm.API):
    """The tools about the indexers of every loaded instance."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Build the tools once: nothing about them depends on the request."""
        super().__init__(hass=hass, id=LLM_API_ID, name=LLM_API_NAME)
        self._tools: list[llm.Tool] = [
            ListIndexersTool(),
            IndexerStoryTool(),
            IndexerTestTool(),
            HealNowTool(),
            SetIndexerEnabledTool(),
        ]

    @override
    async def async_get_api_instance(
        self, llm_context: llm.LLMContext
    ) -> llm.APIInstance:
        """Return the instance of the API."""
        return llm.APIInstance(
            api=self,
            api_prompt=API_PROMPT,
            llm_context=llm_context,
            tools=self._tools,
            custom_serializer=llm.selector_serializer,
        )


# -- errors ----------------------------------------------------------------------


class ToolError(HomeAssistantError):
    """A tool call the model can recover from: a code, a message, details."""

    def __init__(
        self,
        code: str,
        translation_key: str,
        placeholders: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        """A translated message (``exceptions`` in the translations)."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders=placeholders,
        )
        self.code = code
        self.details = details


def _error(code: str, message: str, **details: Any) -> llm.ToolResult:
    data = {"error": code, "message": message, **details}
    # Without empty details (no candidates, no close name).
    kept = {key: value for key, value in data.items() if value not in (None, [])}
    return llm.ToolResult(data=cast("JsonObjectType", kept), error=True)


# -- the stack as the tools see it ---------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    """A moment in Home Assistant's time zone (what the user speaks in)."""
    return dt_util.as_local(moment).isoformat() if moment is not None else None


def _hours(duration: timedelta) -> float:
    return round(duration.total_seconds() / 3600, 1)


def _compact(data: Mapping[str, Any]) -> dict[str, Any]:
    """Without the fields that have no value (a smaller answer for the model)."""
    return {key: value for key, value in data.items() if value is not None}


def _normalized(name: str) -> str:
    """A name as the user says it: any case, without Prowlarr's copy suffix."""
    name = name.strip().casefold()
    suffix = SYNCED_NAME_SUFFIX.casefold()
    return name.removesuffix(suffix).strip() if name.endswith(suffix) else name


@dataclass(frozen=True, slots=True)
class _Cell:
    """One indexer of one instance, on its board row."""

    entry: ArrConfigEntry
    indexer_id: int
    board: Mapping[str, Any]
    row: Mapping[str, Any]

    @property
    def health(self) -> IndexerHealth:
        """What the last check found."""
        return self.entry.runtime_data.health.data.indexers[self.indexer_id]

    @property
    def state(self) -> IndexerState:
        """The State sensor's state."""
        return self.entry.runtime_data.health.indexer_state(self.indexer_id)

    @property
    def name(self) -> str:
        """As the app names it."""
        return str(self.board["name"])


class _Stack:
    """The board and the loaded entries behind it, for one tool call."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.board = build_board(hass)
        self.entries: dict[str, ArrConfigEntry] = {
            entry.entry_id: entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.state is ConfigEntryState.LOADED
        }
        self.columns: list[Mapping[str, Any]] = self.board["columns"]
        self.cells: list[_Cell] = [
            _Cell(self.entries[cell["entry_id"]], cell["indexer_id"], cell, row)
            for row in self.board["rows"]
            for cell in row["cells"]
            if cell["entry_id"] in self.entries
        ]

    def instances(self) -> list[dict[str, Any]]:
        """The instances, and whether each can be reached."""
        return [
            {
                "instance": column["title"],
                "app": column["app"],
                "reachable": bool(column["loaded"] and column["available"]),
            }
            for column in self.columns
        ]

    def instance(self, name: str) -> Mapping[str, Any]:
        """The instance (board column) of a name the user gave, or an error."""
        wanted = name.strip().casefold()
        for column in self.columns:
            if wanted in (str(column["title"]).casefold(), column["entry_id"]):
                return column
        raise ToolError(
            "unknown_instance",
            "llm_unknown_instance",
            {"instance": name},
            instances=[column["title"] for column in self.columns],
        )

    def loaded_entry(self, column: Mapping[str, Any]) -> ArrConfigEntry:
        """The loaded entry of an instance, or the error that it is not."""
        entry = self.entries.get(column["entry_id"])
        if entry is None:
            raise ToolError(
                "instance_unreachable",
                "entry_not_loaded",
                {"instance": str(column["title"])},
            )
        return entry

    def find(self, indexer: str, instance: str | None) -> _Cell:
        """The indexer a model means, by name (or id) and maybe instance.

        Several matches on one board row (a Prowlarr indexer and its copies)
        mean the row's first: the Prowlarr indexer, or the app's own one.
        """
        cells = self.cells
        if instance is not None:
            column = self.instance(instance)
            self.loaded_entry(column)
            cells = [c for c in cells if c.entry.entry_id == column["entry_id"]]
        wanted = indexer.strip()
        if wanted.isdigit():
            matches = [c for c in cells if c.indexer_id == int(wanted)]
        else:
            name = _normalized(wanted)
            matches = [c for c in cells if _normalized(c.name) == name] or [
                c for c in cells if name in _normalized(c.name)
            ]
        rows = {id(cell.row) for cell in matches}
        if len(rows) == 1:
            return matches[0]
        if not matches:
            names = sorted({c.name for c in cells})
            raise ToolError(
                "unknown_indexer",
                "llm_unknown_indexer",
                {"indexer": indexer},
                did_you_mean=get_close_matches(wanted, names, n=5, cutoff=0.5),
            )
        raise ToolError(
            "ambiguous_indexer",
            "llm_ambiguous_indexer",
            {"indexer": indexer},
            candidates=[
                {"indexer": c.name, "instance": c.entry.title, "id": c.indexer_id}
                for c in matches[:MAX_CANDIDATES]
            ],
        )

    def view(self, cell: _Cell, *, name: bool = True) -> dict[str, Any]:
        """One indexer of one instance, as a model reads it."""
        entry = cell.entry
        health = cell.health
        state = cell.state
        board = cell.board
        view: dict[str, Any] = {
            "indexer": cell.name if name else None,
            "instance": entry.title,
            "id": cell.indexer_id,
            "status": state.value,
            "cause": board["cause"],
            "message": board["message"],
            "warning": board["warning"],
            "since": _iso(dt_util.parse_datetime(board["since"]))
            if board["since"]
            else None,
            "last_success": _iso(health.last_success),
            "disabled_by": {
                IndexerState.AUTO_DISABLED: "auto_heal",
                IndexerState.USER_DISABLED: "user",
            }.get(state),
        }
        if health.queries is not None:
            view["queries_left"] = _compact(
                {
                    "left": health.queries.left,
                    "limit": health.queries.limit,
                    "resets_at": _iso(health.queries.resets_at),
                }
            )
        view.update(self.links(cell))
        if not board["available"]:
            view["instance_reachable"] = False
        return _compact(view)

    def links(self, cell: _Cell) -> dict[str, Any]:
        """Where a synced copy comes from, and where a change to it lasts."""
        stack = self.hass.data[DATA_STACK]
        route, source = stack.route_of(cell.entry.entry_id, cell.health.indexer)
        links: dict[str, Any] = {}
        if source is not None:
            source_name = (
                source.health.indexer.name
                if source.health is not None
                else str(source.indexer_id)
            )
            links["synced_from"] = {
                "instance": source.prowlarr_title,
                "indexer": source_name,
                "id": source.indexer_id,
                "sync_level": source.sync_level.value,
            }
            if route is Route.SOURCE:
                links["change_in"] = {
                    "instance": source.prowlarr_title,
                    "indexer": source_name,
                    "id": source.indexer_id,
                }
        elif route is Route.UNKNOWN_SOURCE:
            links["change_in"] = {
                "instance": "Prowlarr",
                "added_to_home_assistant": False,
            }
        return links

    def source_cell(self, cell: _Cell) -> _Cell | None:
        """The Prowlarr indexer a synced copy comes from, if on the board."""
        stack = self.hass.data[DATA_STACK]
        source = stack.source_of(cell.entry.entry_id, cell.health.indexer)
        if source is None:
            return None
        return next(
            (
                other
                for other in self.cells
                if other.entry.entry_id == source.prowlarr_entry_id
                and other.indexer_id == source.indexer_id
            ),
            None,
        )

    def copies(self, cell: _Cell) -> list[dict[str, Any]]:
        """The other indexers on a Prowlarr indexer's row: its copies."""
        if cell.entry.runtime_data.status.app is not ArrApp.PROWLARR:
            return []
        stack = self.hass.data[DATA_STACK]
        levels = {
            (copy.entry_id, copy.indexer_id): copy.sync_level
            for copy in stack.copies_of(cell.entry.entry_id, cell.indexer_id)
        }
        return [
            _compact(
                {
                    "instance": other.entry.title,
                    "id": other.indexer_id,
                    "status": other.state.value,
                    "sync_level": level.value
                    if (level := levels.get((other.entry.entry_id, other.indexer_id)))
                    else None,
                }
            )
            for other in self.cells
            if other.row is cell.row and other is not cell
        ]


# -- the tools -------------------------------------------------------------------


async def _async_check_admin(hass: HomeAssistant, llm_context: llm.LLMContext) -> None:
    """Refuse unless the user behind the request is an administrator (a
    request without a user, such as a voice satellite's, is refused)."""
    context = llm_context.context
    user = (
        await hass.auth.async_get_user(context.user_id)
        if context is not None and context.user_id is not None
        else None
    )
    if user is None or not user.is_admin:
        raise ToolError("admin_required", "llm_admin_required")


class ArrTool(llm.Tool):
    """A tool of this API: validated arguments, errors as results."""

    integration = DOMAIN
    admin_only = False

    @override
    async def async_call(
        self,
        hass: HomeAssistant,
        tool_input: llm.ToolInput,
        llm_context: llm.LLMContext,
    ) -> llm.ToolResult:
        """Validate the arguments, run the tool, and turn errors into results."""
        try:
            args = self.parameters(tool_input.tool_args)
            if self.admin_only:
                await _async_check_admin(hass, llm_context)
            data = await self.async_run(hass, args, llm_context)
        except probatio.Invalid as err:
            return _error("invalid_arguments", str(err))
        except ToolError as err:
            return _error(err.code, str(err), **err.details)
        except HomeAssistantError as err:
            code = ERROR_CODES.get(err.translation_key or "", "action_failed")
            if isinstance(err.__cause__, ArrConnectionError):
                code = "instance_unreachable"
            return _error(code, str(err))
        except Exception:  # noqa: BLE001 - a model gets an error, never a traceback
            LOGGER.exception("Unexpected error in the LLM tool %s", self.name)
            return _error(
                "internal_error",
                str(ToolError("internal_error", "llm_internal_error")),
            )
        return llm.ToolResult(data=cast("JsonObjectType", data))

    async def async_run(
        self,
        hass: HomeAssistant,
        args: dict[str, Any],
        llm_context: llm.LLMContext,
    ) -> dict[str, Any]:
        """What the tool returns, from validated arguments."""
        raise NotImplementedError


class ListIndexersTool(ArrTool):
    """Every indexer of the stack, grouped as on the board, with filters."""

    name = "list_indexers"
    title = "List indexers"
    description = (
        "The indexers of every instance: status, cause, failure message, since "
        "when, last success, who disabled it, queries left. A Prowlarr indexer "
        "and its copies in the apps are one entry. Filters combine."
    )
    parameters = probatio.Schema(
        {
            probatio.Optional(
                "instance", description='Only this instance, e.g. "Sonarr".'
            ): cv.string,
            probatio.Optional("app", description="Only instances of this app."): (
                probatio.In([app.value for app in ArrApp])
            ),
            probatio.Optional(
                "status",
                description=(
                    "Only indexers in this status; problem: failing, rate_limited "
                    "or auto_disabled."
                ),
            ): probatio.In([STATUS_PROBLEM, *(state.value for state in IndexerState)]),
            probatio.Optional(
                "cause", description="Only indexers failing for this cause."
            ): probatio.In([cause.value for cause in Cause]),
        }
    )
    annotations = _READ_ONLY

    @override
    async def async_run(
        self,
        hass: HomeAssistant,
        args: dict[str, Any],
        llm_context: llm.LLMContext,
    ) -> dict[str, Any]:
        stack = _Stack(hass)
        column = stack.instance(args["instance"]) if "instance" in args else None
        status = args.get("status")

        def wanted(cell: _Cell) -> bool:
            state = cell.state
            return (
                (column is None or cell.entry.entry_id == column["entry_id"])
                and (
                    "app" not in args
                    or cell.entry.runtime_data.status.app.value == args["app"]
                )
                and (
                    status is None
                    or state.value == status
                    or (status == STATUS_PROBLEM and state in PROBLEM_STATES)
                )
                and ("cause" not in args or cell.board["cause"] == args["cause"])
            )

        rows: dict[int, dict[str, Any]] = {}
        for cell in stack.cells:
            if not wanted(cell):
                continue
            row = rows.setdefault(id(cell.row), {"indexer": cell.row["name"], "in": []})
            row["in"].append(
                stack.view(
                    cell, name=_normalized(cell.name) != _normalized(row["indexer"])
                )
            )
        return {
            "count": len(rows),
            "indexers": list(rows.values()),
            "instances": stack.instances(),
        }


class IndexerStoryTool(ArrTool):
    """One indexer's last days from the recorder, and what to do about it."""

    name = "indexer_story"
    title = "An indexer's story"
    description = (
        "One indexer over the last 7 or 30 days: status now, uptime %, longest "
        "outage, flaps, disables, its causes over time, its copies, and what to "
        "do about it (the repairs issue's advice, whether auto-heal acts)."
    )
    parameters = probatio.Schema(
        {
            **_INDEXER_PARAMS,
            probatio.Optional(
                "days", default=STORY_DAYS[0], description="How many days back."
            ): probatio.In(list(STORY_DAYS)),
        }
    )
    annotations = _READ_ONLY

    @override
    async def async_run(
        self,
        hass: HomeAssistant,
        args: dict[str, Any],
        llm_context: llm.LLMContext,
    ) -> dict[str, Any]:
        stack = _Stack(hass)
        cell = stack.find(args["indexer"], args.get("instance"))
        end = dt_util.utcnow()
        start = end - timedelta(days=args["days"])
        story: dict[str, Any] = {
            **stack.view(cell),
            "app": cell.entry.runtime_data.status.app.value,
            "copies": stack.copies(cell) or None,
        }
        story.update(await _async_history(hass, cell, start, end, args["days"]))
        story["what_to_do"] = await _async_what_to_do(hass, stack, cell, llm_context)
        return _compact(story)


class IndexerTestTool(ArrTool):
    """Check one indexer now."""

    name = "test_indexer"
    title = "Test an indexer now"
    description = (
        "Check one indexer now and return its status. Changes no setting; a test "
        "makes the app query the indexer's site once (real traffic or Prowlarr's "
        "own verdict stand in where they can, and no test is made at the query "
        "reserve)."
    )
    parameters = probatio.Schema(dict(_INDEXER_PARAMS))
    annotations = _TEST

    @override
    async def async_run(
        self,
        hass: HomeAssistant,
        args: dict[str, Any],
        llm_context: llm.LLMContext,
    ) -> dict[str, Any]:
        cell = _Stack(hass).find(args["indexer"], args.get("instance"))
        health = await async_test_indexer(hass, cell.entry, cell.indexer_id)
        after = _Stack(hass)
        tested = next(
            c
            for c in after.cells
            if c.entry is cell.entry and c.indexer_id == cell.indexer_id
        )
        return _compact(
            {
                **after.view(tested),
                "checked_by": health.checked_by.value if health.checked_by else None,
            }
        )


class HealNowTool(ArrTool):
    """Run auto-heal on an instance now, after a preview."""

    name = "heal_now"
    title = "Heal an instance now"
    description = (
        "Run auto-heal on one instance now: disable the indexers that keep "
        "failing, re-enable those it disabled that pass again. Without confirm "
        "it is a dry run that changes nothing and says what it would do. Needs an "
        "administrator."
    )
    parameters = probatio.Schema(
        {
            probatio.Optional(
                "instance",
                description="The instance; may be left out when there is only one.",
            ): cv.string,
            **_CONFIRM_PARAM,
        }
    )
    annotations = _CHANGE
    admin_only = True

    @override
    async def async_run(
        self,
        hass: HomeAssistant,
        args: dict[str, Any],
        llm_context: llm.LLMContext,
    ) -> dict[str, Any]:
        stack = _Stack(hass)
        if "instance" in args:
            column = stack.instance(args["instance"])
        elif len(stack.columns) == 1:
            column = stack.columns[0]
        else:
            raise ToolError(
                "instance_required",
                "llm_instance_required",
                instances=[column["title"] for column in stack.columns],
            )
        entry = stack.loaded_entry(column)
        confirm = args["confirm"]
        # Confirmed, the instance's Dry run option still holds.
        run = await entry.runtime_data.heal.async_heal_now(
            dry_run=None if confirm else True
        )
        return {"instance": entry.title, "preview": not confirm, **heal_report(run)}


class SetIndexerEnabledTool(ArrTool):
    """Turn an indexer on or off, as its Enabled switch does, after a preview."""

    name = "set_indexer_enabled"
    title = "Enable or disable an indexer"
    description = (
        "Turn an indexer on (with the flags it had) or off, as its Enabled switch "
        "does. Without confirm it changes nothing and says what would change, and "
        "whether Prowlarr's Full Sync would undo it. Needs an administrator."
    )
    parameters = probatio.Schema(
        {
            **_INDEXER_PARAMS,
            probatio.Required(
                "enabled", description="True to turn it on, false to turn it off."
            ): cv.boolean,
            **_CONFIRM_PARAM,
        }
    )
    annotations = _CHANGE
    admin_only = True

    @override
    async def async_run(
        self,
        hass: HomeAssistant,
        args: dict[str, Any],
        llm_context: llm.LLMContext,
    ) -> dict[str, Any]:
        stack = _Stack(hass)
        cell = stack.find(args["indexer"], args.get("instance"))
        entry = cell.entry
        control = entry.runtime_data.control
        indexer = cell.health.indexer
        enable: bool = args["enabled"]
        refusal: ServiceValidationError | None = None
        try:
            control.check_user_may_switch(indexer)
        except ServiceValidationError as err:
            refusal = err
        flags = (
            control.flags_for_on(indexer)
            if enable
            else dict.fromkeys(indexer.flags, False)
        )
        about = {
            "indexer": cell.name,
            "instance": entry.title,
            "id": cell.indexer_id,
        }
        if not args["confirm"]:
            preview: dict[str, Any] = {
                "preview": True,
                **about,
                "status": cell.state.value,
                "enabled_now": indexer.enabled,
                "flags_now": dict(indexer.flags),
                "enabled": enable,
                "flags_after": flags,
                "changes": flags != dict(indexer.flags),
                "copies_following": [
                    copy.title
                    for copy in entry.runtime_data.stack.copies_of(
                        entry.entry_id, cell.indexer_id
                    )
                    if copy.sync_level is SyncLevel.FULL_SYNC
                ]
                or None,
            }
            if refusal is not None:
                preview["refused"] = _compact(
                    {
                        "error": ERROR_CODES[refusal.translation_key or ""],
                        "message": str(refusal),
                        **stack.links(cell),
                    }
                )
            return _compact(preview)
        if refusal is not None:
            raise ToolError(
                ERROR_CODES[refusal.translation_key or ""],
                refusal.translation_key or "",
                refusal.translation_placeholders,
                **stack.links(cell),
            )
        with arr_errors(hass, entry):
            if enable:
                await control.async_user_on(cell.indexer_id)
            else:
                await control.async_user_off(cell.indexer_id)
        health = entry.runtime_data.health
        if cell.indexer_id not in health.data.indexers:
            raise ToolError(
                "unknown_indexer",
                "indexer_gone",
                {"indexer": cell.name, "instance": entry.title},
            )
        now = health.data.indexers[cell.indexer_id].indexer
        return {
            "preview": False,
            **about,
            "status": health.indexer_state(cell.indexer_id).value,
            "enabled": now.enabled,
            "flags": dict(now.flags),
        }


# -- the story -------------------------------------------------------------------


async def _async_history(
    hass: HomeAssistant, cell: _Cell, start: datetime, end: datetime, days: int
) -> dict[str, Any]:
    """The story's figures from the recorder: the State sensor's states and
    the Status sensor's causes."""
    registry = er.async_get(hass)
    unique_id = f"{cell.entry.entry_id}_indexer_{cell.indexer_id}"
    state_id = registry.async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{unique_id}_state"
    )
    status_id = registry.async_get_entity_id(
        Platform.BINARY_SENSOR, DOMAIN, f"{unique_id}_status"
    )
    if "recorder" not in hass.config.components or state_id is None:
        return {"history": {"days": days, "available": False}}
    entity_ids = [i for i in (state_id, status_id) if i is not None]
    found = await get_instance(hass).async_add_executor_job(
        partial(
            history.get_significant_states,
            hass,
            start,
            end,
            entity_ids,
            significant_changes_only=False,
        )
    )
    states = [s for s in found.get(state_id, []) if isinstance(s, State)]
    stats = story_stats(((s.last_updated, s.state) for s in states), start, end)
    longest = stats.longest_outage
    result: dict[str, Any] = {
        "history": _compact(
            {
                "days": days,
                "from": _iso(start),
                "to": _iso(end),
                "uptime_percent": stats.uptime_percent,
                "hours": {
                    state: _hours(duration) for state, duration in stats.time_in.items()
                },
                "outages": len(stats.outages),
                "longest_outage": _compact(
                    {
                        "from": _iso(longest.start),
                        "to": None if longest.ongoing else _iso(longest.end),
                        "hours": _hours(longest.duration),
                        "ongoing": longest.ongoing,
                    }
                )
                if longest
                else None,
                "flaps": stats.flaps,
                "disabled": {
                    "by_auto_heal": stats.auto_disables,
                    "by_user": stats.user_disables,
                },
            }
        )
    }
    if status_id is not None:
        causes = [
            (s.last_updated, s.attributes.get("cause") if s.state == "on" else None)
            for s in found.get(status_id, [])
            if isinstance(s, State) and s.state in ("on", "off")
        ]
        result["causes"] = [
            {
                "cause": span.cause,
                "from": _iso(span.start),
                "to": _iso(span.end),
                "hours": _hours(span.duration),
            }
            for span in cause_history(causes, start, end)
        ] or None
    return result


async def _async_what_to_do(
    hass: HomeAssistant, stack: _Stack, cell: _Cell, llm_context: llm.LLMContext
) -> dict[str, Any] | None:
    """What the user can do: where a change lasts, how auto-heal treats the
    cause, and the repairs issues' texts (for a copy of a failing Prowlarr
    indexer, Prowlarr's)."""
    health = cell.health
    language = (
        llm_context.language
        if llm_context.language not in (None, "*")
        else hass.config.language
    ) or "en"
    strings = await translation.async_get_translations(
        hass, language, "issues", [DOMAIN]
    )
    repairs = _repairs(hass, strings, stack, cell)
    if (source := stack.source_cell(cell)) is not None and source.health.failing:
        repairs.extend(_repairs(hass, strings, stack, source))
    what: dict[str, Any] = {}
    if health.failing:
        policy = policy_of(health.cause)
        what["cause"] = (health.cause or Cause.UNKNOWN).value
        what["auto_heal_disables_for_this_cause"] = policy.disables
        what["counts_toward_outage"] = policy.outage
    if cell.state in (IndexerState.AUTO_DISABLED, IndexerState.USER_DISABLED):
        what["disabled_by"] = (
            "auto_heal" if cell.state is IndexerState.AUTO_DISABLED else "user"
        )
    what["change_in"] = stack.links(cell).get("change_in")
    what["repairs"] = repairs or None
    return _compact(what) or None


def _repairs(
    hass: HomeAssistant, strings: Mapping[str, str], stack: _Stack, cell: _Cell
) -> list[dict[str, Any]]:
    """The repairs issues about an indexer as the user reads them: the open
    ones, else the one its failure raises once it has failed long enough (the
    heal policy's notice, asked for now)."""
    texts = [
        _repair_text(strings, issue.translation_key, issue.translation_placeholders)
        for issue in _open_issues(hass, cell)
    ]
    if not texts and cell.health.failing:
        heal = cell.entry.runtime_data.heal
        ledger = cell.entry.runtime_data.ledger
        notices = plan_notices(
            [facts for facts in heal.facts() if facts.id == cell.indexer_id],
            ledger.owned,
            ledger.holds,
            replace(heal.settings, failures_to_disable=1),
        )
        source = stack.links(cell).get("synced_from", {}).get("instance")
        texts = [
            _repair_text(
                strings,
                notice_translation_key(notice.kind),
                {"instance": cell.entry.title, **notice_placeholders(notice, source)},
            )
            for notice in notices
        ]
    return [text for text in texts if text is not None]


def _open_issues(hass: HomeAssistant, cell: _Cell) -> Iterable[ir.IssueEntry]:
    """The repairs issues about the indexer, and its instance's outage (or
    unreachable) issue, and the auto-heal one while it disabled the indexer."""
    entry_id = cell.entry.entry_id
    suffix = f"_{entry_id}_{cell.indexer_id}"
    instance_ids = {f"{ISSUE_OUTAGE}_{entry_id}"}
    if cell.state is IndexerState.AUTO_DISABLED:
        instance_ids.add(f"{ISSUE_AUTO_DISABLED}_{entry_id}")
    for (domain, issue_id), issue in ir.async_get(hass).issues.items():
        if (
            domain == DOMAIN
            and issue.active
            and issue.dismissed_version is None
            and (issue_id.endswith(suffix) or issue_id in instance_ids)
        ):
            yield issue


class _Placeholders(dict[str, str]):
    """Placeholders that leave an unknown one as it is."""

    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def _repair_text(
    strings: Mapping[str, str],
    translation_key: str | None,
    placeholders: Mapping[str, str] | None,
) -> dict[str, Any] | None:
    """A repairs issue's title and text as the user reads them; a fixable one
    (Settings → Repairs fixes it) says so, its text is its fix's."""
    base = f"component.{DOMAIN}.issues.{translation_key}"
    title = strings.get(f"{base}.title")
    description = strings.get(f"{base}.description")
    fix = strings.get(f"{base}.fix_flow.step.confirm.description")
    if title is None or (description or fix) is None:
        return None
    values = _Placeholders(placeholders or {})
    return _compact(
        {
            "title": title.format_map(values),
            "description": (description or fix or "").format_map(values),
            "fixable": True if description is None else None,
        }
    )
