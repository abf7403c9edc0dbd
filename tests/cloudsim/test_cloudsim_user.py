"""[User] category, signing rules and tokens, checked against the documents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from tests.cloudsim.simclient import Cloud, hmac_b64, nonce


async def test_login_returns_user_tokens_and_region(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    reply = await cloud.api.login("eu", user.email, user.password)
    assert reply["error"] == 0
    assert reply["msg"] == ""
    data = reply["data"]
    assert data["region"] == "eu"
    assert data["user"]["apikey"] == user.apikey
    assert data["user"]["email"] == user.email
    assert len(data["at"]) >= 20
    assert len(data["rt"]) >= 20


async def test_login_is_signed_over_exact_body_bytes(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    body = {"countryCode": "+44", "email": user.email, "password": user.password}
    compact = json.dumps(body, separators=(",", ":")).encode()
    spaced = json.dumps(body).encode()
    ok = await cloud.api.signed_post("eu", "/v2/user/login", body, raw=compact)
    assert ok["error"] == 0
    # Same JSON meaning, different bytes: the signature over other bytes fails.
    bad = await cloud.api.signed_post("eu", "/v2/user/login", body, raw=compact, sign_over=spaced)
    assert bad == {"error": 400, "msg": "sign verification failed", "data": {}}


async def test_wrong_secret_and_unknown_app(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    body = {"countryCode": "+44", "email": user.email, "password": user.password}
    bad = await cloud.api.signed_post("eu", "/v2/user/login", body, secret="not-the-secret")
    assert bad["error"] == 400
    assert bad["msg"] == "sign verification failed"
    unknown = await cloud.api.signed_post("eu", "/v2/user/login", body, appid="someotherapp")
    assert unknown["error"] == 407


async def test_login_requires_appid_and_bearer_is_refused(cloud: Cloud) -> None:
    data = json.dumps({"countryCode": "+44", "email": "x@example.com", "password": "p"}).encode()
    headers = {
        "Authorization": "Sign " + hmac_b64(cloud.api.secret, data),
        "Content-Type": "application/json",
    }
    reply = await cloud.api.request("POST", "eu", "/v2/user/login", headers=headers, data=data)
    assert reply["error"] == 400
    headers |= {"X-CK-Appid": cloud.api.appid, "Authorization": "Bearer abc"}
    reply = await cloud.api.request("POST", "eu", "/v2/user/login", headers=headers, data=data)
    assert reply["error"] == 400
    assert reply["msg"] == "sign verification failed"


async def test_nonce_and_content_type_rules(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    body = {"countryCode": "+44", "email": user.email, "password": user.password}
    bad_nonce = await cloud.api.signed_post(
        "eu", "/v2/user/login", body, extra={"X-CK-Nonce": "abc"}
    )
    assert bad_nonce["error"] == 400
    data = json.dumps(body).encode()
    headers = {
        "X-CK-Appid": cloud.api.appid,
        "X-CK-Nonce": nonce(),
        "Authorization": "Sign " + hmac_b64(cloud.api.secret, data),
    }
    no_type = await cloud.api.request("POST", "eu", "/v2/user/login", headers=headers, data=data)
    assert no_type["error"] == 400
    headers["Content-Type"] = "application/json; charset=utf-8"
    typed = await cloud.api.request("POST", "eu", "/v2/user/login", headers=headers, data=data)
    assert typed["error"] == 0


async def test_wrong_region_redirects_with_10004(cloud: Cloud) -> None:
    user = await cloud.user("us")
    reply = await cloud.api.login("eu", user.email, user.password)
    assert reply == {"error": 10004, "msg": "redirection", "data": {"region": "us"}}
    assert (await cloud.api.login("us", user.email, user.password))["error"] == 0


async def test_login_errors(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    assert (await cloud.api.login("eu", user.email, "wrong"))["error"] == 10001
    assert (await cloud.api.login("eu", "nobody@example.com", "x"))["error"] == 10003
    missing = await cloud.api.signed_post("eu", "/v2/user/login", {"email": user.email})
    assert missing["error"] == 400
    typed = await cloud.api.signed_post(
        "eu", "/v2/user/login", {"countryCode": "+44", "email": user.email, "password": 5}
    )
    assert typed["error"] == 400


async def test_malformed_json_body_is_400(cloud: Cloud) -> None:
    reply = await cloud.api.signed_post("eu", "/v2/user/login", {}, raw=b"{not json")
    assert reply["error"] == 400
    array = await cloud.api.signed_post("eu", "/v2/user/login", {}, raw=b"[1,2]")
    assert array["error"] == 400


async def test_get_region_sorted_query_signature(cloud: Cloud) -> None:
    reply = await cloud.api.signed_get(None, "/v2/utils/get-region", {"countryCode": "+44"})
    assert reply["error"] == 0
    assert reply["data"] == {"region": "eu"}
    assert (await cloud.api.signed_get("eu", "/v2/utils/get-region", {"countryCode": "86"}))[
        "data"
    ]["region"] == "cn"
    bad = await cloud.api.signed_get(
        None, "/v2/utils/get-region", {"countryCode": "+1"}, secret="wrong"
    )
    assert bad["msg"] == "sign verification failed"


async def test_get_signature_uses_unencoded_sorted_values(cloud: Cloud) -> None:
    params = {"countryCode": "+61", "b": "x y", "a": "1"}
    message = b"a=1&b=x y&countryCode=+61"
    headers = {
        "X-CK-Appid": cloud.api.appid,
        "Authorization": "Sign " + hmac_b64(cloud.api.secret, message),
    }
    reply = await cloud.api.request(
        "GET", None, "/v2/utils/get-region", headers=headers, params=params
    )
    assert reply["error"] == 0
    assert reply["data"]["region"] == "us"


async def test_profile_get_and_update(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    profile = await user.get("/v2/user/profile")
    assert profile["data"]["user"]["apikey"] == user.apikey
    assert profile["data"]["region"] == "eu"
    updated = await user.post("/v2/user/profile", {"nickname": "Zed", "acceptEmailAd": True})
    assert updated["error"] == 0
    assert (await user.get("/v2/user/profile"))["data"]["user"]["nickname"] == "Zed"
    bad = await user.post("/v2/user/profile", {"accountConsult": False})
    assert bad["error"] == 400


async def test_bearer_errors(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    unknown = await cloud.api.call("GET", "eu", "/v2/user/profile", "nope")
    assert unknown["error"] == 401
    assert unknown["msg"] == "cannot found access token info"
    other_region = await cloud.api.call("GET", "us", "/v2/user/profile", user.at)
    assert other_region["error"] == 401


async def test_unknown_api_is_403(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    reply = await user.get("/v2/no/such/thing")
    assert reply["error"] == 403


async def test_change_password(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    wrong = await user.post("/v2/user/change-pwd", {"oldPassword": "x", "newPassword": "y"})
    assert wrong["error"] == 10001
    body = {"oldPassword": user.password, "newPassword": "new-secret"}
    assert (await user.post("/v2/user/change-pwd", body))["error"] == 0
    assert (await cloud.api.login("eu", user.email, "new-secret"))["error"] == 0


async def test_verification_code_register_and_limits(cloud: Cloud) -> None:
    email = "fresh@example.com"
    sent = await cloud.api.signed_post(
        "eu", "/v2/user/verification-code", {"type": 0, "email": email}
    )
    assert sent["error"] == 0
    codes = await cloud.sim.acontrol("GET", "/verification-codes")
    code = codes[f"0:{email}"]
    body = {"countryCode": "+44", "email": email, "password": "pw", "verificationCode": "000"}
    wrong = await cloud.api.signed_post("eu", "/v2/user/register", body)
    assert wrong["error"] == 10002
    body["verificationCode"] = code
    made = await cloud.api.signed_post("eu", "/v2/user/register", body)
    assert made["error"] == 0
    assert made["data"]["region"] == "eu"
    again = await cloud.api.signed_post("eu", "/v2/user/register", body)
    assert again["error"] == 10009
    for _ in range(2):
        ok = await cloud.api.signed_post(
            "eu", "/v2/user/verification-code", {"type": 1, "email": email}
        )
        assert ok["error"] == 0
    too_fast = await cloud.api.signed_post(
        "eu", "/v2/user/verification-code", {"type": 1, "email": email}
    )
    assert too_fast["error"] == 10010


async def test_reset_password_with_code(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await cloud.api.signed_post(
        "eu", "/v2/user/verification-code", {"type": 1, "email": user.email}
    )
    code = (await cloud.sim.acontrol("GET", "/verification-codes"))[f"1:{user.email}"]
    body = {"email": user.email, "verificationCode": code, "password": "reset-pw"}
    reply = await cloud.api.signed_post("eu", "/v2/user/reset-pwd", body)
    assert reply["error"] == 0
    assert reply["data"]["user"]["apikey"] == user.apikey
    assert (await cloud.api.login("eu", user.email, "reset-pw"))["error"] == 0


async def test_sms_login_only_in_mainland_china(cloud: Cloud) -> None:
    user = await cloud.user("cn", email=None, phoneNumber="+8613800000001", countryCode="+86")
    assert user.region == "cn"
    await cloud.api.signed_post(
        "cn", "/v2/user/verification-code", {"type": 4, "phoneNumber": "+8613800000001"}
    )
    code = (await cloud.sim.acontrol("GET", "/verification-codes"))["4:+8613800000001"]
    body = {"countryCode": "+86", "phoneNumber": "+8613800000001", "verificationCode": code}
    reply = await cloud.api.signed_post("cn", "/v2/user/sms-login", body)
    assert reply["error"] == 0
    assert reply["data"]["region"] == "cn"
    abroad = await cloud.api.signed_post(
        "cn", "/v2/user/sms-login", body | {"phoneNumber": "+447700900000"}
    )
    assert abroad["error"] == 400


def test_documented_test_vectors() -> None:
    """Notes §1.7 OAuth authorization vector and the API document's sha256 example."""
    digest = hmac.new(b"abc", b"ABC_123", hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == "v1+mfNY2ukxswM8sZOTg99srZsVnUVv9DGXeav1096M="
    assert hashlib.sha256(b"123").hexdigest() == (
        "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3"
    )
    from cloudsim.signing import device_digest, oauth_authorization

    assert (
        oauth_authorization("abc", "ABC", "123") == "v1+mfNY2ukxswM8sZOTg99srZsVnUVv9DGXeav1096M="
    )
    assert device_digest("12", "3") == hashlib.sha256(b"123").hexdigest()


async def test_unknown_appid_on_bearer_call_is_407(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    headers = {"Authorization": f"Bearer {user.at}", "X-CK-Appid": "not-an-app"}
    reply = await cloud.api.request("GET", "eu", "/v2/user/profile", headers=headers)
    assert reply["error"] == 407


async def test_close_account_with_code(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(1))["deviceid"]
    sent = await cloud.api.signed_post(
        "eu", "/v2/user/verification-code", {"type": 3, "email": user.email}
    )
    assert sent["error"] == 0
    code = (await cloud.sim.acontrol("GET", "/verification-codes"))[f"3:{user.email}"]
    assert (await user.post("/v2/user/close-account", {"verificationCode": "x"}))["error"] == 10002
    closed = await user.post("/v2/user/close-account", {"verificationCode": code})
    assert closed["error"] == 0
    assert (await cloud.api.login("eu", user.email, user.password))["error"] == 10003
    device = await cloud.sim.acontrol("GET", f"/devices/{deviceid}")
    assert device["owner"] is None


async def test_an_oauth_only_app_may_not_log_in_with_a_password_but_may_link() -> None:
    import aiohttp

    from cloudsim.config import AppCredential
    from cloudsim.testing import serve_in_process
    from tests.cloudsim.simclient import Api, Cloud

    full = AppCredential("full-app", "full-secret")
    free = AppCredential("free-app", "free-secret", oauth_only=True)
    async with serve_in_process(apps=[full, free]) as sim, aiohttp.ClientSession() as session:
        cloud = Cloud(sim, Api(sim, session))
        user = await cloud.user("eu")
        body = {"countryCode": "+44", "email": user.email, "password": user.password}
        denied = await cloud.api.signed_post(
            "eu", "/v2/user/login", body, appid="free-app", secret="free-secret"
        )
        assert denied["error"] == 407
        redirect = "http://127.0.0.1/callback"
        grant = await sim.acontrol(
            "POST",
            "/oauth/code",
            {"apikey": user.apikey, "appid": "free-app", "redirectUrl": redirect, "state": "s"},
        )
        body = {"code": grant["code"], "redirectUrl": redirect, "grantType": "authorization_code"}
        token = await cloud.api.signed_post(
            "eu", "/v2/user/oauth/token", body, appid="free-app", secret="free-secret"
        )
        assert token["error"] == 0
        assert token["data"]["accessToken"]


async def test_a_free_app_over_its_monthly_quota_gets_412_per_region() -> None:
    import aiohttp

    from cloudsim.config import AppCredential
    from cloudsim.testing import serve_in_process
    from tests.cloudsim.simclient import Api, Cloud

    full = AppCredential("full-app", "full-secret")
    free = AppCredential("free-app", "free-secret", oauth_only=True)
    async with serve_in_process(apps=[full, free]) as sim, aiohttp.ClientSession() as session:
        await sim.acontrol("POST", "/settings", {"free_app_monthly_calls": 3})
        cloud = Cloud(sim, Api(sim, session))
        user = await cloud.user("eu")
        free_headers = {"Authorization": f"Bearer {user.at}", "X-CK-Appid": "free-app"}
        full_headers = {"Authorization": f"Bearer {user.at}", "X-CK-Appid": "full-app"}
        answers = []
        for _ in range(4):
            reply = await cloud.api.request("GET", "eu", "/v2/user/profile", headers=free_headers)
            answers.append(reply["error"])
        assert answers == [0, 0, 0, 412]
        # The quota is the free app's, per region: a paid app and another region go on.
        paid = await cloud.api.request("GET", "eu", "/v2/user/profile", headers=full_headers)
        assert paid["error"] == 0
        other_region = await cloud.api.request(
            "GET", "us", "/v2/user/profile", headers=free_headers
        )
        assert other_region["error"] != 412
