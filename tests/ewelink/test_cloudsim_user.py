"""[User] endpoints against cloudsim over real sockets."""

from __future__ import annotations

import pytest

from cloudsim.testing import InProcessCloudsim
from ewelink import AuthError, EWeLinkError, Governor, RegionRedirectError
from tests.ewelink.conftest import ClientFactory, new_account

pytestmark = pytest.mark.integration


async def test_login_follows_region_redirect(
    sim: InProcessCloudsim, make_client: ClientFactory, quiet_governor: Governor
) -> None:
    account = await new_account(sim, region="us", country_code="+44")  # +44 guesses eu
    client = make_client()
    result = await client.login(email=account.email, password=account.password, country_code="+44")
    assert result.user.apikey == account.apikey
    assert result.tokens.region == "us"
    assert client.region == "us"
    assert make_client.saved == [result.tokens]
    assert quiet_governor.stats().calls["/v2/user/login"] == 2  # eu, then us


async def test_wrong_password_and_unknown_user(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    account = await new_account(sim)
    client = make_client()
    with pytest.raises(AuthError) as wrong:
        await client.login(email=account.email, password="nope", country_code="+44")
    assert wrong.value.code == 10001
    with pytest.raises(AuthError) as missing:
        await client.login(email="ghost@example.com", password="x", country_code="+44")
    assert missing.value.code == 10003


async def test_profile_update_and_change_password(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    account = await new_account(sim)
    client = await make_client.logged_in(account)
    await client.update_profile(nickname="Kim")
    profile = await client.get_profile()
    assert profile.nickname == "Kim"
    assert profile.apikey == account.apikey
    assert profile.raw["apikey"] == account.apikey
    await client.change_password(account.password, "new-password")
    account.password = "new-password"
    again = await make_client.logged_in(account)
    assert again.tokens is not None


async def test_get_region_is_signed_at_the_root(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    client = make_client()
    assert await client.get_region("+86") == "cn"
    assert await client.get_region("+1") == "us"
    assert await client.get_region("+49") == "eu"


async def test_register_with_code_then_reset_password(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    client = make_client(region="eu")
    await client.send_verification_code(0, email="new@example.com")
    codes = await sim.acontrol("GET", "/verification-codes")
    result = await client.register(
        country_code="+44",
        email="new@example.com",
        password="first",
        verification_code=codes["0:new@example.com"],
    )
    assert result.user.email == "new@example.com"
    await client.send_verification_code(1, email="new@example.com")
    codes = await sim.acontrol("GET", "/verification-codes")
    reset = await client.reset_password(
        email="new@example.com", password="second", verification_code=codes["1:new@example.com"]
    )
    assert reset.user.apikey == result.user.apikey
    relog = make_client()
    login = await relog.login(email="new@example.com", password="second", country_code="+44")
    assert login.user.apikey == result.user.apikey


async def test_sms_login_for_mainland_numbers(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    phone = "+8613800000001"
    raw = await sim.acontrol(
        "POST",
        "/accounts",
        {"region": "cn", "phoneNumber": phone, "password": "pw", "countryCode": "+86"},
    )
    client = make_client()
    await client.send_verification_code(4, phone_number=phone)
    codes = await sim.acontrol("GET", "/verification-codes")
    result = await client.sms_login(phone_number=phone, verification_code=codes[f"4:{phone}"])
    assert result.user.apikey == raw["apikey"]
    assert result.tokens.region == "cn"


async def test_refresh_logout_and_close_account(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    account = await new_account(sim)
    client = await make_client.logged_in(account)
    old = client.tokens
    assert old is not None
    new = await client.refresh_tokens()
    assert (new.at, new.rt) != (old.at, old.rt)
    assert new.apikey == account.apikey
    assert make_client.saved[-1] == new
    await client.get_profile()
    await client.logout()
    with pytest.raises(AuthError):
        await client.get_profile()
    client = await make_client.logged_in(account)
    await client.send_verification_code(3, email=account.email)
    codes = await sim.acontrol("GET", "/verification-codes")
    await client.close_account(codes[f"3:{account.email}"])
    with pytest.raises(EWeLinkError):
        await make_client.logged_in(account)


async def test_homepage(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    account = await new_account(sim)
    home = await sim.acontrol(
        "POST", f"/accounts/{account.apikey}/homes", {"name": "Flat", "rooms": ["Hall"]}
    )
    await sim.acontrol(
        "POST", "/devices", {"owner": account.apikey, "uiid": 1, "familyid": home["familyid"]}
    )
    client = await make_client.logged_in(account)
    page = await client.homepage(messages=True)
    assert page.user is not None
    assert page.user.apikey == account.apikey
    assert page.homes is not None
    assert any(h.name == "Flat" for h in page.homes.homes)
    assert page.things is not None


async def test_redirect_error_type(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    account = await new_account(sim, region="as", country_code="+91")
    client = make_client()
    with pytest.raises(RegionRedirectError) as caught:
        # Forcing the first region and failing the follow-up shows the typed redirect.
        await client.http.call(
            "POST",
            "/v2/user/login",
            body={"countryCode": "+91", "email": account.email, "password": account.password},
            auth="sign",
            region="eu",
        )
    assert caught.value.region == "as"
