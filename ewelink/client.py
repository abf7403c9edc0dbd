"""The REST client hosts create: one per linked account, sharing one aiohttp session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from ewelink.backoff import Backoff
from ewelink.governor import Governor, Sleep
from ewelink.http import DEFAULT_TIMEOUT, CallObserver, HttpCore
from ewelink.models import HistoryEntry, Message, Thing
from ewelink.paging import iter_history, iter_messages, iter_things
from ewelink.regions import Region
from ewelink.tokens import Tokens, TokensCallback
from ewelink.ws.session import WsSession

from .api.devices import DeviceApi
from .api.family import HomeApi
from .api.groups import GroupApi
from .api.history import HistoryApi
from .api.oauth import OAuthApi
from .api.share import ShareApi
from .api.user import UserApi


class EWeLinkClient(UserApi, HomeApi, DeviceApi, GroupApi, ShareApi, HistoryApi, OAuthApi):
    """Typed async access to every endpoint of the eWeLink v2 API.

    The host owns the ``aiohttp.ClientSession`` and persists tokens from ``on_tokens``.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_id: str,
        app_secret: str,
        region: Region = "eu",
        tokens: Tokens | None = None,
        on_tokens: TokensCallback | None = None,
        base_url_template: str | None = None,
        governor: Governor | None = None,
        retries: int = 2,
        retry_backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
        timeout: float = DEFAULT_TIMEOUT,
        on_call: CallObserver | None = None,
    ) -> None:
        self.http = HttpCore(
            session,
            app_id=app_id,
            app_secret=app_secret,
            region=region,
            tokens=tokens,
            on_tokens=on_tokens,
            base_url_template=base_url_template,
            governor=governor,
            retries=retries,
            retry_backoff=retry_backoff,
            sleep=sleep,
            timeout=timeout,
            on_call=on_call,
        )

    @property
    def tokens(self) -> Tokens | None:
        """Current tokens (None before login)."""
        return self.http.tokens

    @property
    def region(self) -> Region:
        """Region the client talks to."""
        return self.http.region

    @property
    def session(self) -> aiohttp.ClientSession:
        """The injected aiohttp session."""
        return self.http.session

    def iter_things(self, *, page_size: int = 0) -> AsyncIterator[Thing]:
        """All things of all homes (own, shared, groups), each once."""
        return iter_things(self, page_size=page_size)

    def iter_history(self, deviceid: str, *, page_size: int = 30) -> AsyncIterator[HistoryEntry]:
        """All history entries of a device, newest first."""
        return iter_history(self, deviceid, page_size=page_size)

    def iter_messages(
        self, *, familyid: str | None = None, page_size: int = 30
    ) -> AsyncIterator[Message]:
        """All messages of a home, newest first."""
        return iter_messages(self, familyid=familyid, page_size=page_size)

    def websocket(self, **options: Any) -> WsSession:
        """A websocket session for this client (see ``WsSession`` for the options)."""
        return WsSession(self, **options)
