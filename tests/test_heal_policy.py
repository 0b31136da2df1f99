"""The heal policy as tables of health-check sequences (no Home Assistant)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from custom_components.ai_arr_control.arr import Cause
from custom_components.ai_arr_control.heal import (
    POLICIES,
    Action,
    HealSettings,
    IndexerFacts,
    NoticeKind,
    Owned,
    Route,
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


# One letter per check: P passed (W: passed with a warning only), or a failure
# with its cause.
CAUSES = {
    "F": Cause.NETWORK,
    "A": Cause.AUTH,
    "Q": Cause.QUOTA,
    "X": Cause.CLOUDFLARE,
    "S": Cause.SITE_ERROR,
    "C": Cause.CONFIG,
    "U": Cause.UPSTREAM,
    "?": Cause.UNKNOWN,
}


def replay(
    verdicts: Mapping[str, str],
    *,
    settings: HealSettings | None = None,
    flags: Mapping[str, Mapping[str, bool]] | None = None,
    holds: frozenset[str] = frozenset(),
    routes: Mapping[str, Route] | None = None,
    source_failing: Mapping[str, bool | None] | None = None,
    notices: bool = False,
) -> list[str]:
    """Run the policy over health checks and return what it did, check by check.

    ``verdicts`` maps an indexer name to one letter per check (see CAUSES).
    Each check the indexers are tested (disabled ones only while the policy owns
    them, as the heal coordinator does), then the plan is applied. ``notices``
    adds the repairs notices of each check to the log.
    """
    settings = settings or HealSettings()
    names = list(verdicts)
    ids = {name: number for number, name in enumerate(names, start=1)}
    current = {name: dict((flags or {}).get(name, ALL_ON)) for name in names}
    failures = dict.fromkeys(names, 0)
    strikes = dict.fromkeys(names, 0)
    causes: dict[str, Cause | None] = dict.fromkeys(names)
    owned: dict[int, Owned] = {}
    log: list[str] = []
    for check in range(len(next(iter(verdicts.values())))):
        facts = []
        for name in names:
            tested = any(current[name].values()) or ids[name] in owned
            letter = verdicts[name][check] if tested else None
            passed = None if letter is None else letter in "PW"
            if letter is not None:
                failures[name] = 0 if passed else failures[name] + 1
                causes[name] = None if passed else CAUSES[letter]
                strikes[name] = (
                    0 if passed else strikes[name] + POLICIES[CAUSES[letter]].disables
                )
            facts.append(
                IndexerFacts(
                    id=ids[name],
                    name=name,
                    flags=current[name],
                    consecutive_failures=failures[name],
                    strikes=strikes[name],
                    passed=passed,
                    cause=causes[name],
                    route=(routes or {}).get(name, Route.DIRECT),
                    source_failing=(source_failing or {}).get(name),
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
        if notices:
            log.extend(f"{check + 1}:notice {n.name} {n.kind}" for n in plan.notices)
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


@pytest.mark.parametrize(
    ("letters", "expected"),
    [
        pytest.param("AAAA", ["2:disable X"], id="auth: disabled after 2 failures"),
        pytest.param("XXXX", ["2:disable X"], id="cloudflare: disabled after 2"),
        pytest.param("SSSS", ["2:disable X"], id="site_error: disabled after 2"),
        pytest.param("????", ["2:disable X"], id="unknown: disabled after 2"),
        pytest.param("QQQQ", [], id="quota: never disabled"),
        pytest.param("CCCC", [], id="config: never disabled"),
        pytest.param("WWWW", [], id="a warning only is a pass"),
        pytest.param(
            "AQAQ", ["3:disable X"], id="a quota neither counts nor resets the count"
        ),
        pytest.param("QQQAA", ["5:disable X"], id="two auth failures after quotas"),
        pytest.param("QQQA", [], id="quotas before one auth failure do not count"),
    ],
)
def test_cause_policies(letters: str, expected: list[str]) -> None:
    """The policy table: what each cause leads to."""
    verdicts = {"X": letters, "A": "P" * len(letters), "B": "P" * len(letters)}
    log = replay(verdicts)
    assert [
        entry for entry in log if entry.endswith(tuple(expected)) or " X" in entry
    ] == expected


@pytest.mark.parametrize(
    ("letter", "outage"),
    [
        ("F", True),
        ("S", True),
        ("?", True),
        ("U", True),
        ("A", False),
        ("X", False),
        ("Q", False),
        ("C", False),
    ],
)
def test_causes_that_count_toward_an_outage(letter: str, outage: bool) -> None:
    """Network, site errors, unknown and Prowlarr refusing look correlated when
    they come together; credentials, Cloudflare, quotas and settings never do."""
    verdicts = {"X": letter * 2, "Y": letter * 2, "Z": letter * 2, "A": "PP"}
    log = replay(verdicts)
    skipped_for_outage = [entry for entry in log if entry.endswith("outage")]
    assert bool(skipped_for_outage) is outage


def test_notices_name_what_to_act_on() -> None:
    """Repairs notices: a setting to fix, credentials, Cloudflare; after the same
    number of failures that would disable, and not for a quota."""
    log = replay(
        {
            "Cfg": "CCC",
            "Auth": "AAA",
            "Cf": "XXX",
            "Quota": "QQQ",
            "A": "PPP",
            "B": "PPP",
        },
        notices=True,
    )
    assert [e for e in log if ":notice" in e] == [
        "2:notice Cfg config",
        "2:notice Auth auth",
        "2:notice Cf cloudflare",
        # Disabled, it is still reported while it keeps failing.
        "3:notice Cfg config",
        "3:notice Auth auth",
        "3:notice Cf cloudflare",
    ]


def test_full_sync_copy_is_decided_by_prowlarr() -> None:
    """A Full Sync copy is never changed in the app; failing only here (Prowlarr's
    own test passes), it is reported; failing in Prowlarr too, Prowlarr decides
    and the app says nothing."""
    routes = {"Copy": Route.SOURCE, "Both": Route.SOURCE}
    log = replay(
        {"Copy": "FFF", "Both": "FFF", "A": "PPP", "B": "PPP", "C": "PPP"},
        routes=routes,
        source_failing={"Copy": False, "Both": True},
        notices=True,
    )
    assert log == [
        "2:skip Copy managed_by_prowlarr",
        "2:skip Both managed_by_prowlarr",
        "2:notice Copy app_local",
        "3:skip Copy managed_by_prowlarr",
        "3:skip Both managed_by_prowlarr",
        "3:notice Copy app_local",
    ]


def test_full_sync_copy_with_a_setting_to_fix() -> None:
    """A copy failing on its categories is a setting to fix, not an app-local
    failure; when Prowlarr fails too, a broken site looks like "no results"
    through Prowlarr, so nothing is said."""
    log = replay(
        {"Cats": "CC", "Site": "CC", "A": "PP"},
        routes={"Cats": Route.SOURCE, "Site": Route.SOURCE},
        source_failing={"Cats": False, "Site": True},
        notices=True,
    )
    assert [e for e in log if ":notice" in e] == ["2:notice Cats config"]


def test_add_only_copy_is_decided_in_the_app() -> None:
    """Under Add and Remove Only the app's change lasts: disabled and restored
    there, also when Prowlarr refuses it (410 once disabled at the source)."""
    log = replay(
        {"Copy": "UUUPP", "A": "PPPPP", "B": "PPPPP"},
        routes={"Copy": Route.APP},
        source_failing={"Copy": True},
    )
    assert log == ["2:disable Copy", "4:enable Copy"]


@pytest.mark.parametrize("route", [Route.SOURCE, Route.APP])
def test_copy_failing_at_its_source_site_is_left_to_prowlarr(route: Route) -> None:
    """A copy whose site failed the app's query through Prowlarr (Prowlarr's
    own test passes): not disabled in the app, even with strikes, and no
    app-local issue or setting to fix is reported."""
    facts = [
        IndexerFacts(
            id=1,
            name="Copy",
            flags=ALL_ON,
            consecutive_failures=4,
            strikes=4,
            passed=False,
            cause=Cause.SITE_ERROR,
            route=route,
            source_failing=False,
            at_source=True,
        ),
        *(
            IndexerFacts(id=i, name=f"Other {i}", flags=ALL_ON, passed=True)
            for i in (2, 3, 4)
        ),
    ]
    plan = plan_heal(facts, {}, set(), HealSettings())
    assert plan.decisions == ()
    assert [(s.name, s.reason) for s in plan.skipped] == [
        ("Copy", SkipReason.MANAGED_BY_PROWLARR)
    ]
    assert plan.notices == ()


def test_no_flip_flop_when_failing_in_one_app_only() -> None:
    """The cycle the old heal made (disable at the source, re-enable when
    Prowlarr's own test passes, again and again) cannot happen: a Full Sync
    copy failing in one app only is never acted on."""
    log = replay(
        {"Copy": "F" * 12, "A": "P" * 12, "B": "P" * 12},
        routes={"Copy": Route.SOURCE},
        source_failing={"Copy": False},
    )
    assert not [e for e in log if "disable" in e or "enable" in e]


def test_prowlarr_synced_without_prowlarr_is_left_alone() -> None:
    """Without its Prowlarr configured, the sync level is unknown: report it."""
    log = replay(
        {"Synced (Prowlarr)": "FF", "A": "PP"},
        routes={"Synced (Prowlarr)": Route.UNKNOWN_SOURCE},
    )
    assert log == ["2:skip Synced (Prowlarr) no_prowlarr"]


def test_skips_and_decisions_carry_the_cause() -> None:
    """Plans say why: the cause travels with every decision and skip."""
    facts = [
        IndexerFacts(
            id=1,
            name="Auth",
            flags=ALL_ON,
            passed=False,
            consecutive_failures=2,
            strikes=2,
            cause=Cause.AUTH,
            message="Invalid API Key",
        ),
        IndexerFacts(
            id=2,
            name="Cfg",
            flags=ALL_ON,
            passed=False,
            consecutive_failures=2,
            strikes=2,
            cause=Cause.CONFIG,
            setting="Download Client",
        ),
        IndexerFacts(id=3, name="A", flags=ALL_ON, passed=True),
    ]
    plan = plan_heal(facts, {}, (), HealSettings())
    (decision,) = plan.decisions
    assert (decision.cause, decision.reason) == (Cause.AUTH, "Invalid API Key")
    (skipped,) = plan.skipped
    assert (skipped.cause, skipped.reason) == (Cause.CONFIG, SkipReason.CAUSE)
    config = plan.notices_of(NoticeKind.CONFIG)
    assert [(n.name, n.setting) for n in config] == [("Cfg", "Download Client")]


def test_every_cause_has_a_policy() -> None:
    """The policy table covers every cause."""
    assert set(POLICIES) == set(Cause)


def test_unreachable_instance_decides_nothing() -> None:
    """No facts can be trusted when the instance cannot be reached."""
    plan = plan_heal(
        [
            IndexerFacts(
                id=1,
                name="X",
                flags=ALL_ON,
                passed=False,
                consecutive_failures=5,
                strikes=5,
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


def _failing(indexer_id: int, *, borrowed: bool = False) -> IndexerFacts:
    return IndexerFacts(
        id=indexer_id,
        name=f"F{indexer_id}",
        flags=ALL_ON,
        passed=False,
        cause=Cause.NETWORK,
        consecutive_failures=2,
        strikes=2,
        route=Route.APP if borrowed else Route.DIRECT,
        borrowed=borrowed,
    )


def _passing(indexer_id: int, *, borrowed: bool = False) -> IndexerFacts:
    return IndexerFacts(
        id=indexer_id,
        name=f"P{indexer_id}",
        flags=ALL_ON,
        passed=True,
        route=Route.APP if borrowed else Route.DIRECT,
        borrowed=borrowed,
    )


def test_outage_among_the_apps_own_verdicts() -> None:
    """The app's network fails: 3 of its 4 own indexers fail their tests. Its 6
    copies pass, but that is Prowlarr's verdict (not tested here) and says
    nothing about the app's network: still an outage, nothing disabled."""
    facts = [_failing(1), _failing(2), _failing(3), _passing(4)] + [
        _passing(i, borrowed=True) for i in range(10, 16)
    ]
    plan = plan_heal(facts, {}, (), HealSettings())
    assert (plan.outage, plan.failing, plan.enabled) == (True, 3, 4)
    assert plan.of(Action.DISABLE) == []


def test_outage_among_prowlarrs_verdicts() -> None:
    """Prowlarr's indexers fail together (Prowlarr's own network): an Add-Only
    app does not disable the copies that borrow those verdicts."""
    facts = [_passing(1), _passing(2)] + [
        _failing(i, borrowed=True) for i in range(10, 13)
    ]
    plan = plan_heal(facts, {}, (), HealSettings())
    assert (plan.outage, plan.failing, plan.enabled) == (True, 3, 3)
    assert plan.of(Action.DISABLE) == []
