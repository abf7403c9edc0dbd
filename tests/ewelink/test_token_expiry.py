"""Token expiry: a reply's own expiry times win; without them, the documented lifetimes."""

from __future__ import annotations

from ewelink.tokens import AT_LIFETIME_MS, RT_LIFETIME_MS, Tokens, expiry_ms

NOW = 1_700_000_000_000


def test_a_pair_without_expiry_in_the_reply_lives_the_documented_30_and_60_days():
    tokens = Tokens(at="a", rt="r", region="eu").with_pair("a2", "r2", NOW)
    assert (tokens.at, tokens.rt) == ("a2", "r2")
    assert tokens.at_expires_ms == NOW + AT_LIFETIME_MS == NOW + 30 * 86_400_000
    assert tokens.rt_expires_ms == NOW + RT_LIFETIME_MS == NOW + 60 * 86_400_000


def test_expiry_times_the_reply_carries_are_taken_as_given():
    tokens = Tokens(at="a", rt="r", region="eu").with_pair(
        "a2", "r2", NOW, at_expires_ms=NOW + 5_000, rt_expires_ms=None
    )
    assert tokens.at_expires_ms == NOW + 5_000
    assert tokens.rt_expires_ms == NOW + RT_LIFETIME_MS  # the one not given is estimated


def test_reply_fields_that_are_not_times_are_ignored():
    assert expiry_ms(1_800_000_000_000) == 1_800_000_000_000
    assert expiry_ms("1800000000000") == 1_800_000_000_000
    assert [expiry_ms(v) for v in (None, True, 0, -5, "soon", 1.5)] == [None] * 6
