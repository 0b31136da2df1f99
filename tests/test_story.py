"""An indexer's story from its states: uptime, outages, flaps, disables, causes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.ai_arr_control.story import (
    CauseSpan,
    Outage,
    Span,
    cause_history,
    spans,
    story_stats,
)

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def test_spans_clip_to_the_window_and_merge_repeats() -> None:
    """A state set before the window holds from its start; repeated states are
    one span; changes after the end are ignored."""
    changes = [
        (T0 + 2 * H, "failing"),
        (T0 - D, "passing"),
        (T0 + 3 * H, "failing"),
        (T0 + 5 * H, "passing"),
        (T0 + 20 * H, "failing"),
    ]
    assert spans(changes, T0, T0 + 10 * H) == [
        Span("passing", T0, T0 + 2 * H),
        Span("failing", T0 + 2 * H, T0 + 5 * H),
        Span("passing", T0 + 5 * H, T0 + 10 * H),
    ]
    # Nothing known before the first change: the spans start there.
    assert spans([(T0 + H, "passing")], T0, T0 + 2 * H) == [
        Span("passing", T0 + H, T0 + 2 * H)
    ]
    assert spans([], T0, T0 + H) == []


def test_a_week_with_two_outages() -> None:
    """Failing then disabled by auto-heal is one outage; the user's off time
    counts for neither side; flaps are changes between up and down."""
    start = T0 + H
    changes = [
        (T0, "passing"),
        (T0 + 2 * D, "failing"),
        (T0 + 2 * D + H, "auto_disabled"),
        (T0 + 3 * D, "passing"),
        (T0 + 5 * D, "failing"),
        (T0 + 5 * D + 6 * H, "passing"),
        (T0 + 6 * D, "user_disabled"),
        (T0 + 6 * D + 12 * H, "passing"),
    ]
    stats = story_stats(changes, start, start + 7 * D)
    assert stats.time_in == {
        "passing": 126 * H,
        "failing": 7 * H,
        "auto_disabled": 23 * H,
        "user_disabled": 12 * H,
    }
    assert stats.uptime_percent == 80.8
    assert stats.outages == (
        Outage(T0 + 2 * D, T0 + 3 * D, ongoing=False),
        Outage(T0 + 5 * D, T0 + 5 * D + 6 * H, ongoing=False),
    )
    assert stats.longest_outage == Outage(T0 + 2 * D, T0 + 3 * D, ongoing=False)
    assert stats.flaps == 4
    assert (stats.auto_disables, stats.user_disables) == (1, 1)


def test_gaps_do_not_end_an_outage_and_count_for_neither_side() -> None:
    """A restart of Home Assistant (unavailable, then not tested yet) in the
    middle of an outage: one outage, still going at the end."""
    changes = [
        (T0, "failing"),
        (T0 + H, "unavailable"),
        (T0 + 2 * H, "untested"),
        (T0 + 3 * H, "failing"),
    ]
    stats = story_stats(changes, T0, T0 + 4 * H)
    assert stats.outages == (Outage(T0, T0 + 4 * H, ongoing=True),)
    assert stats.uptime_percent == 0.0
    assert stats.flaps == 0


def test_the_user_turning_it_off_ends_an_outage() -> None:
    """Off by the user is no outage: the one before it ends there."""
    changes = [(T0, "failing"), (T0 + H, "user_disabled")]
    stats = story_stats(changes, T0, T0 + 3 * H)
    assert stats.outages == (Outage(T0, T0 + H, ongoing=False),)
    assert (stats.auto_disables, stats.user_disables) == (0, 1)


def test_nothing_measured() -> None:
    """Never up or down: no uptime, no outage."""
    stats = story_stats([(T0, "user_disabled")], T0, T0 + D)
    assert stats.uptime_percent is None
    assert stats.longest_outage is None
    # The state it started the window in is no disable seen in it.
    assert stats.user_disables == 0


def test_longest_outage_is_the_latest_of_equals() -> None:
    """Two outages of the same length: the latest is the one to tell."""
    changes = [
        (T0, "failing"),
        (T0 + H, "passing"),
        (T0 + 2 * H, "rate_limited"),
        (T0 + 3 * H, "passing"),
    ]
    stats = story_stats(changes, T0, T0 + 4 * H)
    assert stats.longest_outage == Outage(T0 + 2 * H, T0 + 3 * H, ongoing=False)
    assert stats.uptime_percent == 50.0


def test_cause_history() -> None:
    """Consecutive failures of one cause are one span; passing time is none."""
    changes: list[tuple[datetime, str | None]] = [
        (T0 - H, "auth"),
        (T0 + H, "auth"),
        (T0 + 2 * H, None),
        (T0 + 3 * H, "network"),
        (T0 + 4 * H, "cloudflare"),
    ]
    assert cause_history(changes, T0, T0 + 5 * H) == [
        CauseSpan("auth", T0, T0 + 2 * H),
        CauseSpan("network", T0 + 3 * H, T0 + 4 * H),
        CauseSpan("cloudflare", T0 + 4 * H, T0 + 5 * H),
    ]
    assert cause_history(changes, T0, T0 + 5 * H)[0].duration == 2 * H
