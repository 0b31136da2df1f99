"""What the integration keeps about an instance's indexers across restarts.

One ``Store`` per config entry: the flags an indexer had before the user switched
it off here, the indexers the heal run disabled (its ownership ledger, with the
flags to put back), the indexers the user holds, and whether auto-heal is on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .arr import Cause
from .const import DOMAIN
from .heal import Owned

STORAGE_VERSION = 1
SAVE_DELAY = 1.0


class IndexerLedger:
    """Persistent per-instance memory of who changed which indexer, and how."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store of one config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._switched_off: dict[int, dict[str, bool]] = {}
        self._owned: dict[int, Owned] = {}
        self._names: dict[int, str] = {}
        self._holds: set[int] = set()
        self._auto_heal = True
        # Our own tests per indexer on one (local) day.
        self._tests_day = ""
        self._tests: dict[int, int] = {}
        self._dirty = False

    async def async_load(self) -> None:
        """Read what was saved."""
        data = await self._store.async_load() or {}
        self._switched_off = {
            int(indexer_id): _flags(flags)
            for indexer_id, flags in data.get("flags", {}).items()
        }
        self._owned = {}
        self._names = {}
        for indexer_id, item in data.get("owned", {}).items():
            self._owned[int(indexer_id)] = Owned(
                flags=_flags(item["flags"]),
                reason=str(item.get("reason", "")),
                cause=_cause(item.get("cause")),
                disabled_at=_datetime(item.get("disabled_at")),
            )
            self._names[int(indexer_id)] = str(item.get("name", indexer_id))
        self._holds = {int(i) for i in data.get("holds", [])}
        self._auto_heal = bool(data.get("auto_heal", True))
        tests = data.get("tests", {})
        self._tests_day = str(tests.get("day", ""))
        self._tests = {int(k): int(v) for k, v in tests.get("count", {}).items()}

    # -- the user's switch -------------------------------------------------------

    def flags_before_off(self, indexer_id: int) -> dict[str, bool] | None:
        """The flags to restore, or None when it was not switched off here."""
        flags = self._switched_off.get(indexer_id)
        return dict(flags) if flags is not None else None

    @callback
    def remember(self, indexer_id: int, flags: Mapping[str, bool]) -> None:
        """Keep the flags an indexer had before it is switched off."""
        self._switched_off[indexer_id] = dict(flags)
        self._save()

    @callback
    def forget(self, indexer_id: int) -> None:
        """Drop everything kept for an indexer (e.g. deleted in the app)."""
        changed = self._switched_off.pop(indexer_id, None) is not None
        changed |= self._owned.pop(indexer_id, None) is not None
        self._names.pop(indexer_id, None)
        if indexer_id in self._holds:
            self._holds.discard(indexer_id)
            changed = True
        if changed:
            self._save()

    # -- holds -------------------------------------------------------------------

    @property
    def holds(self) -> frozenset[int]:
        """Indexers the user took control of: the heal run leaves them alone."""
        return frozenset(self._holds)

    @callback
    def hold(self, indexer_id: int) -> None:
        """The user took control of an indexer."""
        self._holds.add(indexer_id)
        self._save()

    @callback
    def unhold(self, indexer_id: int) -> None:
        """The user handed an indexer back."""
        if indexer_id in self._holds:
            self._holds.discard(indexer_id)
            self._save()

    # -- the heal run's ownership ------------------------------------------------

    @property
    def owned(self) -> dict[int, Owned]:
        """Indexers the heal run disabled, with the flags to put back."""
        return dict(self._owned)

    def name_of(self, indexer_id: int) -> str:
        """The name an owned indexer had when it was disabled."""
        return self._names.get(indexer_id, str(indexer_id))

    @callback
    def own(self, indexer_id: int, name: str, owned: Owned) -> None:
        """Record that the heal run disabled an indexer.

        Never with all flags off: those would put nothing back.
        """
        if not any(owned.flags.values()):
            raise ValueError(f"Indexer {indexer_id} would be owned with no flag on")
        self._owned[indexer_id] = owned
        self._names[indexer_id] = name
        self._save()

    @callback
    def release(self, indexer_id: int) -> Owned | None:
        """The heal run no longer owns an indexer; return what it had."""
        owned = self._owned.pop(indexer_id, None)
        self._names.pop(indexer_id, None)
        if owned is not None:
            self._save()
        return owned

    # -- auto-heal ---------------------------------------------------------------

    @property
    def auto_heal(self) -> bool:
        """Whether the heal run may change indexers on its schedule."""
        return self._auto_heal

    @callback
    def set_auto_heal(self, on: bool) -> None:
        """Turn auto-heal on or off."""
        self._auto_heal = on
        self._save()

    # -- our own tests -----------------------------------------------------------

    @callback
    def count_tests(self, indexer_ids: Iterable[int], day: str) -> None:
        """Count tests made today (``day``: the local date); a new day starts at 0."""
        if day != self._tests_day:
            self._tests_day = day
            self._tests = {}
        for indexer_id in indexer_ids:
            self._tests[indexer_id] = self._tests.get(indexer_id, 0) + 1
        self._save()

    def tests_on(self, day: str) -> dict[int, int]:
        """Our tests per indexer on ``day`` (empty for any other day)."""
        return dict(self._tests) if day == self._tests_day else {}

    # -- storage -----------------------------------------------------------------

    async def async_flush(self) -> None:
        """Write what is pending now (before a reload reads the store again)."""
        if self._dirty:
            await self._store.async_save(self.as_dict())
            self._dirty = False

    async def async_remove(self) -> None:
        """Delete the store with its config entry."""
        await self._store.async_remove()

    def as_dict(self) -> dict[str, Any]:
        """The stored data (also shown in diagnostics)."""
        return {
            "flags": {str(k): v for k, v in self._switched_off.items()},
            "owned": {
                str(k): {
                    "name": self._names.get(k, str(k)),
                    "flags": dict(v.flags),
                    "reason": v.reason,
                    "cause": v.cause.value if v.cause is not None else None,
                    "disabled_at": (
                        v.disabled_at.isoformat() if v.disabled_at is not None else None
                    ),
                }
                for k, v in self._owned.items()
            },
            "holds": sorted(self._holds),
            "auto_heal": self._auto_heal,
            "tests": {
                "day": self._tests_day,
                "count": {str(k): v for k, v in self._tests.items()},
            },
        }

    def _save(self) -> None:
        self._dirty = True
        self._store.async_delay_save(self._data_to_save, SAVE_DELAY)

    def _data_to_save(self) -> dict[str, Any]:
        self._dirty = False
        return self.as_dict()


def _cause(value: Any) -> Cause | None:
    try:
        return Cause(value) if value is not None else None
    except ValueError:
        return Cause.UNKNOWN


def _datetime(value: Any) -> datetime | None:
    return dt_util.parse_datetime(value) if isinstance(value, str) else None


def _flags(flags: Mapping[str, Any]) -> dict[str, bool]:
    return {str(key): bool(value) for key, value in flags.items()}
