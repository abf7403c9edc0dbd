"""Token lifecycle, the single-session rule and the OAuth 2.0 authorization-code flow."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp

from tests.cloudsim.simclient import Cloud, hmac_b64, nonce
from tests.waiting import async_until

REDIRECT = "https://dashboard.example.org/link/done"


async def test_expired_at_is_402_and_refresh_gives_new_pair(cloud: Cloud) -> None:
    # 2 s: a stalled machine still makes the first call while the token is fresh.
    await cloud.sim.acontrol("POST", "/settings", {"at_ttl": 2})
    issued_after = time.monotonic()
    user = await cloud.user("eu")
    assert (await user.get("/v2/user/profile"))["error"] == 0

    async def expired() -> bool:
        return (await user.get("/v2/user/profile"))["error"] == 402

    await async_until(expired, what="the access token to expire")
    assert time.monotonic() - issued_after >= 2 - 0.05, "not before its lifetime"
    refreshed = await cloud.api.signed_post("eu", "/v2/user/refresh", {"rt": user.rt})
    assert refreshed["error"] == 0
    assert set(refreshed["data"]) == {"at", "rt"}
    user.at = refreshed["data"]["at"]
    await cloud.sim.acontrol("POST", "/settings", {"at_ttl": 3600})


async def test_refresh_with_bearer_and_old_rt_is_dead(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    reply = await cloud.api.call("POST", "eu", "/v2/user/refresh", user.at, body={"rt": user.rt})
    assert reply["error"] == 0
    again = await cloud.api.signed_post("eu", "/v2/user/refresh", {"rt": user.rt})
    assert again["error"] == 401
    old_at = await user.get("/v2/user/profile")
    assert old_at["error"] == 401


async def test_expired_rt_cannot_refresh(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    expired = await cloud.sim.acontrol(
        "POST", f"/accounts/{user.apikey}/expire-tokens", {"at": True, "rt": True}
    )
    assert expired == {"expired": 1}
    assert (await user.get("/v2/user/profile"))["error"] == 402
    reply = await cloud.api.signed_post("eu", "/v2/user/refresh", {"rt": user.rt})
    assert reply["error"] == 401


async def test_default_ttls_are_30_and_60_days(cloud: Cloud) -> None:
    settings = await cloud.sim.acontrol("GET", "/settings")
    assert settings["at_ttl"] == 30 * 86400
    assert settings["rt_ttl"] == 60 * 86400
    assert settings["hb_interval"] == 145
    assert settings["oauth_code_ttl"] == 30


async def test_single_session_kicks_rest_and_websocket(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    ws = await cloud.ws(user)
    second = await cloud.api.login("eu", user.email, user.password)
    assert second["error"] == 0
    stale = await user.get("/v2/user/profile")
    assert stale == {"error": 401, "msg": "cannot found access token info", "data": {}}
    closed = await ws.receive(timeout=3)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    ws_again, reply = await cloud.ws_raw(user)
    assert reply["error"] == 406
    assert reply["reason"] == "Authentication Failed"
    assert reply["actionName"] == "userOnline"
    end = await ws_again.receive(timeout=3)
    assert end.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await ws.close()
    await ws_again.close()


async def test_logout_invalidates_token(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    assert (await user.delete("/v2/user/logout"))["error"] == 0
    assert (await user.get("/v2/user/profile"))["error"] == 401


def oauth_query(appid: str, secret: str, seq: str | None = None) -> dict[str, str]:
    seq = seq or str(int(time.time() * 1000))
    return {
        "clientId": appid,
        "seq": seq,
        "authorization": hmac_b64(secret, f"{appid}_{seq}".encode()),
        "redirectUrl": REDIRECT,
        "grantType": "authorization_code",
        "state": "xyz-42",
        "nonce": nonce(),
    }


async def test_oauth_via_html_form_then_token_exchange(cloud: Cloud) -> None:
    user = await cloud.user("us")
    query = oauth_query(cloud.api.appid, cloud.api.secret)
    page_url = cloud.sim.info["oauth_page"]
    async with cloud.api.session.get(page_url, params=query) as resp:
        assert resp.status == 200
        html = await resp.text()
    assert "<form" in html
    assert 'name="password"' in html
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert hidden["state"] == "xyz-42"
    form = hidden | {"account": user.email, "password": user.password, "region": "auto"}
    async with cloud.api.session.post(page_url, data=form, allow_redirects=False) as resp:
        assert resp.status == 302
        location = resp.headers["Location"]
    assert location.startswith(REDIRECT)
    got = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert got["region"] == "us"
    assert got["state"] == "xyz-42"
    body = {"code": got["code"], "redirectUrl": REDIRECT, "grantType": "authorization_code"}
    token = await cloud.api.signed_post("us", "/v2/user/oauth/token", body)
    assert token["error"] == 0, token
    data = token["data"]
    assert {"accessToken", "atExpiredTime", "refreshToken", "rtExpiredTime"} <= set(data)
    assert data["atExpiredTime"] > time.time() * 1000 + 29 * 86400 * 1000
    profile = await cloud.api.call("GET", "us", "/v2/user/profile", data["accessToken"])
    assert profile["data"]["user"]["apikey"] == user.apikey
    reused = await cloud.api.signed_post("us", "/v2/user/oauth/token", body)
    assert reused == {"error": 405, "msg": "invalid code", "data": {}}
    unlink = await cloud.api.call("DELETE", "us", "/v2/user/oauth/token", data["accessToken"])
    assert unlink["error"] == 0
    after = await cloud.api.call("GET", "us", "/v2/user/profile", data["accessToken"])
    assert after["error"] == 401


async def test_oauth_page_rejects_bad_authorization_and_password(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    query = oauth_query(cloud.api.appid, "wrong-secret")
    page_url = cloud.sim.info["oauth_page"]
    async with cloud.api.session.get(page_url, params=query) as resp:
        assert resp.status == 400
        assert "authorization verification failed" in await resp.text()
    good = oauth_query(cloud.api.appid, cloud.api.secret)
    form = good | {"account": user.email, "password": "wrong", "region": "auto"}
    async with cloud.api.session.post(page_url, data=form, allow_redirects=False) as resp:
        assert resp.status == 401
    wrong_region = good | {"account": user.email, "password": user.password, "region": "us"}
    async with cloud.api.session.post(page_url, data=wrong_region, allow_redirects=False) as resp:
        assert resp.status == 401


async def test_oauth_code_shortcut_expiry_and_region(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await cloud.sim.acontrol("POST", "/settings", {"oauth_code_ttl": 0.2})
    grant = await cloud.sim.acontrol(
        "POST",
        "/oauth/code",
        {"apikey": user.apikey, "appid": cloud.api.appid, "redirectUrl": REDIRECT, "state": "s"},
    )
    assert grant["region"] == "eu"
    assert "code=" in grant["redirect"]
    assert "state=s" in grant["redirect"]
    body = {"code": grant["code"], "redirectUrl": REDIRECT, "grantType": "authorization_code"}
    issued_by = time.time()
    # Trying a code uses it up, so wait until the clock is surely past the code's lifetime.
    await async_until(lambda: time.time() > issued_by + 0.2, what="the code's lifetime to pass")
    late = await cloud.api.signed_post("eu", "/v2/user/oauth/token", body)
    assert late == {"error": 405, "msg": "invalid code", "data": {}}
    await cloud.sim.acontrol("POST", "/settings", {"oauth_code_ttl": 30})
    grant = await cloud.sim.acontrol(
        "POST",
        "/oauth/code",
        {"apikey": user.apikey, "appid": cloud.api.appid, "redirectUrl": REDIRECT, "state": "s"},
    )
    body["code"] = grant["code"]
    wrong_url = await cloud.api.signed_post(
        "eu", "/v2/user/oauth/token", body | {"redirectUrl": "https://evil.example"}
    )
    assert wrong_url["error"] == 405
    grant = await cloud.sim.acontrol(
        "POST",
        "/oauth/code",
        {"apikey": user.apikey, "appid": cloud.api.appid, "redirectUrl": REDIRECT, "state": "s"},
    )
    body["code"] = grant["code"]
    ok = await cloud.api.signed_post("eu", "/v2/user/oauth/token", body)
    assert ok["error"] == 0
    # The OAuth token takes the session: the password-login token is displaced.
    assert (await user.get("/v2/user/profile"))["error"] == 401
