"""Async client for the eWeLink (CoolKit) cloud: REST API v2 and the websocket session.

No Django here: hosts inject an ``aiohttp.ClientSession``, persist tokens handed to
``on_tokens`` and consume websocket events through an async iterator::

    async with aiohttp.ClientSession() as http:
        client = EWeLinkClient(
            http, app_id=APPID, app_secret=SECRET,
            tokens=stored_tokens,                     # or None, then login / OAuth
            on_tokens=save_encrypted,                 # called after login and every refresh
            base_url_template="http://127.0.0.1:8181/{region}",  # cloudsim; omit for the cloud
        )
        await client.login(email=..., password=..., country_code="+44")  # follows 10004
        things = [thing async for thing in client.iter_things()]
        async with client.websocket() as session:  # dispatch, userOnline, ping, reconnects
            session.learn_owners(things)           # apikey/selfApikey for shared devices
            result = await session.update(deviceid, {"switch": "on"})  # CommandResult
            async for event in session.events():   # Connected/Disconnected/DeviceParams/...
                ...                                # raises AuthError when relink is needed

Every failure is an ``EWeLinkError`` subclass carrying ``code`` and ``message``; REST calls are
paced by the process-wide ``default_governor()`` (see ``Governor.stats()`` for counters).
"""

from ewelink.api.oauth import build_authorization_url
from ewelink.api.user import LoginResult
from ewelink.backoff import Backoff
from ewelink.client import EWeLinkClient
from ewelink.errors import (
    ApiError,
    AppNotAllowedError,
    AuthError,
    BadRequestError,
    DeviceOfflineError,
    DeviceTimeoutError,
    EWeLinkError,
    LimitError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    QuotaExceededError,
    RateLimitedError,
    RegionRedirectError,
    ServerError,
    TokenExpiredError,
)
from ewelink.governor import Governor, GovernorStats, default_governor, set_default_governor
from ewelink.models import (
    BatchResult,
    Device,
    DeviceFirmware,
    DispatchInfo,
    FirmwareFile,
    Group,
    GroupCreated,
    HistoryEntry,
    Home,
    Homepage,
    Homes,
    Message,
    OtaInfo,
    Room,
    StatusUpdate,
    Thing,
    ThingPage,
    ThingRef,
    User,
)
from ewelink.regions import Endpoints, Region, region_for_country
from ewelink.tokens import Tokens
from ewelink.ws.dispatch import DispatchCache
from ewelink.ws.events import (
    CommandResult,
    CommandStatus,
    Connected,
    DeviceOnline,
    DeviceParams,
    Disconnected,
    Event,
)
from ewelink.ws.session import WsSession
from ewelink.ws.state import SessionState, SessionStats

__all__ = [
    "ApiError",
    "AppNotAllowedError",
    "AuthError",
    "Backoff",
    "BadRequestError",
    "BatchResult",
    "CommandResult",
    "CommandStatus",
    "Connected",
    "Device",
    "DeviceFirmware",
    "DeviceOfflineError",
    "DeviceOnline",
    "DeviceParams",
    "DeviceTimeoutError",
    "Disconnected",
    "DispatchCache",
    "DispatchInfo",
    "EWeLinkClient",
    "EWeLinkError",
    "Endpoints",
    "Event",
    "FirmwareFile",
    "Governor",
    "GovernorStats",
    "Group",
    "GroupCreated",
    "HistoryEntry",
    "Home",
    "Homepage",
    "Homes",
    "LimitError",
    "LoginResult",
    "Message",
    "NetworkError",
    "NotFoundError",
    "OtaInfo",
    "PermissionDeniedError",
    "ProtocolError",
    "QuotaExceededError",
    "RateLimitedError",
    "Region",
    "RegionRedirectError",
    "Room",
    "ServerError",
    "SessionState",
    "SessionStats",
    "StatusUpdate",
    "Thing",
    "ThingPage",
    "ThingRef",
    "TokenExpiredError",
    "Tokens",
    "User",
    "WsSession",
    "build_authorization_url",
    "default_governor",
    "region_for_country",
    "set_default_governor",
]
