"""[User] category: sign-up, login, codes, passwords, profile, tokens and OAuth tokens."""

from __future__ import annotations

import time
from typing import Any

from cloudsim import tokens
from cloudsim.accounts import create_account
from cloudsim.regions import region_for_country
from cloudsim.responses import (
    CODE_TOO_FAST,
    NO_USER,
    NOT_FOUND,
    PARAMS,
    REDIRECT,
    USER_EXISTS,
    WRONG_CODE,
    WRONG_PASSWORD,
    ApiError,
)
from cloudsim.state import Account, Token

from .base import Call, endpoint

CODE_LIMITS = ((60.0, 3), (3600.0, 20), (86400.0, 100))
CODE_TYPES = (0, 1, 3, 4)


def identity(call: Call) -> tuple[str | None, str | None]:
    """email and phoneNumber; at least one is required (phone is checked first)."""
    email = call.string("email", required=False)
    phone = call.string("phoneNumber", required=False)
    if not email and not phone:
        raise ApiError(PARAMS, "params incomplete: email or phoneNumber")
    return email, phone


def find_here(call: Call, email: str | None, phone: str | None) -> Account:
    """The account, or 10003 (no such user) / 10004 (lives in another region)."""
    account = call.cloud.state.find_account(email, phone)
    if account is None:
        raise ApiError(NO_USER, "user does not exists")
    if account.region != call.region:
        raise ApiError(REDIRECT, "redirection", {"region": account.region})
    return account


async def start_session(call: Call, account: Account) -> dict[str, Any]:
    token = await issue(call, account)
    return {"user": account.user_json(), "at": token.at, "rt": token.rt, "region": account.region}


async def issue(call: Call, account: Account, oauth: bool = False) -> Token:
    """New tokens; the previous session of this account and APPID is kicked out."""
    settings = call.cloud.settings
    token, displaced = tokens.issue(
        call.cloud.state, account.apikey, call.appid or "", settings.at_ttl, settings.rt_ttl, oauth
    )
    if displaced:
        await call.cloud.hub.drop_tokens({t.at for t in displaced})
    return token


def use_code(call: Call, email: str | None, phone: str | None, kind: int) -> None:
    code = call.string("verificationCode")
    target = phone or (email or "").lower()
    if call.cloud.state.verification_codes.get(f"{kind}:{target}") != code:
        raise ApiError(WRONG_CODE, "verification code error")
    del call.cloud.state.verification_codes[f"{kind}:{target}"]


@endpoint("POST", "/v2/user/register", auth="sign")
async def register(call: Call) -> dict[str, Any]:
    country = call.string("countryCode")
    email, phone = identity(call)
    password = call.string("password")
    if call.cloud.state.find_account(email, phone) is not None:
        raise ApiError(USER_EXISTS, "user already exists")
    use_code(call, email, phone, 0)
    account = create_account(
        call.cloud.state,
        call.region or "eu",
        password,
        country,
        email=email if not phone else None,
        phone=phone,
    )
    return await start_session(call, account)


@endpoint("POST", "/v2/user/login", auth="sign")
async def login(call: Call) -> dict[str, Any]:
    call.string("countryCode")
    email, phone = identity(call)
    password = call.string("password")
    account = find_here(call, email, phone)
    if account.password != password:
        raise ApiError(WRONG_PASSWORD, "wrong account or password")
    return await start_session(call, account)


@endpoint("POST", "/v2/user/sms-login", auth="sign")
async def sms_login(call: Call) -> dict[str, Any]:
    call.string("countryCode")
    phone = call.string("phoneNumber")
    if not phone.startswith("+86"):
        raise ApiError(PARAMS, "sms login is only for mainland China numbers")
    account = find_here(call, None, phone)
    use_code(call, None, phone, 4)
    return await start_session(call, account)


@endpoint("POST", "/v2/user/verification-code", auth="sign")
async def verification_code(call: Call) -> dict[str, Any]:
    kind = call.integer("type")
    if kind not in CODE_TYPES:
        raise ApiError(PARAMS, "params error: type")
    email, phone = identity(call)
    if kind != 0:
        find_here(call, email, phone)
    target = phone or (email or "").lower()
    throttle_codes(call, target)
    code = f"{call.cloud.state.rng.randrange(10**6):06d}"
    call.cloud.state.verification_codes[f"{kind}:{target}"] = code
    return {}


def throttle_codes(call: Call, target: str) -> None:
    """3 a minute, 20 an hour, 100 a day for one address → 10010."""
    now = time.time()
    sends = [t for t in call.cloud.state.code_sends.get(target, []) if now - t < 86400]
    for span, limit in CODE_LIMITS:
        if sum(1 for t in sends if now - t < span) >= limit:
            raise ApiError(CODE_TOO_FAST, "sending verification code too fast")
    sends.append(now)
    call.cloud.state.code_sends[target] = sends


@endpoint("POST", "/v2/user/reset-pwd", auth="sign")
async def reset_password(call: Call) -> dict[str, Any]:
    email, phone = identity(call)
    password = call.string("password")
    account = find_here(call, email, phone)
    use_code(call, email, phone, 1)
    account.password = password
    return await start_session(call, account)


@endpoint("POST", "/v2/user/change-pwd")
async def change_password(call: Call) -> dict[str, Any]:
    old, new = call.string("oldPassword"), call.string("newPassword")
    if call.account.password != old:
        raise ApiError(WRONG_PASSWORD, "wrong password")
    call.account.password = new
    call.cloud.state.dirty = True
    return {}


@endpoint("GET", "/v2/user/profile")
async def profile(call: Call) -> dict[str, Any]:
    return {"user": call.account.user_json(), "region": call.account.region}


@endpoint("POST", "/v2/user/profile")
async def update_profile(call: Call) -> dict[str, Any]:
    account = call.account
    nickname = call.string("nickname", required=False)
    if nickname:
        account.nickname = nickname
    for key, attr in (("acceptEmailAd", "accept_email_ad"), ("accountConsult", "account_consult")):
        value = call.body.get(key)
        if value is not None and not isinstance(value, bool):
            raise ApiError(PARAMS, f"params error: {key}")
        if key == "accountConsult" and value is False:
            raise ApiError(PARAMS, "params error: accountConsult can only be true")
        if value is not None:
            setattr(account, attr, value)
    call.cloud.state.dirty = True
    return {"user": account.user_json(), "region": account.region}


@endpoint("POST", "/v2/user/refresh", auth="sign_or_bearer")
async def refresh(call: Call) -> dict[str, Any]:
    settings, state, rt = call.cloud.settings, call.cloud.state, call.string("rt")
    old = state.tokens_by_rt.get(rt)
    if old is not None and state.accounts[old.apikey].region != call.region:
        raise ApiError(401, "cannot found refresh token info")  # another regional cloud's rt
    token = tokens.refresh(state, rt, settings.at_ttl, settings.rt_ttl)
    return {"at": token.at, "rt": token.rt}


@endpoint("DELETE", "/v2/user/logout")
async def logout(call: Call) -> dict[str, Any]:
    assert call.token is not None
    tokens.revoke(call.cloud.state, call.token)
    await call.cloud.hub.drop_tokens({call.token.at})
    return {}


@endpoint("POST", "/v2/user/close-account")
async def close_account(call: Call) -> dict[str, Any]:
    account = call.account
    use_code(call, account.email, account.phone, 3)
    state = call.cloud.state
    for token in [t for t in state.tokens_by_at.values() if t.apikey == account.apikey]:
        tokens.revoke(state, token)
    for device in state.devices_visible_to(account.apikey):
        device.shares.pop(account.apikey, None)
        if device.owner == account.apikey:
            state.set_owner(device, None)
    for family in state.families_of(account.apikey):
        del state.families[family.id]
    state.remove_account(account.apikey)
    await call.cloud.hub.drop_account(account.apikey)
    return {}


@endpoint("POST", "/v2/user/oauth/token", auth="sign")
async def oauth_token(call: Call) -> dict[str, Any]:
    """Exchange an authorization code (valid oauth_code_ttl seconds, single use)."""
    code = call.string("code")
    redirect_url = call.string("redirectUrl")
    if call.string("grantType") != "authorization_code":
        raise ApiError(PARAMS, "params error: grantType")
    grant = call.cloud.state.oauth_codes.pop(code, None)
    if grant is None or grant.expires <= time.time() or grant.appid != call.appid:
        raise ApiError(NOT_FOUND, "invalid code")
    if grant.redirect_url != redirect_url or grant.region != call.region:
        raise ApiError(NOT_FOUND, "invalid code")
    token = await issue(call, call.cloud.state.accounts[grant.apikey], oauth=True)
    return {
        "accessToken": token.at,
        "atExpiredTime": int(token.at_expires * 1000),
        "refreshToken": token.rt,
        "rtExpiredTime": int(token.rt_expires * 1000),
        "region": grant.region,
    }


@endpoint("DELETE", "/v2/user/oauth/token")
async def oauth_unlink(call: Call) -> dict[str, Any]:
    assert call.token is not None
    tokens.revoke(call.cloud.state, call.token)
    await call.cloud.hub.drop_tokens({call.token.at})
    return {}


@endpoint("GET", "/v2/utils/get-region", auth="sign", regional=False)
async def get_region(call: Call) -> dict[str, Any]:
    country = call.string("countryCode")
    return {"region": region_for_country(country)}
