"""OAuth 2.0 account linking (notes §1.7): the authorization URL, code exchange, unlink."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from ewelink.api.base import ApiBase
from ewelink.errors import ProtocolError
from ewelink.regions import Endpoints, Region, as_region
from ewelink.signing import make_nonce, oauth_authorization
from ewelink.tokens import Tokens, expiry_ms

GRANT_AUTHORIZATION_CODE = "authorization_code"


def build_authorization_url(
    *,
    app_id: str,
    app_secret: str,
    redirect_url: str,
    state: str,
    seq: int | None = None,
    nonce: str | None = None,
    grant_type: str = GRANT_AUTHORIZATION_CODE,
    show_qr_code: bool | None = None,
    base_url_template: str | None = None,
) -> str:
    """URL of the page where a person authorizes the app for their eWeLink account."""
    seq_value = seq if seq is not None else int(time.time() * 1000)
    query = {
        "clientId": app_id,
        "seq": str(seq_value),
        "authorization": oauth_authorization(app_id, app_secret, seq_value),
        "redirectUrl": redirect_url,
        "grantType": grant_type,
        "state": state,
        "nonce": nonce or make_nonce(),
    }
    if show_qr_code is not None:
        query["showQRCode"] = "true" if show_qr_code else "false"
    return Endpoints(base_url_template).oauth_page() + "?" + urlencode(query)


class OAuthApi(ApiBase):
    """Exchange an authorization code for tokens; unlink."""

    def authorization_url(self, redirect_url: str, state: str, *, seq: int | None = None) -> str:
        """The authorization page URL for this client's app credentials."""
        return build_authorization_url(
            app_id=self.http.app_id,
            app_secret=self.http.app_secret,
            redirect_url=redirect_url,
            state=state,
            seq=seq,
            base_url_template=self.http.endpoints.template,
        )

    async def exchange_oauth_code(
        self,
        code: str,
        *,
        redirect_url: str,
        region: Region | str,
        grant_type: str = GRANT_AUTHORIZATION_CODE,
    ) -> Tokens:
        """Trade the 30-second code from the redirect for tokens, on the redirect's region."""
        target = as_region(str(region))
        body = {"code": code, "redirectUrl": redirect_url, "grantType": grant_type}
        data = await self.http.call(
            "POST",
            "/v2/user/oauth/token",
            body=body,
            auth="sign",
            region=target,
            refresh_on_expiry=False,
        )
        at, rt = data.get("accessToken"), data.get("refreshToken")
        if not isinstance(at, str) or not isinstance(rt, str):
            raise ProtocolError("oauth token answer lacks accessToken/refreshToken", data=data)
        tokens = Tokens(
            at=at,
            rt=rt,
            region=target,
            at_expires_ms=expiry_ms(data.get("atExpiredTime")),
            rt_expires_ms=expiry_ms(data.get("rtExpiredTime")),
        )
        self.http.tokens = tokens
        self.http.region = target
        # The token answer does not name the user; the websocket needs their apikey.
        profile = await self.http.call("GET", "/v2/user/profile")
        user = profile.get("user")
        apikey = str(user.get("apikey", "")) if isinstance(user, dict) else ""
        tokens = Tokens(
            at=at,
            rt=rt,
            region=target,
            apikey=apikey,
            at_expires_ms=tokens.at_expires_ms,
            rt_expires_ms=tokens.rt_expires_ms,
        )
        await self.http.set_tokens(tokens)
        return tokens

    async def unlink(self) -> None:
        """Revoke the OAuth tokens (``DELETE /v2/user/oauth/token``)."""
        await self.http.call("DELETE", "/v2/user/oauth/token")
