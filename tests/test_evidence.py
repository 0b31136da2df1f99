"""When a health check tests an indexer, and when it trusts other evidence.

Pure rules over plain data (no Home Assistant): real traffic in Prowlarr's
history, the query reserve, and the copies whose Prowlarr is configured.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ai_arr_control.arr import (
    Cause,
    HealthCheck,
    HistoryRecord,
    Indexer,
    TestVerdict as Verdict,
)
from custom_components.ai_arr_control.arr.const import PROWLARR_FLAGS
from custom_components.ai_arr_control.evidence import (
    ALL_SOURCES,
    Check,
    IndexerEvidence,
    Traffic,
    blocked_in_health,
    budget,
    failed_at_source,
    plan_check,
    prowlarr_view,
    summarise_traffic,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LAST = NOW - timedelta(minutes=30)


def at(minutes: float) -> datetime:
    """A moment, in minutes from the last check."""
    return LAST + timedelta(minutes=minutes)


def record(
    row: int,
    when: datetime,
    *,
    ok: bool = True,
    kind: str = "indexerRss",
    app: str = "Sonarr",
) -> HistoryRecord:
    """A row of Prowlarr's history for indexer 4."""
    return HistoryRecord(
        id=row, indexer_id=4, date=when, event_type=kind, successful=ok, source=app
    )


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        pytest.param(IndexerEvidence(enabled=True), Check.TEST, id="no evidence: test"),
        pytest.param(
            IndexerEvidence(enabled=True, paused=True), Check.SKIP, id="quota pause"
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, traffic=Traffic(last_success=at(10)), last_checked=LAST
            ),
            Check.TRAFFIC,
            id="a real query succeeded since the last check",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, traffic=Traffic(last_success=at(-10)), last_checked=LAST
            ),
            Check.TEST,
            id="only before the last check: test",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                traffic=Traffic(last_success=at(5), last_failure=at(10)),
                last_checked=LAST,
            ),
            Check.TEST,
            id="the newest real query failed: a suspect",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, queries=budget(100, timedelta(days=1), [at(0)] * 90, NOW)
            ),
            Check.SKIP,
            id="10 left of 100: at the reserve",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, queries=budget(100, timedelta(days=1), [at(0)] * 89, NOW)
            ),
            Check.TEST,
            id="11 left of 100: above the reserve",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, is_copy_of_known_source=True, source_failing=False
            ),
            Check.SOURCE,
            id="a copy: Prowlarr's verdict",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                is_copy_of_known_source=True,
                source_failing=False,
                named_in_health=True,
            ),
            Check.TEST,
            id="a copy the app blocks while Prowlarr passes it: a suspect",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                is_copy_of_known_source=True,
                source_failing=True,
                named_in_health=True,
            ),
            Check.SOURCE,
            id="a copy the app blocks because its source fails: Prowlarr's verdict",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                is_copy_of_known_source=True,
                source_failing=False,
                traffic=Traffic(last_failure=at(3)),
                last_checked=LAST,
            ),
            Check.TEST,
            id="a copy whose latest real query in this app failed: a suspect",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                is_copy_of_known_source=True,
                source_failing=True,
                traffic=Traffic(last_success=at(3)),
                last_checked=LAST,
            ),
            Check.TRAFFIC,
            id="a copy this app just used successfully",
        ),
        pytest.param(
            IndexerEvidence(enabled=True, warned=True, last_tested=at(-600)),
            Check.SKIP,
            id="passed with a warning 10 h ago: the app would record the test as a failure",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, warned=True, last_tested=NOW - timedelta(hours=25)
            ),
            Check.TEST,
            id="passed with a warning a day ago: tested again",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, warned=True, last_tested=at(-60), settings_changed=True
            ),
            Check.TEST,
            id="passed with a warning, settings changed since: tested",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True, warned=True, last_tested=at(-60), named_in_health=True
            ),
            Check.SKIP,
            id="passed with a warning, named by the app (as our test made it): not tested",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                is_copy_of_known_source=True,
                source_failing=False,
                named_in_health=True,
                queries=budget(100, timedelta(days=1), [at(0)] * 100, NOW),
            ),
            Check.LIMIT,
            id="a copy the app blocks while its source's query limit is reached",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                is_copy_of_known_source=True,
                source_failing=False,
                named_in_health=True,
                queries=budget(100, timedelta(days=1), [at(0)] * 95, NOW),
            ),
            Check.SOURCE,
            id="a blocked copy whose source is within its reserve: no test through it",
        ),
        pytest.param(
            IndexerEvidence(
                enabled=True,
                is_copy_of_known_source=True,
                source_failing=False,
                named_in_health=True,
                suspect_tested=True,
            ),
            Check.BLOCKED,
            id="a blocked copy already tested while blocked: that verdict stands",
        ),
    ],
)
def test_plan_check(evidence: IndexerEvidence, expected: Check) -> None:
    """Test only where nothing else tells."""
    assert plan_check(evidence, reserve_percent=10, now=NOW) is expected


def test_heal_run_confirms_a_blocked_copy() -> None:
    """The heal run tests a blocked copy again before it acts on it."""
    evidence = IndexerEvidence(
        enabled=True,
        is_copy_of_known_source=True,
        source_failing=False,
        named_in_health=True,
        suspect_tested=True,
    )
    assert plan_check(evidence, reserve_percent=10, now=NOW, confirm=True) is Check.TEST


def test_reserve_is_a_share_with_a_floor() -> None:
    """10 % of the limit, at least one query."""
    assert budget(100, timedelta(days=1), [], NOW).reserve(10) == 10
    assert budget(5, timedelta(days=1), [], NOW).reserve(10) == 1
    assert budget(5, timedelta(days=1), [], NOW).reserve(0) == 1


def test_budgets_over_a_rolling_window() -> None:
    """Prowlarr counts queries and RSS syncs in a rolling window (IndexerLimitService)."""
    rows = [
        record(1, NOW - timedelta(hours=25)),
        record(2, NOW - timedelta(hours=20)),
        record(3, NOW - timedelta(hours=1), kind="indexerQuery", ok=False),
        record(4, NOW - timedelta(hours=2), kind="releaseGrabbed"),
        record(5, NOW - timedelta(minutes=30), kind="indexerAuth"),
    ]
    indexer = Indexer.from_json(
        {
            "id": 4,
            "name": "UsenetPrime",
            "enable": True,
            "fields": [
                {"name": "baseSettings.queryLimit", "value": 3},
                {"name": "baseSettings.grabLimit", "value": 1},
                {"name": "baseSettings.limitsUnit", "value": 0},
            ],
        },
        PROWLARR_FLAGS,
    )
    view = prowlarr_view([indexer], rows, NOW)
    queries = view.queries[4]
    assert (queries.limit, queries.used, queries.left) == (3, 2, 1)
    assert queries.resets_at == NOW + timedelta(hours=4)
    grabs = view.grabs[4]
    assert (grabs.used, grabs.left) == (1, 0)
    hourly = Indexer.from_json(
        {
            "id": 4,
            "name": "UsenetPrime",
            "fields": [
                {"name": "baseSettings.queryLimit", "value": 3},
                {"name": "baseSettings.limitsUnit", "value": 1},
            ],
        },
        PROWLARR_FLAGS,
    )
    assert prowlarr_view([hourly], rows, NOW).queries[4].used == 1
    assert 4 not in prowlarr_view([hourly], rows, NOW).grabs


def test_traffic_per_app() -> None:
    """The newest success and failure, per app and for all apps."""
    traffic = summarise_traffic(
        [
            record(1, at(1), app="Radarr"),
            record(2, at(2), ok=False, app="Sonarr"),
            record(3, at(3), app="Sonarr"),
            record(4, at(4), kind="releaseGrabbed", ok=False, app="Sonarr"),
        ]
    )[4]
    assert traffic["Radarr"] == Traffic(last_success=at(1))
    assert traffic["Sonarr"] == Traffic(last_success=at(3), last_failure=at(2))
    assert traffic[ALL_SOURCES].since(LAST) is True
    assert Traffic(last_success=at(1), last_failure=at(2)).since(LAST) is False
    assert Traffic().since(LAST) is None


def test_names_in_the_apps_health() -> None:
    """Names are joined with ", " and may contain commas; "All indexers" names all."""
    checks = [
        HealthCheck(
            "IndexerStatusCheck",
            "warning",
            "Indexers unavailable due to failures: Geek, NZB (Prowlarr), Tipsy",
        ),
        HealthCheck("IndexerRssCheck", "warning", "No indexers: Other"),
    ]
    names = blocked_in_health(checks)
    assert "Geek, NZB (Prowlarr)" in names
    assert "Tipsy" in names
    # Whole names only: not a name that another one starts with.
    assert "Tips" not in names
    assert "Geek, NZB" not in names
    assert "Other" not in names
    one = blocked_in_health(
        [
            HealthCheck(
                "IndexerLongTermStatusCheck",
                "warning",
                "Indexers unavailable due to failures for more than 6 hours: Solo",
            )
        ]
    )
    assert "Solo" in one
    assert "Sol" not in one
    assert "Geek" not in blocked_in_health([])
    everything = blocked_in_health(
        [HealthCheck("IndexerStatusCheck", "error", "All indexers are unavailable")]
    )
    assert "Anything" in everything


NO_RESULTS = Verdict(
    passed=False,
    message="Query successful, but no results in the configured categories were "
    "returned from your indexer.",
    cause=Cause.CONFIG,
    setting="Categories",
)


@pytest.mark.parametrize(
    ("verdict", "before", "after", "expected"),
    [
        # The test's query failed at the site: the source's failure.
        (NO_RESULTS, Traffic(last_failure=at(1)), Traffic(last_failure=at(5)), True),
        (NO_RESULTS, None, Traffic(last_failure=at(5)), True),
        (NO_RESULTS, Traffic(last_success=at(1)), Traffic(at(1), at(5)), True),
        # The test's query succeeded (no results): its categories.
        (NO_RESULTS, Traffic(last_failure=at(1)), Traffic(at(5), at(1)), False),
        (NO_RESULTS, None, Traffic(last_success=at(5)), False),
        # Prowlarr's history not read again, or nothing of this app in it.
        (NO_RESULTS, Traffic(last_failure=at(1)), None, False),
        (NO_RESULTS, None, None, False),
        # Another setting, another cause, a pass: nothing to tell apart.
        (
            Verdict(passed=False, cause=Cause.CONFIG, setting="Seed Ratio"),
            None,
            Traffic(last_failure=at(5)),
            False,
        ),
        (
            Verdict(passed=False, cause=Cause.UPSTREAM),
            None,
            Traffic(last_failure=at(5)),
            False,
        ),
        (Verdict(passed=True), None, Traffic(last_failure=at(5)), False),
    ],
)
def test_no_results_through_prowlarr_told_apart(
    verdict: Verdict,
    before: Traffic | None,
    after: Traffic | None,
    expected: bool,
) -> None:
    """ "No results in the configured categories" is a failing site when the
    app's query made by the test is recorded as failed in Prowlarr's history,
    a setting when it succeeded."""
    assert failed_at_source(verdict, before, after) is expected
