"""Request core against the scriptable fake cloud: signing, redirect, refresh, retries."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from ewelink import (
    AuthError,
    EWeLinkClient,
    LimitError,
    NetworkError,
    QuotaExceededError,
    ServerError,
    StatusUpdate,
    ThingRef,
    TokenExpiredError,
    Tokens,
)
from ewelink.backoff import Backoff
from ewelink.signing import sign_body, sign_query
from tests.ewelink.fakecloud import FakeCloud, Seen

SECRET = "s3cret"


def ok(data: object) -> tuple[int, object]:
    return 200, {"error": 0, "msg": "", "data": data}


def err(code: int, msg: str = "", data: object = None) -> tuple[int, object]:
    return 200, {"error": code, "msg": msg, "data": data or {}}


LOGIN_DATA = {"user": {"apikey": "me", "email": "a@b.c"}, "at": "AT1", "rt": "RT1", "region": "eu"}


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    fake = FakeCloud()
    await fake.start()
    yield fake
    await fake.close()


async def no_sleep(_: float) -> None:
    return None


def make_client(
    cloud: FakeCloud, session: aiohttp.ClientSession, **options: object
) -> tuple[EWeLinkClient, list[Tokens]]:
    saved: list[Tokens] = []
    client = EWeLinkClient(
        session,
        app_id="APP",
        app_secret=SECRET,
        base_url_template=cloud.template,
        on_tokens=saved.append,
        sleep=no_sleep,
        retry_backoff=Backoff(low=0, high=0, cap=0),
        **options,  # type: ignore[arg-type]
    )
    return client, saved


def logged_in(
    cloud: FakeCloud, session: aiohttp.ClientSession
) -> tuple[EWeLinkClient, list[Tokens]]:
    tokens = Tokens(at="AT1", rt="RT1", region="eu", apikey="me")
    return make_client(cloud, session, tokens=tokens)


async def test_login_is_signed_and_follows_10004_once(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    cloud.script("POST", "/us/v2/user/login", err(10004, "redirection", {"region": "eu"}))
    cloud.script("POST", "/eu/v2/user/login", ok(LOGIN_DATA))
    client, saved = make_client(cloud, http_session)
    result = await client.login(email="a@b.c", password="pw", country_code="+1")
    first, second = cloud.calls("/us/v2/user/login") + cloud.calls("/eu/v2/user/login")
    for seen in (first, second):
        assert seen.headers["Authorization"] == sign_body(SECRET, seen.body)
        assert seen.headers["X-CK-Appid"] == "APP"
        assert len(seen.headers["X-CK-Nonce"]) == 8
        assert seen.headers["Content-Type"] == "application/json"
    assert json.loads(first.body) == {"countryCode": "+1", "password": "pw", "email": "a@b.c"}
    assert result.user.apikey == "me"
    assert result.tokens.region == "eu"
    assert client.region == "eu"
    assert saved == [result.tokens]
    assert saved[0].at == "AT1"
    assert saved[0].at_expires_ms is not None


async def test_a_second_redirect_is_not_followed(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    cloud.script("POST", "/us/v2/user/login", err(10004, "redirection", {"region": "eu"}))
    cloud.script("POST", "/eu/v2/user/login", err(10004, "redirection", {"region": "as"}))
    client, _ = make_client(cloud, http_session)
    with pytest.raises(Exception, match="10004"):
        await client.login(phone_number="+15550001", password="pw", country_code="+1")
    assert cloud.calls("/as/v2/user/login") == []


async def test_bearer_after_login_and_signed_get_region_at_root(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    cloud.script("GET", "/v2/utils/get-region", ok({"region": "as"}))
    client, _ = logged_in(cloud, http_session)
    await client.get_homes()
    assert cloud.calls("/eu/v2/family")[0].headers["Authorization"] == "Bearer AT1"
    assert await client.get_region("+91") == "as"
    seen = cloud.calls("/v2/utils/get-region")[0]
    assert seen.query == {"countryCode": "91"}
    assert seen.headers["Authorization"] == sign_query(SECRET, {"countryCode": "91"})


async def test_402_refreshes_once_and_retries_once(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    cloud.script(
        "GET",
        "/eu/v2/family",
        err(402, "token expired"),
        ok({"familyList": [], "currentFamilyId": "f"}),
    )
    cloud.script("POST", "/eu/v2/user/refresh", ok({"at": "AT2", "rt": "RT2"}))
    client, saved = logged_in(cloud, http_session)
    homes = await client.get_homes()
    assert homes.current_id == "f"
    refresh = cloud.calls("/eu/v2/user/refresh")[0]
    assert json.loads(refresh.body) == {"rt": "RT1"}
    assert refresh.headers["Authorization"] == sign_body(SECRET, refresh.body)
    assert [t.at for t in saved] == ["AT2"]
    assert saved[0].rt == "RT2"
    assert saved[0].apikey == "me"
    assert cloud.calls("/eu/v2/family")[1].headers["Authorization"] == "Bearer AT2"


async def test_402_twice_raises(cloud: FakeCloud, http_session: aiohttp.ClientSession) -> None:
    cloud.script("GET", "/eu/v2/family", err(402), err(402))
    cloud.script("POST", "/eu/v2/user/refresh", ok({"at": "AT2", "rt": "RT2"}))
    client, _ = logged_in(cloud, http_session)
    with pytest.raises(TokenExpiredError):
        await client.get_homes()
    assert len(cloud.calls("/eu/v2/user/refresh")) == 1


async def test_401_is_an_auth_error_without_refresh(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    cloud.script("GET", "/eu/v2/user/profile", err(401, "cannot found access token info"))
    client, saved = logged_in(cloud, http_session)
    with pytest.raises(AuthError) as caught:
        await client.get_profile()
    assert caught.value.code == 401
    assert cloud.calls("/eu/v2/user/refresh") == []
    assert saved == []


async def test_get_is_retried_on_5xx_but_post_is_not(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    cloud.script("GET", "/eu/v2/family", (500, "oops"), err(500), ok({"familyList": []}))
    client, _ = logged_in(cloud, http_session)
    assert (await client.get_homes()).homes == []
    assert len(cloud.calls("/eu/v2/family")) == 3
    cloud.script("POST", "/eu/v2/device/thing/status", err(500))
    with pytest.raises(ServerError):
        await client.set_status("d1", {"switch": "on"})
    assert len(cloud.calls("/eu/v2/device/thing/status")) == 1


async def test_retries_give_up(cloud: FakeCloud, http_session: aiohttp.ClientSession) -> None:
    cloud.script("GET", "/eu/v2/family", err(502), err(502), err(502), err(502))
    client, _ = logged_in(cloud, http_session)
    with pytest.raises(ServerError):
        await client.get_homes()
    assert len(cloud.calls("/eu/v2/family")) == 3  # first try + 2 retries


async def test_http_403_without_envelope_is_quota(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    cloud.script("GET", "/eu/v2/family", (403, "Forbidden"))
    client, _ = logged_in(cloud, http_session)
    with pytest.raises(QuotaExceededError):
        await client.get_homes()


async def test_network_error_is_typed(http_session: aiohttp.ClientSession) -> None:
    client = EWeLinkClient(
        http_session,
        app_id="A",
        app_secret="s",
        base_url_template="http://127.0.0.1:9/{region}",
        tokens=Tokens(at="x", rt="y", region="eu"),
        retries=0,
    )
    with pytest.raises(NetworkError):
        await client.get_homes()


async def test_limits_are_checked_before_sending(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    client, _ = logged_in(cloud, http_session)
    with pytest.raises(LimitError, match=r"1\.\.10"):
        await client.get_specified_things([ThingRef(1, str(i)) for i in range(11)])
    with pytest.raises(LimitError, match="timeout_ms"):
        await client.set_status_batch([StatusUpdate("a", {})], timeout_ms=8001)
    with pytest.raises(LimitError, match="repeat"):
        await client.set_status_batch([StatusUpdate("a", {}), StatusUpdate("a", {})])
    with pytest.raises(LimitError, match=r"1\.\.30"):
        await client.add_to_group("g", [str(i) for i in range(31)])
    with pytest.raises(LimitError, match="num"):
        await client.get_history("d", num=31)
    with pytest.raises(LimitError, match="num"):
        await client.get_messages(num=0)
    with pytest.raises(LimitError):
        await client.get_ota_info([])
    assert cloud.seen == []


async def test_not_logged_in(cloud: FakeCloud, http_session: aiohttp.ClientSession) -> None:
    client, _ = make_client(cloud, http_session)
    with pytest.raises(AuthError, match="not logged in"):
        await client.get_homes()


async def test_iterators_walk_every_page(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    entries = [{"deviceid": "d", "opsTime": 1000 - i, "request": {"i": i}} for i in range(65)]

    def history(seen: Seen) -> tuple[int, object]:
        start = int(seen.query.get("from", 10**9))
        older = [e for e in entries if e["opsTime"] <= start]  # type: ignore[operator]
        return ok({"histories": older[: int(seen.query["num"])]})

    cloud.handlers[("GET", "/eu/v2/device/history")] = history
    client, _ = logged_in(cloud, http_session)
    got = [entry.ops_time async for entry in client.iter_history("d")]
    assert got == [1000 - i for i in range(65)]


async def test_paging_keeps_same_millisecond_siblings_with_exclusive_from(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    # Two messages share each timestamp and pages hold 3, so pages end between siblings: a
    # naive "from = oldest" would lose one whenever the server treats ``from`` as exclusive
    # (cloudsim does). More same-ms siblings than a page can never all be reached.
    messages = [{"msgid": f"m{i}", "date": 100 - i // 2} for i in range(20)]

    def read(seen: Seen) -> tuple[int, object]:
        start = int(seen.query.get("from", 10**9))
        older = [m for m in messages if int(m["date"]) < start]
        return ok({"messageList": older[: int(seen.query["num"])]})

    cloud.handlers[("GET", "/eu/v2/message/read")] = read
    client, _ = logged_in(cloud, http_session)
    got = [message.msgid async for message in client.iter_messages(page_size=3)]
    assert got == [f"m{i}" for i in range(20)]


async def test_paging_keeps_identical_entries_of_one_millisecond(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    # Two identical log lines in the same ms straddle a page boundary (seen on cloudsim when
    # a device is switched fast): both must come out, once each.
    entries = [
        {"deviceid": "d", "opsTime": 51, "request": "off"},
        {"deviceid": "d", "opsTime": 50, "request": "on"},
        {"deviceid": "d", "opsTime": 50, "request": "on"},
        *({"deviceid": "d", "opsTime": 49 - i, "request": "off"} for i in range(3)),
    ]

    def history(seen: Seen) -> tuple[int, object]:
        start = int(seen.query.get("from", 10**9))
        older = [e for e in entries if int(str(e["opsTime"])) < start]
        return ok({"histories": older[: int(seen.query["num"])]})

    cloud.handlers[("GET", "/eu/v2/device/history")] = history
    client, _ = logged_in(cloud, http_session)
    got = [entry.ops_time async for entry in client.iter_history("d", page_size=2)]
    assert got == [51, 50, 50, 49, 48, 47]


async def test_the_call_observer_hears_every_attempt_and_what_the_cloud_refused(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    heard: list[tuple[str, bool]] = []

    async def observe(path: str, refused: bool) -> None:
        heard.append((path, refused))

    client, _ = make_client(
        cloud, http_session, tokens=Tokens(at="AT1", rt="RT1", region="eu"), on_call=observe
    )
    # An HTTP 500, an error code in a 200, then an answer: three calls, two refused.
    cloud.script("GET", "/eu/v2/family", (500, "oops"), err(500), ok({"familyList": []}))
    await client.get_homes()
    cloud.script("POST", "/eu/v2/device/thing/status", err(405, "not allowed"))
    with pytest.raises(Exception, match="405"):
        await client.set_status("10000000aa", {"switch": "on"})
    assert heard == [
        ("/v2/family", True),
        ("/v2/family", True),
        ("/v2/family", False),
        ("/v2/device/thing/status", True),
    ]


async def test_a_failing_call_observer_never_fails_the_call(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    def broken(path: str, refused: bool) -> None:
        raise RuntimeError("the counter store is down")

    client, _ = make_client(
        cloud, http_session, tokens=Tokens(at="AT1", rt="RT1", region="eu"), on_call=broken
    )
    cloud.script("GET", "/eu/v2/family", ok({"familyList": []}))
    assert (await client.get_homes()).homes == []
