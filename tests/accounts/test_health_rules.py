"""The health board's judging rules, on plain facts: every rule, its level and its words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.call_counts import CallCounts
from accounts.health import (
    AccountFacts,
    AccountHealth,
    JobOutcome,
    Level,
    judge,
)
from accounts.models import ConnectionState, JobKind, LinkStatus

NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
TZ = ZoneInfo("Europe/London")


def ok_run(job: str, label: str = "Job") -> JobOutcome:
    return JobOutcome(job=job, label=label, last_run_at=NOW - timedelta(minutes=5), ok=True)


def failed_run(job: str, label: str, error: str, minutes_ago: int = 25) -> JobOutcome:
    at = NOW - timedelta(minutes=minutes_ago)
    return JobOutcome(job, label, at, ok=False, last_error=error, last_error_at=at)


HEALTHY = AccountFacts(
    account_id=1,
    label="Home",
    status=LinkStatus.ACTIVE,
    connection_state=ConnectionState.ONLINE,
    connection_changed_at=NOW - timedelta(hours=3),
    last_event_at=NOW - timedelta(minutes=1),
    last_sync_at=NOW - timedelta(hours=1),
    access_expires_at=NOW + timedelta(days=20),
    refresh_expires_at=NOW + timedelta(days=50),
    jobs=(ok_run(JobKind.RECONCILE, "Full sync"), ok_run(JobKind.REFRESH_TOKENS, "Token refresh")),
    calls=CallCounts(made=120, refused=2),
)


def health(facts: AccountFacts) -> AccountHealth:
    return AccountHealth(facts, judge(facts, NOW, TZ))


def test_a_healthy_account_is_green_with_no_problem() -> None:
    result = health(HEALTHY)
    assert result.problems == []
    assert result.level is Level.GREEN
    assert (result.level.word, result.level.icon) == ("Healthy", "✓")


def test_a_refused_sign_in_is_red_says_why_and_to_link_again_and_nothing_else() -> None:
    facts = replace(
        HEALTHY,
        status=LinkStatus.NEEDS_RELINK,
        last_error="The eWeLink sign-in is no longer valid.",
        connection_state=ConnectionState.OFFLINE,
    )
    result = health(facts)
    assert result.level is Level.RED
    assert result.level.word == "Broken"
    [problem] = result.problems  # the socket being down follows from it: not listed too
    assert problem.text == (
        "The eWeLink sign-in was refused (The eWeLink sign-in is no longer valid): "
        "link the account again (eWeLink accounts → Relink)."
    )
    assert result.errors[0].source == "Sign-in"


def test_a_disabled_account_is_red() -> None:
    [problem] = judge(replace(HEALTHY, status=LinkStatus.DISABLED), NOW, TZ)
    assert problem.level is Level.RED
    assert "disabled" in problem.text


def test_a_connection_just_dropped_is_amber_with_its_time_in_the_households_zone() -> None:
    facts = replace(
        HEALTHY,
        connection_state=ConnectionState.OFFLINE,
        connection_changed_at=datetime(2026, 12, 2, 14, 25, tzinfo=UTC),
    )
    [problem] = judge(facts, NOW, ZoneInfo("Europe/Berlin"))
    assert problem.level is Level.AMBER
    assert problem.text.startswith("The live connection has been down since 15:25: the worker")
    assert "check that the server can reach eWeLink" in problem.text


def test_a_connection_down_for_long_is_red_and_another_day_names_the_day() -> None:
    since = NOW - timedelta(days=1, minutes=1)
    facts = replace(HEALTHY, connection_state=ConnectionState.OFFLINE, connection_changed_at=since)
    [problem] = judge(facts, NOW, TZ)
    assert problem.level is Level.RED
    assert "down since 1 Dec 14:29" in problem.text


def test_a_connection_being_opened_says_so_and_a_never_opened_one_asks_for_the_worker() -> None:
    opening = replace(
        HEALTHY,
        connection_state=ConnectionState.CONNECTING,
        connection_changed_at=NOW - timedelta(minutes=1),
    )
    assert judge(opening, NOW, TZ)[0].text.startswith(
        "The live connection has been opening since 14:29: the worker retries on its own;"
    )
    never = replace(HEALTHY, connection_state=ConnectionState.OFFLINE, connection_changed_at=None)
    [problem] = judge(never, NOW, TZ)
    assert problem.level is Level.AMBER
    assert "run_realtime" in problem.text


def test_a_failing_sync_after_a_recent_good_one_is_amber_with_the_error_and_resync() -> None:
    failed = failed_run(JobKind.RECONCILE, "Full sync", "The eWeLink cloud had a problem.", 5)
    facts = replace(HEALTHY, jobs=(failed,))
    [problem] = judge(facts, NOW, TZ)
    assert problem.level is Level.AMBER
    assert problem.text == (
        "The last sync failed at 14:25: The eWeLink cloud had a problem; it is retried on its "
        "own, or press Resync on the accounts page."
    )
    stale = replace(facts, last_sync_at=NOW - timedelta(days=2))
    assert judge(stale, NOW, TZ)[0].level is Level.RED
    never = replace(facts, last_sync_at=None)
    assert judge(never, NOW, TZ)[0].level is Level.RED


def test_an_account_never_synced_asks_for_a_resync_unless_one_is_running() -> None:
    facts = replace(HEALTHY, last_sync_at=None, jobs=())
    [problem] = judge(facts, NOW, TZ)
    assert problem.level is Level.AMBER
    assert "never been synced" in problem.text
    assert judge(replace(facts, syncing=True), NOW, TZ) == []


def test_a_sign_in_close_to_expiry_says_why_it_was_not_renewed() -> None:
    refresh = failed_run(JobKind.REFRESH_TOKENS, "Token refresh", "Timed out.")
    facts = replace(HEALTHY, access_expires_at=NOW + timedelta(days=1), jobs=(refresh,))
    [problem] = judge(facts, NOW, TZ)
    assert problem.level is Level.AMBER
    assert problem.text.startswith(
        "The sign-in expires within 2 days, on 3 Dec 14:30 and could not be renewed: Timed out;"
    )
    expired = replace(facts, access_expires_at=NOW - timedelta(hours=1))
    assert "The sign-in expired on 13:30" in judge(expired, NOW, TZ)[0].text


def test_a_failing_refresh_far_from_expiry_and_a_refresh_token_about_to_lapse_are_amber() -> None:
    refresh = failed_run(JobKind.REFRESH_TOKENS, "Token refresh", "Server error.")
    [problem] = judge(replace(HEALTHY, jobs=(refresh,)), NOW, TZ)
    assert problem.level is Level.AMBER
    assert (
        problem.text
        == "Renewing the sign-in failed at 14:05: Server error; it is retried on its own."
    )
    lapsing = replace(HEALTHY, refresh_expires_at=NOW + timedelta(hours=20))
    [problem] = judge(lapsing, NOW, TZ)
    assert "can be renewed only until 3 Dec 10:30" in problem.text


def test_another_failing_job_is_amber_and_says_whether_it_is_retried_soon() -> None:
    firmware = failed_run(JobKind.CHECK_FIRMWARE, "Firmware check", "Network error.")
    [problem] = judge(replace(HEALTHY, jobs=(*HEALTHY.jobs, firmware)), NOW, TZ)
    assert problem.level is Level.AMBER
    assert problem.text == (
        "The firmware check failed at 14:05: Network error; it runs again on its own."
    )
    retrying = replace(firmware, retrying=True)
    assert "retried soon" in judge(replace(HEALTHY, jobs=(retrying,)), NOW, TZ)[0].text


@pytest.mark.parametrize(
    ("made", "refused", "flagged"),
    [(100, 4, False), (100, 19, False), (100, 20, True), (6, 5, True), (0, 0, False)],
)
def test_many_refused_calls_are_amber(made: int, refused: int, flagged: bool) -> None:
    problems = judge(replace(HEALTHY, calls=CallCounts(made, refused)), NOW, TZ)
    assert bool(problems) is flagged
    if flagged:
        assert problems[0].text.startswith(f"The cloud refused {refused} of {made} calls")


def test_unknown_call_counts_are_no_problem() -> None:
    assert judge(replace(HEALTHY, calls=None), NOW, TZ) == []


def test_the_overall_level_is_the_worst_and_problems_come_worst_first() -> None:
    facts = replace(
        HEALTHY,
        connection_state=ConnectionState.OFFLINE,
        connection_changed_at=NOW - timedelta(hours=1),  # red
        jobs=(failed_run(JobKind.SYNC_MESSAGES, "Message sync", "Oops."),),  # amber
    )
    result = health(facts)
    assert [p.level for p in result.problems] == [Level.RED, Level.AMBER]
    assert result.level is Level.RED


def test_errors_list_newest_first_with_their_time() -> None:
    older = failed_run(JobKind.SYNC_HISTORY, "History sync", "Old.", minutes_ago=60)
    newer = failed_run(JobKind.SYNC_MESSAGES, "Message sync", "New.", minutes_ago=2)
    flapping = replace(ok_run(JobKind.CHECK_FIRMWARE), last_error="Kept.", last_error_at=None)
    result = health(replace(HEALTHY, jobs=(older, newer, flapping)))
    assert [e.message for e in result.errors] == ["New.", "Old.", "Kept."]
    assert result.errors[0].at == NOW - timedelta(minutes=2)
