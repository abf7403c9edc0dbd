"""The chaos soak's judgements (bench/chaos/checks.py) on recorded samples: when every account
counts as held again after a worker kill, and when Celery's queue piles up."""

from __future__ import annotations

from bench.chaos.checks import Monitor, Sample, queue_growth


def _monitor(*unheld: tuple[float, set[str]]) -> Monitor:
    monitor = Monitor.__new__(Monitor)  # no stack or load: only the samples are judged
    monitor.samples = [Sample(t, 0, len(keys), frozenset(keys)) for t, keys in unheld]
    return monitor


def test_held_again_waits_for_every_account_the_kill_left_without_a_socket():
    monitor = _monitor((101, {"a", "b"}), (110, {"b"}), (125, set()))
    assert monitor.held_after(100, []) == 25


def test_an_account_a_later_fault_aimed_at_is_left_out_from_that_moment_only():
    # "b" was back at 112 but lost its socket again to refused handshakes at 115.
    monitor = _monitor((101, {"a", "b"}), (112, {"a"}), (116, {"b"}), (180, set()))
    assert monitor.held_after(100, [(115, {"b"})]) == 16
    # Hit before the kill: no excuse, the kill's own wait counts in full.
    assert monitor.held_after(100, [(90, {"b"})]) == 80
    # An account still unheld when the later fault hit it is excused from then, not before.
    monitor = _monitor((101, {"b"}), (110, {"b"}), (130, {"b"}), (200, set()))
    assert monitor.held_after(100, [(120, {"b"})]) == 30


def test_a_kill_never_healed_is_none():
    assert _monitor((101, {"a"}), (150, {"a"})).held_after(100, []) is None


def test_a_queue_that_comes_and_goes_is_not_piling_up_but_one_that_grows_is():
    bursts = [(float(t), 60 if t % 10 == 0 else 2) for t in range(40)]
    assert queue_growth(bursts)[2] is False
    growing = [(float(t), t * 3) for t in range(40)]
    early, late, piling = queue_growth(growing)
    assert piling
    assert late > early
    assert queue_growth([(0.0, 500)] * 4) == (0.0, 0.0, False)  # too few samples to judge
