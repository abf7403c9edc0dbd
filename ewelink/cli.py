"""``python -m ewelink``: a small command line for people debugging their own account."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from ewelink.client import EWeLinkClient
from ewelink.errors import AuthError, EWeLinkError
from ewelink.models import Thing
from ewelink.regions import REGIONS, Region, as_region
from ewelink.tokens import Tokens
from ewelink.ws.events import Connected, DeviceOnline, DeviceParams, Disconnected, Event

DEFAULT_TOKENS = "ewelink-tokens.json"


def build_parser() -> argparse.ArgumentParser:
    """Options first, then one command."""
    parser = argparse.ArgumentParser(prog="python -m ewelink", description=__doc__)
    parser.add_argument("--app-id", default=os.environ.get("EWELINK_APP_ID"))
    parser.add_argument("--app-secret", default=os.environ.get("EWELINK_APP_SECRET"))
    parser.add_argument(
        "--base-url",
        default=os.environ.get("EWELINK_BASE_URL"),
        help="base-URL template such as http://127.0.0.1:8181/{region} (default: real cloud)",
    )
    parser.add_argument("--tokens", default=DEFAULT_TOKENS, help="token cache file (mode 0600)")
    commands = parser.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="log in with a password and cache the tokens")
    login.add_argument("--email")
    login.add_argument("--phone")
    login.add_argument("--password", help="prompted for when omitted")
    login.add_argument("--country-code", required=True, help='dialling code such as "+44"')
    login.add_argument("--region", choices=REGIONS, help="first region to try")
    link_url = commands.add_parser("link-url", help="print the OAuth authorization page URL")
    link_url.add_argument("--redirect-url", required=True)
    link_url.add_argument("--state", default="cli")
    link = commands.add_parser("link", help="exchange an OAuth code and cache the tokens")
    link.add_argument("code")
    link.add_argument("--region", required=True, choices=REGIONS, help="region from the redirect")
    link.add_argument("--redirect-url", required=True)
    commands.add_parser("homes", help="list homes and rooms")
    commands.add_parser("things", help="list every thing of every home")
    get = commands.add_parser("get", help="show a device's params")
    get.add_argument("deviceid")
    get.add_argument("keys", nargs="*", help="only these params")
    set_ = commands.add_parser("set", help="change params: key=value (values parsed as JSON)")
    set_.add_argument("deviceid")
    set_.add_argument("assignments", nargs="+", metavar="key=value")
    watch = commands.add_parser("watch", help="print websocket events as JSON lines")
    watch.add_argument("--seconds", type=float, default=None, help="stop after this long")
    return parser


def parse_assignments(assignments: Sequence[str]) -> dict[str, Any]:
    """``switch=on outlet=1 switches=[...]`` → params; JSON when it parses, else a string."""
    params: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"expected key=value, got {item!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def save_tokens(path: Path, tokens: Tokens) -> None:
    """Write the cache readable by the owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(tokens.to_dict(), handle, indent=2)
    os.chmod(path, 0o600)  # also tighten a file that existed with looser bits


def load_tokens(path: Path) -> Tokens:
    if not path.exists():
        raise AuthError(f"no tokens in {path}; run the login command first")
    return Tokens.from_dict(json.loads(path.read_text()))


def thing_json(thing: Thing) -> dict[str, Any]:
    """One line of ``things`` output."""
    line: dict[str, Any] = {"id": thing.id, "name": thing.name, "itemType": thing.item_type}
    if thing.device is not None:
        device = thing.device
        line |= {
            "uiid": device.uiid,
            "online": device.online,
            "familyid": device.family.familyid,
            "roomid": device.family.roomid,
            "owner": device.apikey,
            "params": device.params,
        }
    elif thing.group is not None:
        line |= {"familyid": thing.group.family.familyid, "params": thing.group.params}
    return line


def event_json(event: Event) -> dict[str, Any]:
    """One line of ``watch`` output."""
    kind = {
        Connected: "connected",
        Disconnected: "disconnected",
        DeviceParams: "params",
        DeviceOnline: "online",
    }[type(event)]
    fields = {k: v for k, v in dataclasses.asdict(event).items() if k != "raw"}
    return {"event": kind, **fields}


class Cli:
    """Runs one command with a client built from the options."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args = args
        self.out = out
        self.tokens_path = Path(args.tokens)

    def emit(self, value: Any) -> None:
        self.out.write(json.dumps(value, ensure_ascii=False) + "\n")
        self.out.flush()

    async def run(self) -> None:
        if not self.args.app_id or not self.args.app_secret:
            raise EWeLinkError("app credentials missing: --app-id/--app-secret or EWELINK_APP_*")
        async with aiohttp.ClientSession() as session:
            fresh = self.args.command in ("login", "link", "link-url")
            tokens = None if fresh else load_tokens(self.tokens_path)
            client = EWeLinkClient(
                session,
                app_id=self.args.app_id,
                app_secret=self.args.app_secret,
                base_url_template=self.args.base_url,
                tokens=tokens,
                on_tokens=lambda new: save_tokens(self.tokens_path, new),
            )
            await getattr(self, "cmd_" + self.args.command.replace("-", "_"))(client)

    async def cmd_login(self, client: EWeLinkClient) -> None:
        args = self.args
        if not args.email and not args.phone:
            raise EWeLinkError("login needs --email or --phone")
        password = args.password or getpass.getpass("eWeLink password: ")
        region: Region | None = as_region(args.region) if args.region else None
        result = await client.login(
            email=args.email,
            phone_number=args.phone,
            password=password,
            country_code=args.country_code,
            region=region,
        )
        self.emit(
            {
                "apikey": result.user.apikey,
                "region": result.tokens.region,
                "tokens": str(self.tokens_path),
            }
        )

    async def cmd_link_url(self, client: EWeLinkClient) -> None:
        url = client.authorization_url(self.args.redirect_url, self.args.state)
        self.emit({"url": url})

    async def cmd_link(self, client: EWeLinkClient) -> None:
        tokens = await client.exchange_oauth_code(
            self.args.code, redirect_url=self.args.redirect_url, region=self.args.region
        )
        self.emit(
            {"apikey": tokens.apikey, "region": tokens.region, "tokens": str(self.tokens_path)}
        )

    async def cmd_homes(self, client: EWeLinkClient) -> None:
        homes = await client.get_homes()
        for home in homes.homes:
            rooms = [{"id": room.id, "name": room.name} for room in home.rooms]
            current = home.id == homes.current_id
            self.emit({"id": home.id, "name": home.name, "current": current, "rooms": rooms})

    async def cmd_things(self, client: EWeLinkClient) -> None:
        async for thing in client.iter_things():
            self.emit(thing_json(thing))

    async def cmd_get(self, client: EWeLinkClient) -> None:
        params = await client.get_status(self.args.deviceid, self.args.keys or None)
        self.emit({"deviceid": self.args.deviceid, "params": params})

    async def cmd_set(self, client: EWeLinkClient) -> None:
        params = parse_assignments(self.args.assignments)
        await client.set_status(self.args.deviceid, params)
        self.emit({"deviceid": self.args.deviceid, "sent": params, "ok": True})

    async def cmd_watch(self, client: EWeLinkClient) -> None:
        async with client.websocket() as session:
            events = session.events()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.args.seconds):
                    async for event in events:
                        self.emit(event_json(event))


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point; returns the exit status (2 = credentials rejected, 1 = other errors)."""
    args = build_parser().parse_args(argv)
    cli = Cli(args, out or sys.stdout)
    try:
        asyncio.run(cli.run())
    except AuthError as exc:
        print(f"error: {exc} (log in again)", file=sys.stderr)
        return 2
    except (EWeLinkError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error for a listing tool.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0
