"""Cloud regions, their hosts, and the dialling-code table used to pick a first region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, cast
from urllib.parse import urlsplit

Region = Literal["cn", "as", "us", "eu"]
REGIONS: Final[tuple[Region, ...]] = ("cn", "as", "us", "eu")

# Only mainland China (and the test region) lives under .cn; the rest is .cc (API document).
_REAL_API = "https://{region}-apia.coolkit.{tld}"
_REAL_DISPATCH = "https://{region}-dispa.coolkit.{tld}/dispatch/app"
_REAL_GET_REGION = "https://apia.coolkit.cn/v2/utils/get-region"
_REAL_OAUTH_PAGE = "https://c2ccdn.coolkit.cc/oauth/index.html"

# Dialling code → region, after SonoffLAN's table (notes §1.5); Australia/NZ go to us and
# Russia to eu, which surprises people. Unknown codes fall back to "eu" or get-region.
COUNTRY_REGIONS: Final[dict[str, Region]] = {
    "+1": "us",
    "+7": "eu",
    "+20": "eu",
    "+27": "eu",
    "+30": "eu",
    "+31": "eu",
    "+32": "eu",
    "+33": "eu",
    "+34": "eu",
    "+36": "eu",
    "+39": "eu",
    "+40": "eu",
    "+41": "eu",
    "+43": "eu",
    "+44": "eu",
    "+45": "eu",
    "+46": "eu",
    "+47": "eu",
    "+48": "eu",
    "+49": "eu",
    "+51": "us",
    "+52": "us",
    "+53": "us",
    "+54": "us",
    "+55": "us",
    "+56": "us",
    "+57": "us",
    "+58": "us",
    "+60": "as",
    "+61": "us",
    "+62": "as",
    "+63": "as",
    "+64": "us",
    "+65": "as",
    "+66": "as",
    "+81": "as",
    "+82": "as",
    "+84": "as",
    "+86": "cn",
    "+90": "as",
    "+91": "as",
    "+92": "as",
    "+93": "as",
    "+94": "as",
    "+95": "as",
    "+98": "as",
    "+212": "eu",
    "+213": "eu",
    "+216": "eu",
    "+234": "eu",
    "+254": "eu",
    "+351": "eu",
    "+352": "eu",
    "+353": "eu",
    "+354": "eu",
    "+356": "eu",
    "+357": "eu",
    "+358": "eu",
    "+359": "eu",
    "+370": "eu",
    "+371": "eu",
    "+372": "eu",
    "+375": "eu",
    "+380": "eu",
    "+381": "eu",
    "+385": "eu",
    "+386": "eu",
    "+420": "eu",
    "+421": "eu",
    "+852": "as",
    "+853": "as",
    "+855": "as",
    "+856": "as",
    "+880": "as",
    "+886": "as",
    "+960": "as",
    "+961": "as",
    "+962": "as",
    "+965": "as",
    "+966": "as",
    "+968": "as",
    "+971": "as",
    "+972": "as",
    "+973": "as",
    "+974": "as",
    "+977": "as",
    "+992": "as",
    "+994": "as",
    "+995": "as",
    "+998": "as",
}


def is_region(value: object) -> bool:
    """True when value names one of the four cloud regions."""
    return value in REGIONS


def as_region(value: str) -> Region:
    """Validate a region name coming from the wire or a user."""
    if not is_region(value):
        raise ValueError(f"unknown eWeLink region {value!r}; expected one of {', '.join(REGIONS)}")
    return cast(Region, value)


def region_for_country(country_code: str, default: Region = "eu") -> Region:
    """First region to try for a dialling code such as "+44" (login follows 10004 anyway)."""
    code = country_code.strip()
    if not code.startswith("+"):
        code = "+" + code
    return COUNTRY_REGIONS.get(code, default)


@dataclass(frozen=True)
class Endpoints:
    """Where each part of the cloud lives, for the real cloud or a base-URL template.

    The template (e.g. ``http://127.0.0.1:8181/{region}``) serves REST under ``/v2`` and
    dispatch under ``/dispatch/app``; the global get-region and the OAuth page live at the
    template's root, i.e. with the ``/{region}`` suffix removed.
    """

    template: str | None = None

    def __post_init__(self) -> None:
        if self.template is not None and "{region}" not in self.template:
            raise ValueError("base URL template must contain '{region}'")

    @property
    def root(self) -> str | None:
        """The simulator root (template without its region part), or None for the real cloud."""
        if self.template is None:
            return None
        return self.template.replace("/{region}", "").replace("{region}", "").rstrip("/")

    def api(self, region: Region) -> str:
        """Base URL for REST calls in a region (no trailing slash)."""
        if self.template is None:
            return _REAL_API.format(region=region, tld=_tld(region))
        return self.template.format(region=region).rstrip("/")

    def dispatch(self, region: Region) -> str:
        """URL of the websocket dispatch service for a region."""
        if self.template is None:
            return _REAL_DISPATCH.format(region=region, tld=_tld(region))
        return self.api(region) + "/dispatch/app"

    def get_region(self) -> str:
        """URL of the global get-region endpoint."""
        return _REAL_GET_REGION if self.root is None else self.root + "/v2/utils/get-region"

    def oauth_page(self) -> str:
        """URL of the OAuth authorization page."""
        return _REAL_OAUTH_PAGE if self.root is None else self.root + "/oauth/index.html"

    def websocket(self, domain: str, port: int, region: Region) -> str:
        """Websocket URL from a dispatch answer; plain ws only when REST itself is plain http."""
        scheme = "ws" if urlsplit(self.api(region)).scheme == "http" else "wss"
        return f"{scheme}://{domain}:{port}/api/ws"


def _tld(region: Region) -> str:
    return "cn" if region == "cn" else "cc"
