"""An indexer's story over some days: how much of the time it worked, its
longest outage, how often it flapped, who disabled it, and why it failed.

Pure logic over plain data, without Home Assistant: the LLM API reads the State
sensor's history (its ``IndexerState`` values) and the Status sensor's cause
from the recorder, and asks here what they add up to.

- Up is ``passing``; down is a problem state (failing, rate limited, disabled by
  auto-heal), as the Status sensor counts it. Uptime is the share of the time
  up or down that was up: time the user had it off, time before its first
  verdict and time Home Assistant did not know (unavailable) count for neither.
- An outage is a run of down time. Time without a verdict in between (a restart
  of Home Assistant) does not end it; the indexer passing, or the user turning
  it off, does.
- A flap is a change between up and down, either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .data import PROBLEM_STATES, IndexerState

UP_STATES = frozenset({IndexerState.PASSING.value})
DOWN_STATES = frozenset(state.value for state in PROBLEM_STATES)
# States that end an outage without being up: the user took the indexer out.
OFF_STATES = frozenset({IndexerState.USER_DISABLED.value})


@dataclass(frozen=True, slots=True)
class Span:
    """One state held from ``start`` to ``end``."""

    state: str
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """How long it was held."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Outage:
    """A run of down time (from its first down moment to its last)."""

    start: datetime
    end: datetime
    # Still down at the end of the window.
    ongoing: bool

    @property
    def duration(self) -> timedelta:
        """How long it lasted (within the window)."""
        return self.end - self.start


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryStats:
    """What an indexer's states over a window add up to."""

    start: datetime
    end: datetime
    # Time in each state (all states, also those counted for neither side).
    time_in: dict[str, timedelta]
    # Up / (up + down) in percent; None when it was never up or down.
    uptime_percent: float | None
    outages: tuple[Outage, ...]
    flaps: int
    # Changes into a disabled state seen within the window.
    auto_disables: int
    user_disables: int

    @property
    def longest_outage(self) -> Outage | None:
        """The longest outage (the latest of equally long ones)."""
        return max(
            reversed(self.outages), key=lambda outage: outage.duration, default=None
        )


@dataclass(frozen=True, slots=True)
class CauseSpan:
    """One cause of failure held from ``start`` to ``end``."""

    cause: str
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """How long it was the cause."""
        return self.end - self.start


def spans(
    changes: Iterable[tuple[datetime, str]], start: datetime, end: datetime
) -> list[Span]:
    """The states held within ``start``..``end`` from their changes.

    ``changes``: (when, state), in any order; a change before ``start`` holds
    from ``start``; repeated states are one span.
    """
    ordered = sorted(changes, key=lambda change: change[0])
    before = [change for change in ordered if change[0] <= start]
    within = [change for change in ordered if start < change[0] < end]
    points: list[tuple[datetime, str]] = []
    if before:
        points.append((start, before[-1][1]))
    points.extend(within)
    result: list[Span] = []
    for index, (moment, state) in enumerate(points):
        until = points[index + 1][0] if index + 1 < len(points) else end
        if result and result[-1].state == state:
            result[-1] = Span(state, result[-1].start, until)
        elif until > moment:
            result.append(Span(state, moment, until))
    return result


def story_stats(
    changes: Iterable[tuple[datetime, str]], start: datetime, end: datetime
) -> StoryStats:
    """Uptime, outages, flaps and disables over ``start``..``end``."""
    held = spans(changes, start, end)
    time_in: dict[str, timedelta] = {}
    for span in held:
        time_in[span.state] = time_in.get(span.state, timedelta()) + span.duration
    up = sum((time_in.get(s, timedelta()) for s in UP_STATES), timedelta())
    down = sum((time_in.get(s, timedelta()) for s in DOWN_STATES), timedelta())
    measured = up + down
    uptime = round(100 * up / measured, 1) if measured > timedelta() else None

    outages: list[Outage] = []
    current: tuple[datetime, datetime] | None = None
    flaps = 0
    side: bool | None = None
    auto_disables = user_disables = 0
    for index, span in enumerate(held):
        if index > 0 and span.state != held[index - 1].state:
            if span.state == IndexerState.AUTO_DISABLED:
                auto_disables += 1
            elif span.state == IndexerState.USER_DISABLED:
                user_disables += 1
        if span.state in DOWN_STATES:
            current = (current[0] if current else span.start, span.end)
        elif (span.state in UP_STATES or span.state in OFF_STATES) and current:
            outages.append(Outage(current[0], current[1], ongoing=False))
            current = None
        if span.state in UP_STATES or span.state in DOWN_STATES:
            is_up = span.state in UP_STATES
            if side is not None and is_up != side:
                flaps += 1
            side = is_up
    if current is not None:
        outages.append(
            Outage(current[0], current[1], ongoing=held[-1].state in DOWN_STATES)
        )
    return StoryStats(
        start=start,
        end=end,
        time_in=time_in,
        uptime_percent=uptime,
        outages=tuple(outages),
        flaps=flaps,
        auto_disables=auto_disables,
        user_disables=user_disables,
    )


def cause_history(
    changes: Sequence[tuple[datetime, str | None]], start: datetime, end: datetime
) -> list[CauseSpan]:
    """The causes of failure within ``start``..``end``, oldest first.

    ``changes``: (when, cause), None while there is no failure; consecutive
    spans of the same cause are one.
    """
    return [
        CauseSpan(span.state, span.start, span.end)
        for span in spans(
            ((moment, cause or "") for moment, cause in changes), start, end
        )
        if span.state
    ]
