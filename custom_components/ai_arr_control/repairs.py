"""Repairs: put back the indexers auto-heal disabled, in one step."""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .arr import ArrError
from .coordinator import ArrConfigEntry


class ReEnableIndexersFlow(RepairsFlow):
    """Re-enable, with their original flags, the indexers auto-heal disabled."""

    def __init__(self, entry_id: str) -> None:
        """Remember which instance the issue is about."""
        self.entry_id = entry_id

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Ask, then re-enable them all."""
        entry: ArrConfigEntry | None = self.hass.config_entries.async_get_entry(
            self.entry_id
        )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if user_input is not None:
            try:
                await entry.runtime_data.heal.async_reenable_all()
            except ArrError:
                return self.async_abort(reason="cannot_connect")
            return self.async_create_entry(data={})
        ledger = entry.runtime_data.ledger
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={
                "instance": entry.title,
                "indexers": ", ".join(ledger.name_of(i) for i in ledger.owned),
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of an "auto-disabled indexers" issue."""
    assert data is not None
    return ReEnableIndexersFlow(str(data["entry_id"]))
