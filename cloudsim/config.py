"""Start-up configuration (from the command line) and runtime settings (control API)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Fixed dev credentials: clearly fake, never a real CoolKit app.
DEFAULT_APPID = "simappid0000000000000000000000000"
DEFAULT_SECRET = "simsecret000000000000000000000000"  # noqa: S105 - a fake dev secret


@dataclass
class AppCredential:
    """An APPID and its secret, as issued by the developer platform.

    `oauth_only` is a free developer-platform app: it may use the OAuth 2.0 interfaces and
    Bearer calls, but password login and the other pre-login [User] paths answer 407
    (notes, key takeaway 1).
    """

    appid: str
    secret: str
    oauth_only: bool = False


@dataclass
class SimConfig:
    """What the process was started with; fixed for its lifetime."""

    host: str = "127.0.0.1"
    port: int = 0
    demo: bool = False
    state_file: str | None = None
    apps: list[AppCredential] = field(default_factory=list)
    tls_cert: str | None = None
    tls_key: str | None = None
    save_interval: float = 10.0

    def __post_init__(self) -> None:
        if not self.apps:
            self.apps = [AppCredential(DEFAULT_APPID, DEFAULT_SECRET)]

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert and self.tls_key)

    def app(self, appid: str) -> AppCredential | None:
        """The registered app with this APPID, if any."""
        return next((app for app in self.apps if app.appid == appid), None)

    def secret_for(self, appid: str) -> str | None:
        """The secret of a known app, or None for an unknown APPID."""
        for app in self.apps:
            if app.appid == appid:
                return app.secret
        return None


DAY = 86400.0


@dataclass
class SimSettings:
    """Knobs tests and the demo turn at runtime through `POST /_sim/settings`."""

    at_ttl: float = 30 * DAY
    rt_ttl: float = 60 * DAY
    oauth_code_ttl: float = 30.0
    hb_interval: int = 145
    hb_grace: float = 17.0
    behaviour_rate: float = 0.0
    # Meters report power every 2 s while a client keeps uiActive fresh, as real ones do;
    # tests that set a meter's power turn this off so their value is the one shown.
    live_reports: bool = True
    etiquette: bool = False
    storm_guard: bool = False
    odd_frames: bool = False
    seed: int = 0
    device_timeout_ms: int = 2000
    ota_reboot_s: float = 1.0
    # Calls a free (OAuth-only) app may make per region and month (notes §1.8).
    free_app_monthly_calls: int = 50_000

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; raise ValueError on unknown keys or wrong types."""
        kinds = {f.name: f.type for f in fields(self)}
        for key, value in changes.items():
            if key not in kinds:
                raise ValueError(f"unknown setting {key!r}")
            setattr(self, key, _coerce(key, kinds[key], value))


def _coerce(key: str, kind: Any, value: Any) -> Any:
    kind = str(kind)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be a boolean")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    return int(value) if kind == "int" else float(value)
