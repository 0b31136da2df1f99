"""Tests for the HTTP-free state model: back-off details and Prowlarr mapping."""

from datetime import UTC, datetime, timedelta

from arr_simulator import load_config
from arr_simulator.state import InstanceState

from .helpers import FakeClock

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def radarr_state(clock: FakeClock) -> InstanceState:
    """Return the default Radarr's state on a fake clock."""
    return InstanceState(load_config().instance("radarr"), clock=clock)


def test_minimum_backoff_raises_the_level() -> None:
    """A Retry-After longer than the level's period escalates further (§8)."""
    clock = FakeClock(START)
    state = radarr_state(clock)
    state.record_failure(1, minimum_backoff=timedelta(minutes=20))
    status = state.status(1)
    assert status.escalation_level == 4
    assert status.disabled_till == START + timedelta(minutes=30)


def test_success_without_failures_is_a_no_op() -> None:
    """RecordSuccess on a clean indexer changes nothing."""
    state = radarr_state(FakeClock(START))
    state.record_success(1)
    assert state.status(1).escalation_level == 0
    assert 1 not in state.statuses


def test_blocked_until_disabled_till() -> None:
    """An indexer is blocked while disabledTill is in the future."""
    clock = FakeClock(START)
    state = radarr_state(clock)
    state.record_failure(2)
    assert state.blocked_ids() == [2]
    clock.now = START + timedelta(minutes=1)
    assert state.blocked_ids() == []
    # Still level 1: the next failure escalates to level 2.
    state.record_failure(2)
    assert state.status(2).escalation_level == 2


def test_seeded_failures_start_in_backoff() -> None:
    """`failures = N` in the config records N failures at seed time."""
    clock = FakeClock(START)
    state = InstanceState(load_config().instance("prowlarr"), clock=clock)
    status = state.status(6)
    assert status.escalation_level == 2
    assert status.disabled_till == START + timedelta(minutes=5)


def test_prowlarr_mapping_needs_a_prowlarr() -> None:
    """Without a linked Prowlarr nothing counts as synced."""
    state = radarr_state(FakeClock(START))
    assert state.prowlarr_id_of(state.indexers[1]) is None
