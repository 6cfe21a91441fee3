"""slawatch settings: one module, every value from the environment.

The embedded default (nothing set) is SQLite plus a filesystem Celery broker,
so `make run` needs no external server. DATABASE_URL and REDIS_URL switch to
PostgreSQL and Redis for production.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_currency,
    env_decimal,
    env_float,
    env_hosts,
    env_int,
    env_list,
    env_names,
    env_networks,
    env_rate,
    env_str,
    env_timezone,
    env_url,
)
from slawatch.leads.events import HEATS, WARM  # pure module, no Django

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SLAWATCH_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:  # production by default: no key anybody could read in this file
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set it to a long random string (DEBUG=0). "
            "For local development only, DEBUG=1 runs with a throw-away key.")
    SECRET_KEY = "django-insecure-development-only-" + "x" * 32
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "slawatch.home.apps.SlawatchAdminConfig",  # Django's admin as slawatch's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "slawatch.people",
    "slawatch.leads",
    "slawatch.definitions",
    "slawatch.economics",  # before quality: its permissions exist when the role groups sync
    "slawatch.ingest",
    "slawatch.escalation",
    "slawatch.quality",
    "slawatch.reports",
    "slawatch.whatif",
    "slawatch.access",
    "slawatch.home",
    "slawatch.crmsync",
    "slawatch.api",
    "slawatch.ops",
    "slawatch.demo",
]

MIDDLEWARE = [
    # First: X-Forwarded-* from anybody but a configured proxy are dropped before use.
    "slawatch.ops.middleware.TrustedProxyMiddleware",
    "slawatch.ops.middleware.RequestIdMiddleware",  # every later log line has the id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "slawatch" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "slawatch.access.oidc.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
_database_url = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    _db = dj_database_url.parse(
        _database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
except ValueError as exc:  # unknown scheme, unparsable URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + immediate transactions: concurrent writers queue on the lock instead of
    # failing with "database is locked" half way through a transaction.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
_test_db_name = env_str("SLAWATCH_TEST_DB_NAME")
if _test_db_name:
    _db["TEST"] = {"NAME": _test_db_name}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # kombu's filesystem transport: a broker that is just a directory, so the
    # embedded default runs web + worker + beat with no server at all.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "slawatch"
CELERY_TIMEZONE = "UTC"
# Periodic tasks: each capability's entries are added further down in this file.
CELERY_BEAT_SCHEDULE = {}

# --- Auth, i18n, static ---------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes: the admin login is locked for a user name after this many consecutive
# failures (a success resets the count); unlocked after the cool-off time, or by an admin
# (delete the "access attempts" row, or `manage.py axes_reset_username NAME`).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend",
                           "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("SLAWATCH_LOGIN_FAILURE_LIMIT", 10, minimum=1)
if AXES_FAILURE_LIMIT > 10:
    raise ImproperlyConfigured(
        f"SLAWATCH_LOGIN_FAILURE_LIMIT={AXES_FAILURE_LIMIT} must be at most 10")
AXES_COOLOFF_TIME = timedelta(minutes=env_float("SLAWATCH_LOGIN_LOCKOUT_MINUTES", 15.0, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client address axes records: REMOTE_ADDR, which TrustedProxyMiddleware has already
# set from X-Forwarded-For when (and only when) the request came through a trusted proxy.
AXES_CLIENT_IP_CALLABLE = "slawatch.ops.middleware.client_ip"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
LOGIN_URL = "admin:login"

# --- Sign-in with the company's identity provider (OpenID Connect; docs/CONFIGURATION.md)
# Off unless OIDC_RP_CLIENT_ID is set. Local passwords keep working (checked first).
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
OIDC_OP_DISCOVERY_URL = env_url("OIDC_OP_DISCOVERY_URL")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_url("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_url("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_url("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_url("OIDC_OP_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env_choice("OIDC_RP_SIGN_ALGO", "RS256", {"RS256", "ES256", "HS256"})
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile")
OIDC_AUTHENTICATE_CLASS = "slawatch.access.oidc.AuthenticateView"
OIDC_CALLBACK_CLASS = "slawatch.access.oidc.CallbackView"
# Local passwords (behind the lockout backend above), then the identity provider.
AUTHENTICATION_BACKENDS = AUTHENTICATION_BACKENDS + ["slawatch.access.oidc.PersonOIDCBackend"]
LOGIN_REDIRECT_URL = "/admin/"
LOGIN_REDIRECT_URL_FAILURE = "/admin/login/?sso=refused"

# --- Security (TLS usually ends at the proxy) -----------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# The proxies whose X-Forwarded-For/-Proto/-Host/-Port and Forwarded headers are believed;
# from any other address they are removed (slawatch/ops/middleware.py). Default: none.
SLAWATCH_TRUSTED_PROXIES = env_networks("SLAWATCH_TRUSTED_PROXIES")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env_list(
    "SILENCED_SYSTEM_CHECKS",
    # TLS and HSTS are the proxy's job in the documented deployment.
    ["security.W004", "security.W008"],
) + [
    # django-axes would like the lockout keyed on the address too; slawatch locks the user
    # name (AXES_LOCKOUT_PARAMETERS below) on purpose: behind a proxy that is not listed in
    # SLAWATCH_TRUSTED_PROXIES every client has the proxy's address, and one guesser would
    # lock everybody out.
    "axes.W006",
]

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "slawatch@localhost")

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "slawatch.api.pagination.LimitOffsetPaginationWithMax",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per user (or per address without a login); rates read from the settings below.
    "DEFAULT_THROTTLE_CLASSES": ["slawatch.api.throttles.AnonThrottle",
                                 "slawatch.api.throttles.UserThrottle"],
}
SLAWATCH_API_THROTTLE_ANON = env_rate("SLAWATCH_API_THROTTLE_ANON", "60/minute")
SLAWATCH_API_THROTTLE_USER = env_rate("SLAWATCH_API_THROTTLE_USER", "1200/minute")
SLAWATCH_API_THROTTLE_WHATIF = env_rate("SLAWATCH_API_THROTTLE_WHATIF", "20/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "slawatch API",
    "DESCRIPTION": "Lead-handoff SLA monitoring: people, policies, handoffs, feedback, reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: deployments may have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- slawatch -------------------------------------------------------------
# The audit trail is a record: no "revert to this version" button (a revert would also
# bypass the services, e.g. the dispute lifecycle).
SIMPLE_HISTORY_REVERT_DISABLED = True
SLAWATCH_PUBLIC_URL = env_url("SLAWATCH_PUBLIC_URL")
SLAWATCH_MAX_BODY_BYTES = env_int("SLAWATCH_MAX_BODY_BYTES", 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(SLAWATCH_MAX_BODY_BYTES, 2_621_440)
SLAWATCH_DEFAULT_HEAT = env_choice("SLAWATCH_DEFAULT_HEAT", WARM, set(HEATS))
SLAWATCH_SWEEP_INTERVAL_SECONDS = env_float("SLAWATCH_SWEEP_INTERVAL_SECONDS", 5.0, minimum=0.5)
SLAWATCH_SWEEP_BATCH_SIZE = env_int("SLAWATCH_SWEEP_BATCH_SIZE", 500, minimum=1)
# The sweeper process (manage.py slawatch_sweeper, docs/ESCALATION.md): it sleeps until the
# earliest due time but never longer than this, and sends on this many threads.
SLAWATCH_SWEEPER_MAX_SLEEP_SECONDS = env_float("SLAWATCH_SWEEPER_MAX_SLEEP_SECONDS", 1.0,
                                               minimum=0.05)
SLAWATCH_SWEEPER_SENDERS = env_int("SLAWATCH_SWEEPER_SENDERS", 4, minimum=1)
# Report verdicts on commitments (docs/KPIS.md): below these a miss says "slow
# follow-up" / "low conversion"; conversion is judged only from this many handoffs on.
SLAWATCH_REPORT_COMPLIANCE_TARGET = env_float("SLAWATCH_REPORT_COMPLIANCE_TARGET", 0.9, minimum=0)
SLAWATCH_REPORT_CONVERSION_TARGET = env_float("SLAWATCH_REPORT_CONVERSION_TARGET", 0.1, minimum=0)
SLAWATCH_REPORT_CONVERSION_MIN_HANDOFFS = env_int(
    "SLAWATCH_REPORT_CONVERSION_MIN_HANDOFFS", 10, minimum=1)
# Marketing economics (docs/KPIS.md): money is reported in this currency; other
# currencies convert with the rates/ table. CLV = revenue per customer x gross margin
# x expected lifetime in years (a won deal's amount counting as one year of revenue).
SLAWATCH_REPORTING_CURRENCY = env_currency("SLAWATCH_REPORTING_CURRENCY", "USD")
SLAWATCH_CLV_GROSS_MARGIN = env_decimal("SLAWATCH_CLV_GROSS_MARGIN", "1", above=0, maximum=1)
SLAWATCH_CLV_LIFETIME_YEARS = env_decimal("SLAWATCH_CLV_LIFETIME_YEARS", "1", above=0)
# What-if (docs/WHATIF.md): one request replays at most this many handoffs, for at most
# this many seconds (below gunicorn's 30 s worker timeout), else a 400 says to narrow it.
SLAWATCH_WHATIF_MAX_HANDOFFS = env_int("SLAWATCH_WHATIF_MAX_HANDOFFS", 100_000, minimum=1)
SLAWATCH_WHATIF_SECONDS = env_int("SLAWATCH_WHATIF_SECONDS", 25, minimum=1)
# Processes one what-if replays in on PostgreSQL (the request's own and forked ones, each
# a share of the leads on its own connection in one database snapshot); 1: no fork.
SLAWATCH_WHATIF_WORKERS = env_int("SLAWATCH_WHATIF_WORKERS", 2, minimum=1)
# Escalation (docs/ESCALATION.md): a step found more than this late is recorded as
# skipped, not sent (a backfilled lead must not page anyone about last week).
SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES = env_int(
    "SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES", 60, minimum=1)
SLAWATCH_SWEEP_POISON_DELAY_SECONDS = env_int("SLAWATCH_SWEEP_POISON_DELAY_SECONDS", 300, minimum=1)
SLAWATCH_DELIVERY_MAX_ATTEMPTS = env_int("SLAWATCH_DELIVERY_MAX_ATTEMPTS", 6, minimum=1)
SLAWATCH_DELIVERY_BACKOFF_SECONDS = env_float("SLAWATCH_DELIVERY_BACKOFF_SECONDS", 15.0, minimum=0)
SLAWATCH_DELIVERY_MAX_BACKOFF_SECONDS = env_float(
    "SLAWATCH_DELIVERY_MAX_BACKOFF_SECONDS", 3600.0, minimum=1)
SLAWATCH_HTTP_TIMEOUT_SECONDS = env_int("SLAWATCH_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
# A row still `sending` after this is taken for lost and tried again (after a look at the
# Slack conversation's history for bot-token posts). Longer than any one send may take.
SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS = env_int(
    "SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS", 30, minimum=1)
if SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS <= SLAWATCH_HTTP_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        f"SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS={SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS} "
        f"must be longer than SLAWATCH_HTTP_TIMEOUT_SECONDS={SLAWATCH_HTTP_TIMEOUT_SECONDS}: "
        "a send still waiting for its answer would be taken for lost and sent twice")
SLAWATCH_SNOOZE_MINUTES = env_int("SLAWATCH_SNOOZE_MINUTES", 30, minimum=1)
# Outbound URLs (team Slack webhooks, Slack's response_url) go to https://hooks.slack.com/…
# or to one of these hosts; see slawatch/outbound.py and docs/SECURITY.md.
SLAWATCH_OUTBOUND_ALLOWED_HOSTS = env_hosts("SLAWATCH_OUTBOUND_ALLOWED_HOSTS")
CELERY_BEAT_SCHEDULE.update({
    "slawatch-sweep": {"task": "slawatch.escalation.tasks.sweep_due",
                       "schedule": SLAWATCH_SWEEP_INTERVAL_SECONDS},
    "slawatch-deliver-due": {"task": "slawatch.escalation.tasks.deliver_due",
                             "schedule": SLAWATCH_SWEEP_INTERVAL_SECONDS},
    "slawatch-digests": {"task": "slawatch.escalation.tasks.send_digests", "schedule": 60.0},
})
SLAWATCH_EVENTS_SECRET = env_str("SLAWATCH_EVENTS_SECRET")
HUBSPOT_CLIENT_SECRET = env_str("HUBSPOT_CLIENT_SECRET")
HUBSPOT_ACCESS_TOKEN = env_str("HUBSPOT_ACCESS_TOKEN")
HUBSPOT_API_BASE = env_url("HUBSPOT_API_BASE", "https://api.hubapi.com")
HUBSPOT_HEAT_PROPERTY = env_str("HUBSPOT_HEAT_PROPERTY")
# Lead properties captured for lead definitions (docs/DEFINITIONS.md): contact properties
# read on webhooks and requested by the poller; Salesforce Lead fields from Outbound
# Messages and added to the poller's SOQL.
HUBSPOT_LEAD_PROPERTIES = env_names("HUBSPOT_LEAD_PROPERTIES", r"[A-Za-z0-9_]{1,100}",
                                    "a HubSpot property name")
SALESFORCE_LEAD_FIELDS = env_names("SALESFORCE_LEAD_FIELDS",
                                   r"[A-Za-z][A-Za-z0-9_]{0,99}", "a Salesforce field name")
SALESFORCE_INSTANCE_URL = env_url("SALESFORCE_INSTANCE_URL")
SALESFORCE_ACCESS_TOKEN = env_str("SALESFORCE_ACCESS_TOKEN")
SALESFORCE_ORGANIZATION_ID = env_str("SALESFORCE_ORGANIZATION_ID")
PIPEDRIVE_WEBHOOK_USER = env_str("PIPEDRIVE_WEBHOOK_USER")
PIPEDRIVE_WEBHOOK_PASSWORD = env_str("PIPEDRIVE_WEBHOOK_PASSWORD")
# Ingest (docs/INGEST.md). Outbound Messages carry no signature: a shared token in the
# endpoint URL (?token=...) authenticates them; the endpoint answers 503 until it is set.
SALESFORCE_OUTBOUND_TOKEN = env_str("SALESFORCE_OUTBOUND_TOKEN")
# Polling with a connected app: the refresh-token flow renews expired sessions.
SALESFORCE_CLIENT_ID = env_str("SALESFORCE_CLIENT_ID")
SALESFORCE_CLIENT_SECRET = env_str("SALESFORCE_CLIENT_SECRET")
SALESFORCE_REFRESH_TOKEN = env_str("SALESFORCE_REFRESH_TOKEN")
SALESFORCE_LOGIN_URL = env_url("SALESFORCE_LOGIN_URL", "https://login.salesforce.com")
SALESFORCE_API_VERSION = env_str("SALESFORCE_API_VERSION", "59.0")
SALESFORCE_DISQUALIFIED_STATUSES = env_list(
    "SALESFORCE_DISQUALIFIED_STATUSES", ["Closed - Not Converted", "Unqualified", "Disqualified"])
SLAWATCH_INBOX_GRACE_SECONDS = env_int("SLAWATCH_INBOX_GRACE_SECONDS", 60, minimum=1)
SLAWATCH_INBOX_MAX_ATTEMPTS = env_int("SLAWATCH_INBOX_MAX_ATTEMPTS", 8, minimum=1)
# An inbox event that failed is tried again after 30 s, 60 s, 120 s … at most 1 h.
SLAWATCH_INBOX_BACKOFF_SECONDS = env_float("SLAWATCH_INBOX_BACKOFF_SECONDS", 30.0, minimum=0)
SLAWATCH_INBOX_MAX_BACKOFF_SECONDS = env_float("SLAWATCH_INBOX_MAX_BACKOFF_SECONDS", 3600.0,
                                               minimum=1)
# With a shared cache (Redis), one wake-up task per burst instead of one per delivery.
SLAWATCH_INBOX_WAKE_DEBOUNCE = env_bool("SLAWATCH_INBOX_WAKE_DEBOUNCE", bool(REDIS_URL))
SLAWATCH_POLL_INTERVAL_SECONDS = env_float("SLAWATCH_POLL_INTERVAL_SECONDS", 300.0, minimum=10)
SLAWATCH_POLL_OVERLAP_SECONDS = env_int("SLAWATCH_POLL_OVERLAP_SECONDS", 300, minimum=0)
SLAWATCH_POLL_INITIAL_LOOKBACK_HOURS = env_int("SLAWATCH_POLL_INITIAL_LOOKBACK_HOURS", 24,
                                               minimum=1)
CELERY_BEAT_SCHEDULE.update({
    "slawatch-inbox-requeue": {"task": "slawatch.ingest.tasks.requeue_pending",
                               "schedule": 15.0},
    "slawatch-poll-crms": {"task": "slawatch.ingest.tasks.poll_crms",
                           "schedule": SLAWATCH_POLL_INTERVAL_SECONDS},
})
# Writing back to the CRMs (docs/CRM.md): off unless SLAWATCH_CRM_WRITEBACK=1.
SLAWATCH_CRM_WRITEBACK = env_bool("SLAWATCH_CRM_WRITEBACK", False)
# Contact properties / Lead fields that receive the first-touch due time and the handoff
# status; each pair is written only when both of its names are set.
HUBSPOT_SLA_DUE_PROPERTY = env_str("HUBSPOT_SLA_DUE_PROPERTY")
HUBSPOT_SLA_STATUS_PROPERTY = env_str("HUBSPOT_SLA_STATUS_PROPERTY")
SALESFORCE_SLA_DUE_FIELD = env_str("SALESFORCE_SLA_DUE_FIELD")
SALESFORCE_SLA_STATUS_FIELD = env_str("SALESFORCE_SLA_STATUS_FIELD")
PIPEDRIVE_API_TOKEN = env_str("PIPEDRIVE_API_TOKEN")
PIPEDRIVE_API_BASE = env_url("PIPEDRIVE_API_BASE", "https://api.pipedrive.com")
CELERY_BEAT_SCHEDULE.update({
    "slawatch-crm-writes": {"task": "slawatch.crmsync.tasks.push_due",
                            "schedule": SLAWATCH_SWEEP_INTERVAL_SECONDS},
    "slawatch-sync-owners": {"task": "slawatch.crmsync.tasks.sync_owners",
                             "schedule": 24 * 3600.0},
})
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN")
SLACK_SIGNING_SECRET = env_str("SLACK_SIGNING_SECRET")
SLACK_API_BASE = env_url("SLACK_API_BASE", "https://slack.com/api")

# --- Logging: never log secrets; JSON lines when SLAWATCH_LOG_FORMAT=json -------
SLAWATCH_LOG_FORMAT = env_choice("SLAWATCH_LOG_FORMAT", "text", {"text", "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s "
                           "[req=%(request_id)s task=%(task_id)s] %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(task_id)s "
                           "%(message)s"},
    },
    # Request/task ids on every record; configured secrets and e-mail addresses redacted.
    "filters": {"context": {"()": "slawatch.ops.context.ContextFilter"},
                "redact": {"()": "slawatch.ops.context.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": SLAWATCH_LOG_FORMAT,
                             "filters": ["context", "redact"]}},
    "root": {"handlers": ["console"],
             "level": env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR",
                                                        "CRITICAL"})},
}

# Celery keeps our handlers (JSON lines, ids, redaction) instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Operations and the demo (slawatch/ops, slawatch/demo) -------------------------
# /readyz answers 503 when a due timer has waited longer than this for the sweep.
SLAWATCH_READY_MAX_SWEEP_LAG_SECONDS = env_float(
    "SLAWATCH_READY_MAX_SWEEP_LAG_SECONDS", 120.0, minimum=1)
# When set, /metrics and /readyz answer only `Authorization: Bearer <token>` (/healthz stays open).
SLAWATCH_METRICS_TOKEN = env_str("SLAWATCH_METRICS_TOKEN")
# Demo mode (make run): serves the local Slack sink and the live demo page under /demo/,
# and is the only mode in which `slawatch_demo_data` runs (it creates a known admin login).
SLAWATCH_DEMO = env_bool("SLAWATCH_DEMO", False)
# The file e-mail backend's folder (make run points EMAIL_BACKEND at it).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
