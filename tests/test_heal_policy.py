"""The heal policy as tables of health-check sequences (no Home Assistant)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from custom_components.ai_arr_control.heal import (
    Action,
    HealSettings,
    IndexerFacts,
    Owned,
    SkipReason,
    plan_heal,
)

ALL_ON = {
    "enableRss": True,
    "enableAutomaticSearch": True,
    "enableInteractiveSearch": True,
}
ALL_OFF = dict.fromkeys(ALL_ON, False)
RSS_ONLY = {
    "enableRss": True,
    "enableAutomaticSearch": False,
    "enableInteractiveSearch": False,
}


def replay(
    verdicts: Mapping[str, str],
    *,
    settings: HealSettings | None = None,
    flags: Mapping[str, Mapping[str, bool]] | None = None,
    holds: frozenset[str] = frozenset(),
    synced: Mapping[str, int | None] | None = None,
) -> list[str]:
    """Run the policy over health checks and return what it did, check by check.

    ``verdicts`` maps an indexer name to one letter per check: P passed, F failed.
    Each check the indexers are tested (disabled ones only while the policy owns
    them, as the heal coordinator does), then the plan is applied.
    """
    settings = settings or HealSettings()
    names = list(verdicts)
    ids = {name: number for number, name in enumerate(names, start=1)}
    current = {name: dict((flags or {}).get(name, ALL_ON)) for name in names}
    failures = dict.fromkeys(names, 0)
    owned: dict[int, Owned] = {}
    log: list[str] = []
    for check in range(len(next(iter(verdicts.values())))):
        facts = []
        for name in names:
            tested = any(current[name].values()) or ids[name] in owned
            passed = verdicts[name][check] == "P" if tested else None
            if passed is not None:
                failures[name] = 0 if passed else failures[name] + 1
            prowlarr_id = (synced or {}).get(name)
            facts.append(
                IndexerFacts(
                    id=ids[name],
                    name=name,
                    flags=current[name],
                    consecutive_failures=failures[name],
                    passed=passed,
                    synced=name in (synced or {}),
                    prowlarr_indexer_id=prowlarr_id,
                )
            )
        plan = plan_heal(facts, owned, {ids[name] for name in holds}, settings)
        for decision in plan.decisions:
            log.append(f"{check + 1}:{decision.action} {decision.name}")
            if decision.action is Action.DISABLE:
                owned[decision.indexer_id] = Owned(
                    flags=decision.flags, reason=decision.reason
                )
                current[decision.name] = dict.fromkeys(current[decision.name], False)
            elif decision.action is Action.ENABLE:
                del owned[decision.indexer_id]
                current[decision.name] = dict(decision.flags)
        log.extend(f"{check + 1}:skip {s.name} {s.reason}" for s in plan.skipped)
    return log


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        pytest.param(
            {"Flappy": "PFPFPFPF", "A": "PPPPPPPP", "B": "PPPPPPPP"},
            [],
            id="a flapping indexer is never disabled",
        ),
        pytest.param(
            {"Broken": "PFFFFFFF", "A": "PPPPPPPP", "B": "PPPPPPPP"},
            ["3:disable Broken"],
            id="a steady failure is disabled after 2 failures and stays off",
        ),
        pytest.param(
            {"Broken": "FFFFPPPP", "A": "PPPPPPPP", "B": "PPPPPPPP"},
            ["2:disable Broken", "5:enable Broken"],
            id="it comes back as soon as it passes",
        ),
        pytest.param(
            {"X": "PFFFFPPP", "Y": "PFFFFPPP", "Z": "PFFFFPPP", "A": "PPPPPPPP"},
            [f"{check}:skip {name} outage" for check in (3, 4, 5) for name in "XYZ"],
            id="three of four failing together is an outage: nothing disabled",
        ),
        pytest.param(
            {"X": "FFFF", "Y": "FFFF", "A": "PPPP", "B": "PPPP"},
            ["2:disable X", "2:disable Y"],
            id="two broken on a small instance are not an outage",
        ),
        pytest.param(
            {"Only": "FFFFFF"},
            [
                "2:skip Only last_enabled",
                "3:skip Only last_enabled",
                "4:skip Only last_enabled",
                "5:skip Only last_enabled",
                "6:skip Only last_enabled",
            ],
            id="the last enabled indexer is kept",
        ),
        pytest.param(
            {"X": "PFF", "Y": "FFF"},
            ["2:disable Y", "3:skip X last_enabled"],
            id="of two failing, one is kept (the one failing longest goes)",
        ),
    ],
)
def test_sequences(verdicts: dict[str, str], expected: list[str]) -> None:
    """Table of check sequences and what the policy does."""
    assert replay(verdicts, settings=HealSettings(outage_percent=50)) == expected


def test_two_of_five_failing_is_not_an_outage_at_50_percent() -> None:
    """The outage threshold needs both the share and the count."""
    verdicts = {"X": "FF", "Y": "FF", "A": "PP", "B": "PP", "C": "PP"}
    assert replay(verdicts) == ["2:disable X", "2:disable Y"]
    three = {"X": "FF", "Y": "FF", "Z": "FF", "A": "PP", "B": "PP", "C": "PP"}
    assert replay(three) == [f"{c}:skip {n} outage" for c in (2,) for n in "XYZ"]


def test_failures_to_disable_option() -> None:
    """N is an option: 3 failures in a row before disabling."""
    verdicts = {"Broken": "FFFFF", "A": "PPPPP"}
    assert replay(verdicts, settings=HealSettings(failures_to_disable=3)) == [
        "3:disable Broken"
    ]


def test_exact_flags_restored() -> None:
    """RSS on, searches off before: exactly that after recovery."""
    facts = [
        IndexerFacts(id=1, name="R", flags=ALL_OFF, passed=True),
        IndexerFacts(id=2, name="A", flags=ALL_ON, passed=True),
    ]
    plan = plan_heal(facts, {1: Owned(flags=RSS_ONLY, reason="x")}, (), HealSettings())
    (decision,) = plan.decisions
    assert (decision.action, decision.flags) == (Action.ENABLE, RSS_ONLY)


def test_user_disabled_is_never_touched() -> None:
    """Disabled by the user (not by the policy): never tested back, never enabled."""
    verdicts = {"Off": "PPPP", "A": "PPPP", "B": "FFFF", "C": "PPPP"}
    log = replay(verdicts, flags={"Off": ALL_OFF})
    assert [entry for entry in log if "Off" in entry] == []


def test_user_hold_is_untouched() -> None:
    """Held by the user: neither disabled while failing nor enabled while passing."""
    assert replay(
        {"Held": "FFFF", "A": "PPPP", "B": "PPPP"}, holds=frozenset({"Held"})
    ) == ["2:skip Held user_hold", "3:skip Held user_hold", "4:skip Held user_hold"]
    facts = [
        IndexerFacts(id=1, name="Held", flags=ALL_OFF, passed=True),
        IndexerFacts(id=2, name="A", flags=ALL_ON, passed=True),
    ]
    plan = plan_heal(facts, {1: Owned(flags=ALL_ON, reason="x")}, {1}, HealSettings())
    assert plan.decisions == ()


def test_prowlarr_synced_is_healed_at_the_source() -> None:
    """A synced indexer is disabled in Prowlarr when that Prowlarr is configured."""
    log = replay(
        {"Synced (Prowlarr)": "FFF", "A": "PPP", "B": "PPP"},
        synced={"Synced (Prowlarr)": 12},
    )
    assert log == [
        "2:disable_in_prowlarr Synced (Prowlarr)",
        "3:disable_in_prowlarr Synced (Prowlarr)",
    ]
    facts = [
        IndexerFacts(
            id=1,
            name="S",
            flags=ALL_ON,
            passed=False,
            consecutive_failures=2,
            synced=True,
            prowlarr_indexer_id=12,
        ),
        IndexerFacts(id=2, name="A", flags=ALL_ON, passed=True),
    ]
    (decision,) = plan_heal(facts, {}, (), HealSettings()).decisions
    assert (decision.action, decision.prowlarr_indexer_id) == (
        Action.DISABLE_IN_PROWLARR,
        12,
    )


def test_prowlarr_synced_without_prowlarr_is_left_alone() -> None:
    """Without its Prowlarr configured, Full Sync would undo a change: report it."""
    log = replay(
        {"Synced (Prowlarr)": "FF", "A": "PP"}, synced={"Synced (Prowlarr)": None}
    )
    assert log == ["2:skip Synced (Prowlarr) no_prowlarr"]


def test_unreachable_instance_decides_nothing() -> None:
    """No facts can be trusted when the instance cannot be reached."""
    plan = plan_heal(
        [
            IndexerFacts(
                id=1, name="X", flags=ALL_ON, passed=False, consecutive_failures=5
            )
        ],
        {2: Owned(flags=ALL_ON, reason="x")},
        (),
        HealSettings(),
        reachable=False,
    )
    assert (plan.decisions, plan.outage, plan.reachable) == ((), True, False)


def test_released_when_gone_or_turned_on_by_the_user() -> None:
    """The ledger lets go of deleted indexers and of ones the user turned on in the app."""
    facts = [
        IndexerFacts(id=1, name="TurnedOn", flags=ALL_ON, passed=False),
        IndexerFacts(id=3, name="A", flags=ALL_ON, passed=True),
    ]
    owned = {1: Owned(flags=ALL_ON, reason="x"), 2: Owned(flags=ALL_ON, reason="y")}
    plan = plan_heal(facts, owned, (), HealSettings())
    assert plan.released == (1, 2)
    assert plan.decisions == ()
    assert plan.skipped_for(SkipReason.OUTAGE) == []
