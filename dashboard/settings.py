"""Settings: one module, every value from the environment (documented in .env.example).

The embedded default (no .env at all) runs on SQLite under var/ and a private Redis that
`python -m dashboard.launcher` starts on a unix socket; production sets DATABASE_URL,
REDIS_URL, SECRET_KEY and FIELD_ENCRYPTION_KEYS explicitly.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from dashboard.env_parsing import (
    check_fernet_keys,
    generated_key,
    load_env,
    only_loopback,
    read_file_secret,
    redis_url_for_celery,
)

BASE_DIR = Path(__file__).resolve().parent.parent
env = load_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("VAR_DIR", default="") or BASE_DIR / "var").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# --- Keys: given in production, generated only for a site served on this machine alone ------
# Generated keys live in one process's VAR_DIR: containers that do not share it (web, worker,
# realtime) would each make their own and could not read each other's tokens. So they are
# generated only while nothing says the site is served to others (HTTPS, a non-loopback host)
# and the container image (GENERATED_KEYS=false) never generates them.
HTTPS = env.bool("HTTPS", default=False)
GENERATED_KEYS = env.bool("GENERATED_KEYS", default=not HTTPS and only_loopback(ALLOWED_HOSTS))
KEYS_DIR = Path(env.str("KEYS_DIR", default="") or VAR_DIR / "keys").resolve()
SECRET_KEY = read_file_secret(env, "SECRET_KEY") or generated_key(
    "SECRET_KEY", KEYS_DIR, VAR_DIR, allowed=GENERATED_KEYS
)
# Tokens of linked cloud accounts are encrypted with these keys, never with SECRET_KEY.
# The first key encrypts; every key decrypts (rotation: prepend a new key, re-encrypt).
FIELD_ENCRYPTION_KEYS: list[str] = env.list("FIELD_ENCRYPTION_KEYS", default=[]) or [
    generated_key("FIELD_ENCRYPTION_KEYS", KEYS_DIR, VAR_DIR, allowed=GENERATED_KEYS)
]
check_fernet_keys(FIELD_ENCRYPTION_KEYS)

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address phones on the home network open (the "Open on your phone" page shows it as a QR
# code); `HOST=0.0.0.0 make run` sets it from this machine's LAN address (dashboard/lan.py).
PHONE_URL = env.str("PHONE_URL", default="")
# How many reverse proxies in front of us append to X-Forwarded-For (0 = trust none).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "axes",
    "dashboard",
    "accounts",
    "jobs",
    "devices",
    "realtime",
    "readings",
    "logbook",
]

MIDDLEWARE = [
    "dashboard.request_context.RequestIdMiddleware",
    "dashboard.request_metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.HouseholdMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.throttle.UsernameThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.household",
                "accounts.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let web, workers and beat share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis carries the Channels layer, Celery, the cache and the realtime leases.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "run" / "redis.sock"
REDIS_URL = env.str("REDIS_URL", default="") or f"unix://{EMBEDDED_REDIS_SOCKET}"
REDIS_IS_EMBEDDED = not env.str("REDIS_URL", default="")
# --- Redis URL forms: every client below takes them (redis-py, Kombu, channels_redis) --------
# redis://[user]:password@host:port/db (AUTH), rediss://... (TLS), unix:///path.sock.
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        "REDIS_URL must start with redis://, rediss:// (TLS) or unix://, "
        "e.g. redis://:password@redis:6379/0"
    )

CHANNEL_LAYERS = {
    "default": {
        # The pub/sub layer is about twice the capacity of the list-based core layer
        # (measured in ARCHITECTURE.md) and we only need group fan-out; ours pipelines
        # publishes (realtime/layer.py).
        "BACKEND": "realtime.layer.PubSubChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            "prefix": env.str("CHANNELS_PREFIX", default="") or "dash",
        },
    },
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "dash",
    },
}

CELERY_BROKER_URL = redis_url_for_celery(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# Background jobs (the jobs app; each app registers its own): each runs for every active linked
# account, this often. A queued run older than 90 % of its interval is dropped (`expires`):
# the next one is due soon anyway, and a backlog must not pile up behind a stopped worker.
JOB_INTERVALS = {
    "refresh_tokens": timedelta(minutes=env.int("JOBS_TOKEN_REFRESH_MINUTES", default=360)),
    "check_firmware": timedelta(minutes=env.int("JOBS_FIRMWARE_CHECK_MINUTES", default=720)),
    "sync_history": timedelta(minutes=env.int("JOBS_HISTORY_SYNC_MINUTES", default=30)),
    "sync_messages": timedelta(minutes=env.int("JOBS_MESSAGE_SYNC_MINUTES", default=15)),
    "reconcile": timedelta(minutes=env.int("JOBS_RECONCILE_MINUTES", default=60)),
}
if min(JOB_INTERVALS.values()) < timedelta(minutes=1):
    raise ImproperlyConfigured("JOBS_*_MINUTES must be 1 or more")
JOB_EXPIRES = {job: interval.total_seconds() * 0.9 for job, interval in JOB_INTERVALS.items()}
# Beat runs one fan-out per job (jobs.tasks.fan_out), which queues the job's registered task
# once per active account.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    job: {
        "task": "jobs.tasks.fan_out",
        "args": (job,),
        "schedule": interval,
        "options": {"expires": JOB_EXPIRES[job]},
    }
    for job, interval in JOB_INTERVALS.items()
}
# Jobs an account has never run (it was just linked) are started on the next minute.
FIRST_RUN_EVERY = timedelta(minutes=1)
FIRST_RUN_EXPIRES = 50.0
CELERY_BEAT_SCHEDULE["first_runs"] = {
    "task": "jobs.tasks.start_new_accounts",
    "schedule": FIRST_RUN_EVERY,
    "options": {"expires": FIRST_RUN_EXPIRES},
}
# One schedule in effect even if two beats run: the active beat holds a Redis lease.
CELERY_BEAT_SCHEDULER = "dashboard.beat:SingleBeatScheduler"
# A firmware upgrade whose device has not reported back within this long has failed.
OTA_UPGRADE_TIMEOUT_S = env.int("OTA_UPGRADE_TIMEOUT_S", default=600)
# Refresh the access token (30-day life) when it expires within this many days.
TOKEN_REFRESH_AHEAD = timedelta(days=env.int("TOKEN_REFRESH_AHEAD_DAYS", default=7))
# Device history older than this is deleted; the first sync of a device fetches back to it,
# at most HISTORY_MAX_PAGES pages of 30 entries per device and run.
HISTORY_RETENTION = timedelta(days=env.int("HISTORY_RETENTION_DAYS", default=90))
HISTORY_MAX_PAGES = env.int("HISTORY_MAX_PAGES", default=20)
# Retries of a job after network errors and 5xx, with jittered exponential backoff.
JOBS_MAX_RETRIES = env.int("JOBS_MAX_RETRIES", default=4)
JOBS_RETRY_BACKOFF_SECONDS = env.int("JOBS_RETRY_BACKOFF_SECONDS", default=15)
# The per-account lock expires by itself after this long (a worker that died holding it).
JOBS_ACCOUNT_LOCK_SECONDS = env.int("JOBS_ACCOUNT_LOCK_SECONDS", default=1800)
if min(HISTORY_RETENTION.days, HISTORY_MAX_PAGES, JOBS_ACCOUNT_LOCK_SECONDS) < 1:
    raise ImproperlyConfigured(
        "HISTORY_RETENTION_DAYS, HISTORY_MAX_PAGES and JOBS_ACCOUNT_LOCK_SECONDS must be >= 1"
    )
# Redis keys of the job locks and the beat lease, apart per deployment like Channels.
JOBS_KEY_PREFIX = f"{CHANNEL_LAYERS['default']['CONFIG']['prefix']}:jobs"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: lock a username+IP pair after repeated failures, for a while only.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "dashboard.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# --- Per-username sign-in limit (accounts/throttle.py): no change of address gets around it ---
# After LOGIN_USERNAME_FAILURE_LIMIT failures for one username from any addresses within the
# window, each further attempt waits LOGIN_USERNAME_DELAY_SECONDS after the last failure,
# except from an address that username signed in from within LOGIN_KNOWN_ADDRESS_DAYS.
LOGIN_USERNAME_FAILURE_LIMIT = env.int("LOGIN_USERNAME_FAILURE_LIMIT", default=20)
LOGIN_USERNAME_WINDOW = timedelta(minutes=env.int("LOGIN_USERNAME_WINDOW_MINUTES", default=60))
LOGIN_USERNAME_DELAY = timedelta(seconds=env.int("LOGIN_USERNAME_DELAY_SECONDS", default=60))
LOGIN_KNOWN_ADDRESS_AGE = timedelta(days=env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=30))
if min(LOGIN_USERNAME_FAILURE_LIMIT, LOGIN_USERNAME_DELAY.total_seconds()) < 1:
    raise ImproperlyConfigured(
        "LOGIN_USERNAME_FAILURE_LIMIT and LOGIN_USERNAME_DELAY_SECONDS must be >= 1"
    )
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the failures the per-username limit counts
# A refused attempt neither extends a lockout nor counts as a failure: the owner may retry.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_STORAGE", default="")
        or "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security. HTTPS=true (production behind TLS) turns on redirects, secure cookies and HSTS;
# the embedded default serves plain HTTP on localhost, where those would lock you out.
# (HTTPS itself is read above, with the keys.)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Household invitations.
INVITATION_TTL = timedelta(days=env.int("INVITATION_TTL_DAYS", default=7))

# --- Sign-up and unlinking (households) ---
# Who may create an account: "open" (anyone), "invite-only" (only from an invitation link)
# or "closed" (nobody; accounts come from an administrator). Open by default only in the
# embedded default (no REDIS_URL: the single-machine demo), invite-only anywhere else.
SIGNUP_MODE = env.str("SIGNUP_MODE", default="") or ("open" if REDIS_IS_EMBEDDED else "invite-only")
if SIGNUP_MODE not in {"open", "invite-only", "closed"}:
    raise ImproperlyConfigured("SIGNUP_MODE must be open, invite-only or closed")
# Sign-up attempts allowed per hour, per client address and per email address.
SIGNUP_RATE_PER_HOUR = env.int("SIGNUP_RATE_PER_HOUR", default=10)
# An unlinked eWeLink account's homes, rooms, things and history are kept this many days,
# so linking the same account again restores them; then the purge job deletes them.
UNLINK_GRACE_DAYS = env.int("UNLINK_GRACE_DAYS", default=7)
if SIGNUP_RATE_PER_HOUR < 1 or UNLINK_GRACE_DAYS < 0:
    raise ImproperlyConfigured("SIGNUP_RATE_PER_HOUR must be >= 1, UNLINK_GRACE_DAYS >= 0")
CELERY_BEAT_SCHEDULE["purge_unlinked"] = {
    "task": "accounts.tasks.purge_unlinked_accounts",
    "schedule": timedelta(hours=1),
    "options": {"expires": 3000.0},
}

# --- Readings over time (readings/) ---
# The realtime worker keeps at most one raw sample per thing per this many seconds.
READINGS_SAMPLE_SECONDS = env.int("READINGS_SAMPLE_SECONDS", default=10)
# Raw samples are kept this many hours, 5-minute roll-ups this many days, hourly ones this
# many days; the roll-up job runs every READINGS_ROLLUP_MINUTES and prunes what is older.
READINGS_RAW_HOURS = env.int("READINGS_RAW_HOURS", default=48)
READINGS_FIVE_MINUTE_DAYS = env.int("READINGS_FIVE_MINUTE_DAYS", default=30)
READINGS_HOURLY_DAYS = env.int("READINGS_HOURLY_DAYS", default=730)
READINGS_ROLLUP_MINUTES = env.int("READINGS_ROLLUP_MINUTES", default=5)
# Meters are asked for their energy history (daily kWh) this often.
ENERGY_FETCH_MINUTES = env.int("ENERGY_FETCH_MINUTES", default=60)
if (
    min(READINGS_SAMPLE_SECONDS, READINGS_RAW_HOURS, READINGS_FIVE_MINUTE_DAYS) < 1
    or min(READINGS_HOURLY_DAYS, READINGS_ROLLUP_MINUTES, ENERGY_FETCH_MINUTES) < 1
):
    raise ImproperlyConfigured("READINGS_* and ENERGY_FETCH_MINUTES must be 1 or more")
CELERY_BEAT_SCHEDULE["readings_rollup"] = {
    "task": "readings.tasks.roll_up_readings",
    "schedule": timedelta(minutes=READINGS_ROLLUP_MINUTES),
    "options": {"expires": READINGS_ROLLUP_MINUTES * 60 * 0.9},
}
CELERY_BEAT_SCHEDULE["energy_fetch"] = {
    "task": "readings.tasks.fetch_energy",
    "schedule": timedelta(minutes=ENERGY_FETCH_MINUTES),
    "options": {"expires": ENERGY_FETCH_MINUTES * 60 * 0.9},
}

# The eWeLink cloud (or cloudsim). EWELINK_BASE_URL is a template such as
# http://127.0.0.1:8181/{region}; empty means the real regional hosts.
EWELINK_APP_ID = read_file_secret(env, "EWELINK_APP_ID") or ""
EWELINK_APP_SECRET = read_file_secret(env, "EWELINK_APP_SECRET") or ""
EWELINK_BASE_URL = env.str("EWELINK_BASE_URL", default="")
# Pace cloud calls deployment-wide through Redis (all processes share one egress IP).
EWELINK_SHARED_GOVERNOR = env.bool("EWELINK_SHARED_GOVERNOR", default=True)
# Stretch (>1) or shrink (<1) the governor's spacing and window; the browser tests shrink it
# against cloudsim, whose accounts they call far more often than a household would.
EWELINK_GOVERNOR_SCALE = env.float("EWELINK_GOVERNOR_SCALE", default=1.0)
if EWELINK_BASE_URL and "{region}" not in EWELINK_BASE_URL:
    raise ImproperlyConfigured(
        "EWELINK_BASE_URL must contain {region}, e.g. http://127.0.0.1:8181/{region}"
    )

# Control rate limits (realtime)
# Token buckets per user and per household for controls from the page websocket (in Redis,
# so they hold across Daphne processes): BURST controls at once, then RATE per second.
CONTROL_LIMIT_USER_BURST = env.int("CONTROL_LIMIT_USER_BURST", default=30)
CONTROL_LIMIT_USER_RATE = env.float("CONTROL_LIMIT_USER_RATE", default=3.0)
CONTROL_LIMIT_HOUSEHOLD_BURST = env.int("CONTROL_LIMIT_HOUSEHOLD_BURST", default=60)
CONTROL_LIMIT_HOUSEHOLD_RATE = env.float("CONTROL_LIMIT_HOUSEHOLD_RATE", default=6.0)

LOG_LEVEL = (env.str("LOG_LEVEL", default="") or "INFO").upper()
# plain (a line of text) or json (one object per line, for a log collector). Both carry the
# request id, household, account and thing a line is about (accounts/log_context.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="") or "plain"
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "accounts.log_context.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"},
        "json": {"()": "dashboard.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
# Celery keeps this configuration instead of its own (dashboard/celery.py).

# --- Metrics (Prometheus text format; dashboard/metrics.py) -----------------------------------
# The web serves /metrics only to `Authorization: Bearer <METRICS_TOKEN>` (404 while unset).
METRICS_TOKEN = read_file_secret(env, "METRICS_TOKEN") or ""
# The realtime worker and the Celery worker serve /metrics, /readyz and /healthz on their own
# port (0: off), on METRICS_ADDRESS (loopback unless a scraper elsewhere must reach it).
METRICS_PORT_REALTIME = env.int("METRICS_PORT_REALTIME", default=0)
METRICS_PORT_CELERY = env.int("METRICS_PORT_CELERY", default=0)
METRICS_ADDRESS = env.str("METRICS_ADDRESS", default="") or "127.0.0.1"
if not all(0 <= port < 65536 for port in (METRICS_PORT_REALTIME, METRICS_PORT_CELERY)):
    raise ImproperlyConfigured("METRICS_PORT_REALTIME and METRICS_PORT_CELERY must be 0-65535")
