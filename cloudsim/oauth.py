"""The OAuth 2.0 authorization page (notes §1.7): sign in, then 302 back with a short code."""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from . import REGIONS
from .keys import CLOUD
from .signing import oauth_authorization, signature_matches
from .state import Account, OAuthCode

if TYPE_CHECKING:
    from .cloud import Cloud

FLOW_FIELDS = ("clientId", "seq", "authorization", "redirectUrl", "grantType", "state", "nonce")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/oauth/index.html", show_page)
    app.router.add_post("/oauth/index.html", submit_page)


def grant_code(
    cloud: Cloud, account: Account, appid: str, redirect_url: str, state: str
) -> tuple[OAuthCode, str]:
    """Issue a code bound to the app, redirect URL and the account's region."""
    if not redirect_url:
        raise ValueError("redirectUrl is required")
    grant = OAuthCode(
        cloud.state.hex_id(32),
        account.apikey,
        appid,
        redirect_url,
        account.region,
        time.time() + cloud.settings.oauth_code_ttl,
    )
    cloud.state.oauth_codes[grant.code] = grant
    target = URL(redirect_url).update_query(code=grant.code, region=grant.region, state=state)
    return grant, str(target)


def flow_problem(cloud: Cloud, flow: dict[str, str]) -> str | None:
    """Why the page refuses these parameters, or None when they are fine."""
    for name in ("clientId", "seq", "authorization", "redirectUrl", "grantType", "state"):
        if not flow.get(name):
            return f"missing parameter {name}"
    if flow["grantType"] != "authorization_code":
        return "grantType must be authorization_code"
    secret = cloud.config.secret_for(flow["clientId"])
    if secret is None:
        return "unknown clientId"
    expected = f"{flow['clientId']}_{flow['seq']}".encode()
    if not signature_matches(secret, expected, flow["authorization"]):
        return "authorization verification failed"
    return None


async def show_page(request: web.Request) -> web.Response:
    cloud = request.app[CLOUD]
    flow = {name: request.query.get(name, "") for name in FLOW_FIELDS}
    problem = flow_problem(cloud, flow)
    if problem:
        return page(problem, status=400)
    return page(None, flow=flow)


async def submit_page(request: web.Request) -> web.Response:
    cloud = request.app[CLOUD]
    form = await request.post()
    flow = {name: str(form.get(name, "")) for name in FLOW_FIELDS}
    problem = flow_problem(cloud, flow)
    if problem:
        return page(problem, status=400)
    account, error = sign_in(cloud, form)
    if account is None:
        return page(error, flow=flow, status=401)
    _, target = grant_code(cloud, account, flow["clientId"], flow["redirectUrl"], flow["state"])
    raise web.HTTPFound(target)


def sign_in(cloud: Cloud, form: Any) -> tuple[Account | None, str]:
    name = str(form.get("account", "")).strip()
    password = str(form.get("password", ""))
    region = str(form.get("region", "auto"))
    is_email = "@" in name
    account = cloud.state.find_account(name if is_email else None, None if is_email else name)
    if account is None or account.password != password:
        return None, "wrong account or password"
    if region in REGIONS and account.region != region:
        return None, f"this account is not registered in region {region}"
    return account, ""


def page(error: str | None, flow: dict[str, str] | None = None, status: int = 200) -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
        for k, v in (flow or {}).items()
    )
    options = "".join(f'<option value="{r}">{r}</option>' for r in ("auto", *REGIONS))
    message = f'<p class="error">{html.escape(error)}</p>' if error else ""
    form = "" if flow is None else FORM.format(hidden=hidden, options=options)
    body = PAGE.format(message=message, form=form)
    return web.Response(text=body, content_type="text/html", status=status)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eWeLink authorization (cloudsim)</title>
</head><body><h1>Sign in to authorize</h1>{message}{form}</body></html>"""

FORM = """<form method="post" action="/oauth/index.html">{hidden}
<label>Email or phone <input name="account" autocomplete="username"></label>
<label>Password <input name="password" type="password"></label>
<label>Region <select name="region">{options}</select></label>
<button type="submit">Authorize</button></form>"""


def authorization_for(secret: str, client_id: str, seq: str) -> str:
    """Convenience for tests and docs: what a client puts in `authorization`."""
    return oauth_authorization(secret, client_id, seq)
