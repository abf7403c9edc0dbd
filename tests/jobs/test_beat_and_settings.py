"""One beat schedule in effect however many beats run; the schedule comes from settings."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.beat import Scheduler
from django.conf import settings
from django.utils.module_loading import import_string

import ewelink
from accounts.models import JobKind
from dashboard import beat
from dashboard.celery import app as celery_app
from jobs import registry

pytestmark = pytest.mark.integration


class ProbeScheduler(beat.SingleBeatMixin, Scheduler):
    """An in-memory schedule that records what it would send instead of sending it."""

    def __init__(self, *args, **kwargs) -> None:
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        self.update_from_dict({"probe": {"task": "probe", "schedule": timedelta(seconds=0.05)}})

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.name)


def _tick_for(schedulers, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for scheduler in schedulers:
            scheduler.tick()
        time.sleep(0.01)


def test_only_the_beat_holding_the_lease_sends_tasks(jobs_redis):
    first, second = ProbeScheduler(app=celery_app), ProbeScheduler(app=celery_app)

    _tick_for([first, second], 0.4)

    assert first.leading
    assert not second.leading
    assert first.sent
    assert not second.sent

    first.close()  # the active beat stops: the standby takes over at its next tick
    _tick_for([second], 0.3)
    assert second.leading
    assert second.sent
    second.close()


def test_a_lease_is_renewed_by_its_holder_and_refused_to_others(jobs_redis):
    mine = beat.BeatLease(jobs_redis, beat.lease_key(), ttl=2)
    theirs = beat.BeatLease(jobs_redis, beat.lease_key(), ttl=2)
    assert mine.hold()
    assert not theirs.hold()
    renewed_until = time.monotonic() + 1.5
    while time.monotonic() < renewed_until:  # renewed by its holder: never free to others
        assert mine.hold()
        assert not theirs.hold()
        time.sleep(0.1)
    # The holder dies without releasing: the lease expires within its TTL, and not before.
    died = time.monotonic()
    while not theirs.hold():
        assert time.monotonic() - died < 5, "the lease never expired"
        time.sleep(0.05)
    assert time.monotonic() - died > 0.5
    theirs.release()


def test_the_schedule_comes_from_settings_with_expiry_below_each_interval():
    assert settings.CELERY_BEAT_SCHEDULER == "dashboard.beat:SingleBeatScheduler"
    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    first_runs = schedule.pop("first_runs")
    assert import_string(first_runs["task"]).name == first_runs["task"]
    assert 0 < first_runs["options"]["expires"] < first_runs["schedule"].total_seconds()
    purge = schedule.pop("purge_unlinked")  # not per account: one sweep of expired unlinks
    assert import_string(purge["task"]).name == "accounts.tasks.purge_unlinked_accounts"
    assert 0 < purge["options"]["expires"] < purge["schedule"].total_seconds()
    # Readings' sweeps span every household in a few statements: plain tasks, not per account.
    for name, task in [
        ("readings_rollup", "readings.tasks.roll_up_readings"),
        ("energy_fetch", "readings.tasks.fetch_energy"),
    ]:
        entry = schedule.pop(name)
        assert import_string(entry["task"]).name == task
        assert 0 < entry["options"]["expires"] < entry["schedule"].total_seconds()
    # Every job has an interval and a registered task: none is left out of the schedule.
    assert set(schedule) == set(settings.JOB_INTERVALS) == set(registry.registered())
    assert set(schedule) == set(JobKind.values)
    for job, entry in schedule.items():
        interval = settings.JOB_INTERVALS[job].total_seconds()
        assert entry["schedule"].total_seconds() == interval
        assert 0 < entry["options"]["expires"] < interval
        assert import_string(entry["task"]).name == entry["task"]
        assert tuple(entry["args"]) == (job,)


@pytest.mark.parametrize("job", sorted(JobKind.values))
def test_account_tasks_are_json_acks_late_and_retry_with_jittered_backoff(job):
    task = registry.task_for(job)
    assert task.job == job
    assert task.acks_late
    assert task.retry_jitter
    assert task.retry_backoff == settings.JOBS_RETRY_BACKOFF_SECONDS
    assert {ewelink.NetworkError, ewelink.ServerError} <= set(task.autoretry_for)
    assert not set(task.autoretry_for) & {ewelink.AuthError, ewelink.BadRequestError}
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]
