"""The repairs issues of one instance, kept in line with what its heal plan says.

Per instance: the indexers auto-heal disabled (fixable: re-enable them now), an
outage or an unreachable instance, synced copies whose Prowlarr is not
configured. Per indexer: a setting to fix, credentials to renew, Cloudflare in
the way, a Full Sync copy failing only in this app. Each is created while its
condition holds and deleted as soon as it no longer does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_AUTO_DISABLED,
    ISSUE_OUTAGE,
    ISSUE_PROWLARR_UNCONFIGURED,
)
from .heal import HealPlan, Notice, NoticeKind, SkipReason
from .store import IndexerLedger

# Per-indexer issues are "{kind}_{entry_id}_{indexer_id}".
NOTICE_KINDS = tuple(kind.value for kind in NoticeKind)
ISSUE_VIP = "vip"
# The entry was removed while its instance was unreachable (see left_disabled).
ISSUE_LEFT_DISABLED = "left_disabled"
# A VIP expiry is announced this many days ahead, and urgently from the second.
VIP_NOTICE_DAYS = (14, 3)


@dataclass(frozen=True, slots=True)
class VipExpiry:
    """When an indexer's VIP access expires, and whether it fails on credentials."""

    indexer_id: int
    name: str
    expires: date
    failing_auth: bool


def notice_translation_key(kind: NoticeKind) -> str:
    """The translation key of a per-indexer issue."""
    return f"indexer_{kind.value}"


def notice_placeholders(notice: Notice, prowlarr: str | None) -> dict[str, str]:
    """The placeholders of a per-indexer issue (the instance's title aside);
    ``prowlarr``: the Prowlarr a synced copy comes from."""
    return {
        "indexer": notice.name,
        "cause": str(notice.cause or "unknown"),
        "message": notice.message or "",
        "setting": notice.setting or "-",
        "prowlarr": prowlarr or "Prowlarr",
    }


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


class InstanceIssues:
    """Creates and deletes one instance's repairs issues."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Issues of the instance of one config entry."""
        self.hass = hass
        self.entry_id = entry_id
        self.title = title

    def _create(
        self,
        issue_id: str,
        translation_key: str,
        placeholders: dict[str, str],
        *,
        fixable: bool = False,
        **extra: Any,
    ) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=fixable,
            severity=ir.IssueSeverity.WARNING,
            translation_key=translation_key,
            translation_placeholders={"instance": self.title, **placeholders},
            **extra,
        )

    def _id(self, kind: str, indexer_id: int | None = None) -> str:
        if indexer_id is None:
            return f"{kind}_{self.entry_id}"
        return f"{kind}_{self.entry_id}_{indexer_id}"

    @callback
    def update_from_plan(
        self, plan: HealPlan, *, source_titles: dict[int, str], create_outage: bool
    ) -> None:
        """Bring the plan's issues in line (``create_outage``: a heal run's plan).

        An outage or unreachable issue is only raised by a heal run (which held
        back for it), but cleared by any plan that no longer sees it.
        """
        outage_id = self._id(ISSUE_OUTAGE)
        if plan.outage and create_outage:
            self._create(
                outage_id,
                ISSUE_OUTAGE if plan.reachable else "unreachable",
                {"failing": str(plan.failing), "enabled": str(plan.enabled)},
            )
        elif not plan.outage:
            ir.async_delete_issue(self.hass, DOMAIN, outage_id)
        if not plan.reachable:
            return
        unconfigured = plan.skipped_for(SkipReason.NO_PROWLARR)
        unconfigured_id = self._id(ISSUE_PROWLARR_UNCONFIGURED)
        if unconfigured:
            self._create(
                unconfigured_id,
                ISSUE_PROWLARR_UNCONFIGURED,
                {"indexers": _bullets(s.name for s in unconfigured)},
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, unconfigured_id)
        self._update_notices(plan.notices, source_titles)

    def _update_notices(
        self, notices: Iterable[Notice], source_titles: dict[int, str]
    ) -> None:
        wanted: set[str] = set()
        for notice in notices:
            issue_id = self._id(notice.kind.value, notice.indexer_id)
            wanted.add(issue_id)
            self._create(
                issue_id,
                notice_translation_key(notice.kind),
                notice_placeholders(notice, source_titles.get(notice.indexer_id)),
            )
        for issue_id in self._existing_notice_ids() - wanted:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    @callback
    def update_vip(self, expiries: Iterable[VipExpiry], today: date) -> None:
        """Issues 14 and 3 days before a VIP expiry, and once it has expired."""
        wanted: set[str] = set()
        for vip in expiries:
            days = (vip.expires - today).days
            if days > VIP_NOTICE_DAYS[0]:
                continue
            issue_id = self._id(ISSUE_VIP, vip.indexer_id)
            wanted.add(issue_id)
            if days < 0:
                key = "vip_expired_auth" if vip.failing_auth else "vip_expired"
            else:
                key = "vip_expiring"
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING
                if days > VIP_NOTICE_DAYS[1]
                else ir.IssueSeverity.ERROR,
                translation_key=key,
                translation_placeholders={
                    "instance": self.title,
                    "indexer": vip.name,
                    "date": vip.expires.isoformat(),
                    "days": str(max(days, 0)),
                },
            )
        prefix = f"{ISSUE_VIP}_{self.entry_id}_"
        for issue_id in self._existing_ids(prefix) - wanted:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _existing_ids(self, *prefixes: str) -> set[str]:
        return {
            issue_id
            for domain, issue_id in ir.async_get(self.hass).issues
            if domain == DOMAIN and issue_id.startswith(prefixes)
        }

    def _existing_notice_ids(self) -> set[str]:
        prefixes = tuple(f"{kind}_{self.entry_id}_" for kind in NOTICE_KINDS)
        return self._existing_ids(*prefixes)

    @callback
    def update_auto_disabled(self, ledger: IndexerLedger) -> None:
        """The issue listing what auto-heal disabled (fixable: put them back)."""
        issue_id = self._id(ISSUE_AUTO_DISABLED)
        owned = ledger.owned
        if not owned:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        self._create(
            issue_id,
            ISSUE_AUTO_DISABLED,
            {
                "indexers": _bullets(
                    f"{ledger.name_of(i)}: {o.reason}" for i, o in owned.items()
                )
            },
            fixable=True,
            is_persistent=False,
            data={"entry_id": self.entry_id},
        )

    @callback
    def left_disabled(self, indexers: Iterable[tuple[str, Mapping[str, bool]]]) -> None:
        """The entry is removed but its instance could not be reached: these
        indexers it had disabled stay off there, with the flags to set again."""
        self._create(
            self._id(ISSUE_LEFT_DISABLED),
            ISSUE_LEFT_DISABLED,
            {
                "indexers": _bullets(
                    f"{name}: {', '.join(k for k, on in flags.items() if on) or '-'}"
                    for name, flags in indexers
                )
            },
            fixable=False,
            is_persistent=True,
        )

    @callback
    def remove_all(self) -> None:
        """Delete every issue of the instance (its entry is removed)."""
        for kind in (ISSUE_AUTO_DISABLED, ISSUE_OUTAGE, ISSUE_PROWLARR_UNCONFIGURED):
            ir.async_delete_issue(self.hass, DOMAIN, self._id(kind))
        for issue_id in self._existing_notice_ids() | self._existing_ids(
            f"{ISSUE_VIP}_{self.entry_id}_"
        ):
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
