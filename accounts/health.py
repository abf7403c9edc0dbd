"""How each linked account is doing, in facts and in words: the account health board.

`judge` is pure: it takes an `AccountFacts` (plain values) and says what is wrong, each
problem with a level and a sentence saying what to do, so every rule is tested with plain
objects. `household_health` and `account_health` gather the facts with a fixed number of
queries (accounts with their newest device update, their job runs in one prefetch, and the
call counts in one Redis round trip), whatever the number of accounts.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from accounts.call_counts import CallCounts, calls_last_day
from accounts.models import ConnectionState, Household, JobKind, LinkedAccount, LinkStatus

# A socket down longer than this is broken, not reconnecting.
CONNECTION_GRACE = timedelta(minutes=10)
# The token refresh job renews a week ahead (TOKEN_REFRESH_AHEAD): this close, it has failed.
EXPIRY_WARNING = timedelta(days=2)
# A sync older than this makes a failing sync red (the pages show day-old state).
SYNC_STALE = timedelta(days=1)
# Refusals worth a word: at least this many, and at least this share of the calls.
REFUSED_MIN, REFUSED_SHARE = 5, 0.2
RELINK = "link the account again (eWeLink accounts → Relink)"


class Level(enum.IntEnum):
    """Worse is greater, so the overall level is the max of the problems'."""

    GREEN = 0
    AMBER = 1
    RED = 2

    @property
    def word(self) -> str:
        return {0: "Healthy", 1: "Needs attention", 2: "Broken"}[self.value]

    @property
    def icon(self) -> str:
        return {0: "✓", 1: "!", 2: "✕"}[self.value]

    @property
    def css(self) -> str:
        return {0: "ok", 1: "warn", 2: "danger"}[self.value]


@dataclass(frozen=True)
class Problem:
    level: Level
    text: str  # what is wrong, then what to do


@dataclass(frozen=True)
class JobOutcome:
    """The last run of one background job."""

    job: str
    label: str
    last_run_at: datetime | None
    ok: bool
    summary: str = ""
    last_error: str = ""
    last_error_at: datetime | None = None
    retrying: bool = False
    skipped: str = ""  # why the last run did nothing ("busy with reconcile"); not a failure


@dataclass(frozen=True)
class AccountFacts:
    """Everything the board shows of one account, as plain values."""

    account_id: int
    label: str
    status: str
    connection_state: str
    connection_changed_at: datetime | None = None
    last_error: str = ""
    last_event_at: datetime | None = None
    last_sync_at: datetime | None = None
    syncing: bool = False
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    jobs: Sequence[JobOutcome] = ()
    calls: CallCounts | None = None  # None: unknown (Redis unreachable)

    @property
    def status_label(self) -> str:
        return str(LinkStatus(self.status).label)

    @property
    def connection_label(self) -> str:
        return str(ConnectionState(self.connection_state).label)

    def job(self, kind: str) -> JobOutcome | None:
        return next((run for run in self.jobs if run.job == kind), None)


@dataclass(frozen=True)
class ErrorEntry:
    at: datetime | None
    source: str
    message: str


@dataclass(frozen=True)
class AccountHealth:
    facts: AccountFacts
    problems: list[Problem] = field(default_factory=list)

    @property
    def level(self) -> Level:
        return max((p.level for p in self.problems), default=Level.GREEN)

    @property
    def errors(self) -> list[ErrorEntry]:
        """Errors on record, newest first (an account's own error has no time of its own)."""
        entries = [
            ErrorEntry(run.last_error_at, run.label, run.last_error)
            for run in self.facts.jobs
            if run.last_error
        ]
        entries.sort(key=lambda e: e.at or datetime.min.replace(tzinfo=UTC), reverse=True)
        if self.facts.last_error and self.facts.status != LinkStatus.ACTIVE:
            entries.insert(0, ErrorEntry(None, "Sign-in", self.facts.last_error))
        return entries


# --- the rules ---------------------------------------------------------------------------------


def judge(facts: AccountFacts, now: datetime, tz: tzinfo) -> list[Problem]:
    """What is wrong with an account and what to do, worst first (empty: healthy)."""
    if facts.status == LinkStatus.NEEDS_RELINK:
        # Nothing runs for it until it is linked again: the rest would be noise.
        reason = facts.last_error or "the eWeLink cloud no longer accepts it."
        return [
            Problem(Level.RED, f"The eWeLink sign-in was refused ({_clause(reason)}): {RELINK}.")
        ]
    if facts.status == LinkStatus.DISABLED:
        text = (
            "The account is disabled by the server's staff: nothing is synced and the live "
            "connection is closed; ask the person running this server to enable it."
        )
        return [Problem(Level.RED, text)]
    problems = [
        *connection_problems(facts, now, tz),
        *sync_problems(facts, now, tz),
        *sign_in_problems(facts, now, tz),
        *job_problems(facts, tz, now),
        *call_problems(facts),
    ]
    return sorted(problems, key=lambda p: -p.level)


def connection_problems(facts: AccountFacts, now: datetime, tz: tzinfo) -> list[Problem]:
    if facts.connection_state == ConnectionState.ONLINE:
        return []
    since = facts.connection_changed_at
    if since is None:
        text = (
            "The live connection has never been opened: check that the realtime worker "
            "(manage.py run_realtime) is running."
        )
        return [Problem(Level.AMBER, text)]
    level = Level.RED if now - since >= CONNECTION_GRACE else Level.AMBER
    what = (
        "has been opening"
        if facts.connection_state == ConnectionState.CONNECTING
        else "has been down"
    )
    text = (
        f"The live connection {what} since {_moment(since, now, tz)}: the worker "
        "retries on its own; if it stays down, check that the server can reach eWeLink "
        "and that the realtime worker is running."
    )
    return [Problem(level, text)]


def sync_problems(facts: AccountFacts, now: datetime, tz: tzinfo) -> list[Problem]:
    run = facts.job(JobKind.RECONCILE)
    if run is not None and not run.ok:
        synced = facts.last_sync_at
        level = Level.RED if synced is None or now - synced >= SYNC_STALE else Level.AMBER
        at = _moment(run.last_error_at or run.last_run_at, now, tz)
        text = (
            f"The last sync failed at {at}: {_clause(run.last_error or 'unknown error')}; "
            "it is retried on its own, or press Resync on the accounts page."
        )
        return [Problem(level, text)]
    if facts.last_sync_at is None and not facts.syncing:
        text = "The account has never been synced: press Resync on the accounts page."
        return [Problem(Level.AMBER, text)]
    return []


def sign_in_problems(facts: AccountFacts, now: datetime, tz: tzinfo) -> list[Problem]:
    refresh = facts.job(JobKind.REFRESH_TOKENS)
    failing = refresh is not None and not refresh.ok
    why = f": {_clause(refresh.last_error)}" if refresh and failing and refresh.last_error else ""
    expires = facts.access_expires_at
    if expires is not None and expires - now <= EXPIRY_WARNING:
        when = "expired on" if expires <= now else "expires within 2 days, on"
        text = (
            f"The sign-in {when} {_moment(expires, now, tz)} and could not be renewed{why}; "
            f"the token refresh job retries on its own; if it keeps failing, {RELINK}."
        )
        return [Problem(Level.AMBER, text)]
    problems = []
    if failing and refresh is not None:
        at = _moment(refresh.last_error_at or refresh.last_run_at, now, tz)
        text = f"Renewing the sign-in failed at {at}{why}; it is retried on its own."
        problems.append(Problem(Level.AMBER, text))
    long_expiry = facts.refresh_expires_at
    if long_expiry is not None and long_expiry - now <= EXPIRY_WARNING:
        text = (
            f"The sign-in can be renewed only until {_moment(long_expiry, now, tz)}: "
            f"{RELINK} before then."
        )
        problems.append(Problem(Level.AMBER, text))
    return problems


def job_problems(facts: AccountFacts, tz: tzinfo, now: datetime) -> list[Problem]:
    """The other background jobs (sync and sign-in have their own rules)."""
    problems = []
    for run in facts.jobs:
        if run.ok or run.job in (JobKind.RECONCILE, JobKind.REFRESH_TOKENS):
            continue
        at = _moment(run.last_error_at or run.last_run_at, now, tz)
        error = _clause(run.last_error or "unknown error")
        again = "it is retried soon" if run.retrying else "it runs again on its own"
        problems.append(
            Problem(Level.AMBER, f"The {run.label.lower()} failed at {at}: {error}; {again}.")
        )
    return problems


def call_problems(facts: AccountFacts) -> list[Problem]:
    calls = facts.calls
    if calls is None or calls.refused < REFUSED_MIN or calls.refused < REFUSED_SHARE * calls.made:
        return []
    text = (
        f"The cloud refused {calls.refused} of {calls.made} calls in the last 24 hours: see "
        "the errors below; if they go on, check the problems above or ask the person running "
        "this server."
    )
    return [Problem(Level.AMBER, text)]


def _clause(text: str) -> str:
    """An error message inside a sentence: no full stop of its own."""
    return text.strip().rstrip(".")


def _moment(moment: datetime | None, now: datetime, tz: tzinfo) -> str:
    """ "14:02" today, "2 Dec 14:02" another day, in the household's zone."""
    if moment is None:
        return "an unknown time"
    local, today = timezone.localtime(moment, tz), timezone.localtime(now, tz)
    if local.date() == today.date():
        return date_format(local, "H:i")
    return date_format(local, "j M H:i")


# --- gathering the facts ---------------------------------------------------------------------


def accounts_with_health_facts(accounts: QuerySet[LinkedAccount]) -> QuerySet[LinkedAccount]:
    """`accounts` with what `facts_of` reads: newest device update, job runs (one prefetch)."""
    # The newest report of any of its things: written by the worker anyway, nothing new on the
    # hot path (a sync also stamps it, so "last event" reads "last device update").
    return accounts.annotate(last_event_at=Max("things__last_update_at")).prefetch_related(
        "task_runs"
    )


def facts_of(account: LinkedAccount, calls: CallCounts | None) -> AccountFacts:
    """Plain facts of an account fetched through `accounts_with_health_facts`."""
    runs = sorted(account.task_runs.all(), key=lambda run: JobKind.values.index(run.task))
    jobs = [
        JobOutcome(
            job=run.task,
            label=run.get_task_display(),
            last_run_at=run.last_run_at,
            # A skip (another job held the account) keeps the last real run's outcome.
            ok=not run.failing,
            summary=run.summary if run.ok and not run.skipped else "",
            last_error=run.last_error,
            last_error_at=run.last_error_at,
            retrying=bool((run.result or {}).get("retrying")) and run.failing,
            skipped=run.skip_reason,
        )
        for run in runs
    ]
    return AccountFacts(
        account_id=account.pk,
        label=account.label,
        status=account.status,
        connection_state=account.connection_state,
        connection_changed_at=account.connection_changed_at,
        last_error=account.last_error,
        last_event_at=getattr(account, "last_event_at", None),
        last_sync_at=account.last_sync_at,
        syncing=account.syncing,
        access_expires_at=account.access_expires_at,
        refresh_expires_at=account.refresh_expires_at,
        jobs=jobs,
        calls=calls,
    )


def health_of(
    accounts: Iterable[LinkedAccount], tz: tzinfo, now: datetime | None = None
) -> list[AccountHealth]:
    """Judged health of accounts fetched through `accounts_with_health_facts`."""
    accounts = list(accounts)
    now = now or timezone.now()
    counts = calls_last_day(account.pk for account in accounts)
    result = []
    for account in accounts:
        facts = facts_of(account, None if counts is None else counts.get(account.pk))
        result.append(AccountHealth(facts, judge(facts, now, tz)))
    return result


def household_health(household: Household) -> list[AccountHealth]:
    """Every linked (not unlinked) account of a household with its health."""
    accounts = LinkedAccount.objects.filter(household=household).exclude(status=LinkStatus.UNLINKED)
    return health_of(accounts_with_health_facts(accounts), household.zone)
