"""The account page's job line reads as words, not as a log of the job's result."""

from __future__ import annotations

from accounts.models import JobKind, TaskRun


def test_a_token_refresh_says_until_when_the_sign_in_is_valid() -> None:
    expires = "2027-01-01T02:55:37.386000+00:00"
    renewed = TaskRun(
        task=JobKind.REFRESH_TOKENS, result={"refreshed": True, "access_expires_at": expires}
    )
    assert renewed.summary == "sign-in renewed, valid until 1 Jan 2027"
    checked = TaskRun(
        task=JobKind.REFRESH_TOKENS, result={"refreshed": False, "access_expires_at": expires}
    )
    assert checked.summary == "sign-in valid until 1 Jan 2027"
    assert TaskRun(task=JobKind.REFRESH_TOKENS, result={"refreshed": False}).summary == ""


def test_other_jobs_list_their_counts_without_flags() -> None:
    run = TaskRun(
        task=JobKind.RECONCILE,
        result={"created": {"things": 2, "homes": 1}, "partial": False, "devices": 28},
    )
    assert run.summary == "created 3, devices 28"
