"""Access and refresh tokens, with the one-session-per-(account, APPID) rule."""

from __future__ import annotations

import time

from .responses import TOKEN_EXPIRED, TOKEN_INVALID, ApiError
from .state import SimState, Token

INVALID_MSG = "cannot found access token info"


def issue(
    state: SimState, apikey: str, appid: str, at_ttl: float, rt_ttl: float, oauth: bool = False
) -> tuple[Token, list[Token]]:
    """Issue a fresh pair; return it with the tokens it displaced (the single-session rule)."""
    displaced = [t for t in state.tokens_by_at.values() if t.apikey == apikey and t.appid == appid]
    for old in displaced:
        revoke(state, old)
    now = time.time()
    token = Token(
        state.token_string(), state.token_string(), apikey, appid, now + at_ttl, now + rt_ttl, oauth
    )
    state.tokens_by_at[token.at] = token
    state.tokens_by_rt[token.rt] = token
    state.dirty = True
    return token, displaced


def revoke(state: SimState, token: Token) -> None:
    state.tokens_by_at.pop(token.at, None)
    state.tokens_by_rt.pop(token.rt, None)
    state.dirty = True


def check_access(state: SimState, at: str, region: str | None) -> Token:
    """Resolve a Bearer token: unknown (or another region's) → 401, expired → 402."""
    token = state.tokens_by_at.get(at)
    if token is None:
        raise ApiError(TOKEN_INVALID, INVALID_MSG)
    account = state.accounts.get(token.apikey)
    if account is None or (region is not None and account.region != region):
        raise ApiError(TOKEN_INVALID, INVALID_MSG)
    if token.at_expires <= time.time():
        raise ApiError(TOKEN_EXPIRED, "access token expired")
    return token


def refresh(state: SimState, rt: str, at_ttl: float, rt_ttl: float) -> Token:
    """Trade a live refresh token for a new pair; an unknown or expired rt is 401."""
    old = state.tokens_by_rt.get(rt)
    if old is None or old.rt_expires <= time.time():
        raise ApiError(TOKEN_INVALID, "cannot found refresh token info")
    token, _ = issue(state, old.apikey, old.appid, at_ttl, rt_ttl, old.oauth)
    return token


def expire(state: SimState, apikey: str, at: bool, rt: bool) -> int:
    """Control API: make an account's tokens expire now."""
    count = 0
    past = time.time() - 1
    for token in state.tokens_by_at.values():
        if token.apikey != apikey:
            continue
        count += 1
        if at:
            token.at_expires = past
        if rt:
            token.rt_expires = past
    return count
