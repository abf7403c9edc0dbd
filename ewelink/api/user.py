"""[User] endpoints: login and the account lifecycle. Pre-login calls are signed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ewelink.api.base import ApiBase
from ewelink.errors import ProtocolError, RegionRedirectError
from ewelink.limits import check_not_empty
from ewelink.models import Homepage, JsonDict, User, as_dict
from ewelink.regions import Region, as_region, is_region, region_for_country
from ewelink.tokens import Tokens, expiry_ms


@dataclass(frozen=True)
class LoginResult:
    """A logged-in user with their tokens."""

    user: User
    tokens: Tokens
    raw: JsonDict = field(repr=False, compare=False)


def _identity(email: str | None, phone_number: str | None) -> JsonDict:
    if phone_number:  # the cloud checks the phone number first
        return {"phoneNumber": phone_number}
    if email:
        return {"email": email}
    raise ValueError("either email or phone_number is required")


def _drop_none(values: dict[str, Any]) -> JsonDict:
    return {key: value for key, value in values.items() if value is not None}


class UserApi(ApiBase):
    """Register, log in, refresh, profile, logout and the related code/password flows."""

    async def login(
        self,
        *,
        password: str,
        country_code: str,
        email: str | None = None,
        phone_number: str | None = None,
        region: Region | None = None,
        lang: str | None = None,
    ) -> LoginResult:
        """Password login; follows a 10004 redirect to the account's region once."""
        body = _drop_none(
            {"countryCode": country_code, "password": password, "lang": lang}
            | _identity(email, phone_number)
        )
        first = region or region_for_country(country_code)
        return await self._login_at("/v2/user/login", body, first)

    async def sms_login(
        self, *, phone_number: str, verification_code: str, country_code: str = "+86"
    ) -> LoginResult:
        """Log in with an SMS code (mainland China numbers only)."""
        body = {
            "countryCode": country_code,
            "phoneNumber": phone_number,
            "verificationCode": verification_code,
        }
        return await self._login_at("/v2/user/sms-login", body, region_for_country(country_code))

    async def register(
        self,
        *,
        country_code: str,
        verification_code: str,
        password: str,
        email: str | None = None,
        phone_number: str | None = None,
    ) -> LoginResult:
        """Create an account (needs a code from ``send_verification_code(0, …)``)."""
        body = {
            "countryCode": country_code,
            "verificationCode": verification_code,
            "password": password,
        } | _identity(email, phone_number)
        return await self._login_at("/v2/user/register", body, self.http.region)

    async def send_verification_code(
        self, code_type: int, *, email: str | None = None, phone_number: str | None = None
    ) -> None:
        """Send a code: 0 register, 1 reset password, 3 delete account, 4 code login."""
        body = {"type": code_type} | _identity(email, phone_number)
        await self._signed("/v2/user/verification-code", body, self.http.region)

    async def reset_password(
        self,
        *,
        verification_code: str,
        password: str,
        email: str | None = None,
        phone_number: str | None = None,
    ) -> LoginResult:
        """Set a new password with a code; logs the user in."""
        body = {"verificationCode": verification_code, "password": password} | _identity(
            email, phone_number
        )
        return await self._login_at("/v2/user/reset-pwd", body, self.http.region)

    async def change_password(self, old_password: str, new_password: str) -> None:
        """Change the password of the logged-in user."""
        body = {"oldPassword": old_password, "newPassword": new_password}
        await self.http.call("POST", "/v2/user/change-pwd", body=body)

    async def get_profile(self) -> User:
        """The logged-in user's profile."""
        data = await self.http.call("GET", "/v2/user/profile")
        return User.from_raw(as_dict(data.get("user"), "user"))

    async def update_profile(
        self,
        *,
        nickname: str | None = None,
        accept_email_ad: bool | None = None,
        account_consult: bool | None = None,
    ) -> None:
        """Change the nickname or newsletter flags; None leaves a field unchanged."""
        body = _drop_none(
            {
                "nickname": nickname,
                "acceptEmailAd": accept_email_ad,
                "accountConsult": account_consult,
            }
        )
        await self.http.call("POST", "/v2/user/profile", body=body)

    async def refresh_tokens(self) -> Tokens:
        """Trade the refresh token for a new pair (handed to ``on_tokens``)."""
        return await self.http.refresh_tokens()

    async def refresh_if_expiring(self, within_seconds: float = 7 * 24 * 3600) -> bool:
        """Refresh ahead of the 30-day expiry (for a periodic task); True if it refreshed."""
        tokens = self.http.tokens
        if tokens is None or not tokens.expires_within(within_seconds):
            return False
        await self.http.refresh_tokens(stale_at=tokens.at)
        return True

    async def logout(self) -> None:
        """End the session server-side; the tokens stop working."""
        await self.http.call("DELETE", "/v2/user/logout")

    async def close_account(self, verification_code: str) -> None:
        """Delete the account for good (needs a code of type 3)."""
        check_not_empty("verification_code", verification_code)
        body = {"verificationCode": verification_code}
        await self.http.call("POST", "/v2/user/close-account", body=body)

    async def get_region(self, country_code: str) -> Region:
        """Ask the global endpoint which region serves a dialling code (signed GET)."""
        params = {"countryCode": country_code.replace("+", "")}
        url = self.http.endpoints.get_region()
        data = await self.http.call(
            "GET", "/v2/utils/get-region", params=params, auth="sign", url=url
        )
        region = data.get("region")
        if not is_region(region):
            raise ProtocolError(f"get-region answered an unknown region {region!r}", data=data)
        return as_region(str(region))

    async def homepage(
        self,
        *,
        user: bool = True,
        homes: bool = True,
        things: bool = True,
        messages: bool = False,
        thing_num: int | None = None,
        lang: str | None = None,
    ) -> Homepage:
        """Several things in one call; prefer the specific endpoints for single devices."""
        body: JsonDict = _drop_none({"lang": lang})
        if user:
            body["getUser"] = {}
        if homes:
            body["getFamily"] = {}
        if things:
            body["getThing"] = _drop_none({"num": thing_num})
        if messages:
            body["getMessage"] = {}
        return Homepage.from_raw(await self.http.call("POST", "/v2/homepage", body=body))

    async def _signed(self, path: str, body: JsonDict, region: Region) -> tuple[JsonDict, Region]:
        """A signed pre-login POST following one 10004 redirect; returns the region used."""
        try:
            data = await self.http.call(
                "POST", path, body=body, auth="sign", region=region, refresh_on_expiry=False
            )
        except RegionRedirectError as redirect:
            if redirect.region is None or redirect.region == region:
                raise
            region = redirect.region
            data = await self.http.call(
                "POST", path, body=body, auth="sign", region=region, refresh_on_expiry=False
            )
        return data, region

    async def _login_at(self, path: str, body: JsonDict, region: Region) -> LoginResult:
        data, region = await self._signed(path, body, region)
        user = User.from_raw(as_dict(data.get("user"), "user"))
        at, rt = data.get("at"), data.get("rt")
        if not isinstance(at, str) or not isinstance(rt, str):
            raise ProtocolError("login answer lacks at/rt", data=data)
        answered = data.get("region")
        final = as_region(str(answered)) if is_region(answered) else region
        tokens = Tokens(at=at, rt=rt, region=final, apikey=user.apikey).with_pair(
            at,
            rt,
            at_expires_ms=expiry_ms(data.get("atExpiredTime")),
            rt_expires_ms=expiry_ms(data.get("rtExpiredTime")),
        )
        await self.http.set_tokens(tokens)
        return LoginResult(user, tokens, data)
