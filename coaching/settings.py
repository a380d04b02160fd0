"""Django settings for Circles, read from the environment (see the README's configuration table)."""

from __future__ import annotations

import os
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from coaching.env import (
    env_bool,
    env_database,
    env_ice_servers,
    env_int,
    env_list,
    env_redis,
    env_str,
    env_vapid_keys,
)
from coaching.lib.redis import connection_options

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (50+ random characters).")
    SECRET_KEY = "dev-only-not-secret-circles-embedded-default-key-0123456789"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "coaching.accounts",
    "coaching.live",
    "coaching.progress",
    "coaching.matching",
    "coaching.notifications",
    "coaching.privacy",
    "coaching.library",
    "coaching",
    "circles",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every response, static files included, carries the Content-Security-Policy (CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "coaching.accounts.middleware.PersonalPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it turns a refused sign-in (flagged by AxesStandaloneBackend) into our sign-in page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coaching.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "coaching.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases: PostgreSQL from DATABASE_URL, else the embedded SQLite file under var/.
DATABASES: dict[str, dict[str, Any]] = {
    "default": env_database(
        "DATABASE_URL",
        {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "circles.sqlite3"},
    )
}
# PostgreSQL: each process borrows connections from its own pool (psycopg_pool) of at most DB_POOL_SIZE,
# waiting DB_POOL_TIMEOUT seconds for a free one before answering "busy" (coaching/lib/busy.py). Without
# it every ASGI thread kept its own persistent connection and a busy process held dozens. Size it so that
# processes × DB_POOL_SIZE stays under PostgreSQL's max_connections (docs/operations.md).
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 10, minimum=1)
DB_POOL_TIMEOUT = env_int("DB_POOL_TIMEOUT", 10, minimum=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django must not
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "pool": {"min_size": 1, "max_size": DB_POOL_SIZE, "timeout": DB_POOL_TIMEOUT},
        # Names this process's connections in pg_stat_activity (and lets the load test count them).
        "application_name": f"circles-{os.getpid()}",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when configured, carries the channel layer, the cache and the job queue.
REDIS_URL = env_redis("REDIS_URL")
CHANNEL_LAYER_PREFIX = env_str("CHANNEL_LAYER_PREFIX", "circles")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one channel per process, subscribed to its sockets' groups (coaching.lib.realtime), so
            # a broadcast is one PUBLISH; Redis keeps no queues (a lost push is recovered by `sync`).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # Bounded waits and one retry of a connection that died with a Redis restart, as for our
                # own clients (coaching/lib/redis.py). The layer reads its subscriptions with short
                # timeouts of its own, so the socket timeout never fires on an idle subscription.
                "hosts": [
                    {"address": REDIS_URL, "max_connections": 1000, **connection_options(for_asyncio=True)}
                ],
                "prefix": CHANNEL_LAYER_PREFIX,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_LAYER_PREFIX,
            "OPTIONS": connection_options(for_asyncio=False),
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": CHANNEL_LAYER_PREFIX,
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    # One channel per process carries every group event (coaching.lib.realtime): room for bursts.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 10_000}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "circles",
        "filename": str(VAR_DIR / "jobs.sqlite3"),
        "immediate": False,
    }
HUEY["immediate"] = env_bool("JOBS_IMMEDIATE", False)

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    # Django's four rules, with help texts in our words (coaching/accounts/passwords.py).
    {"NAME": "coaching.accounts.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "coaching.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "coaching.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "coaching.accounts.passwords.NumericPasswordValidator"},
]
# AxesStandaloneBackend first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2 for new and changed passwords; older hashes still verify and are rehashed on the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Login throttling (django-axes): this many failed sign-ins for one username from one IP address lock that
# pair out for the cool-off; other people on that address, and that person elsewhere, can still sign in.
# Failures are rows in the database (shared by every process, cleaned once the cool-off has passed);
# successful sign-ins are not logged. daphne's --proxy-headers makes REMOTE_ADDR the client's address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "coaching.accounts.views.locked_out"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

# Every time is stored in UTC and shown in the reader's own zone (see PersonalPreferencesMiddleware).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
FORMAT_MODULE_PATH = ["coaching.formats"]  # unambiguous dates in both languages (coaching/formats)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Chat attachments are kept in the "attachments" storage and only ever served through chat.attachments'
# access-checked view (there is no public MEDIA_URL): files under FILE_ROOT by default, or an S3-compatible
# bucket with FILE_STORAGE=s3, where a download is a redirect to a URL signed for CHAT_FILE_URL_SECONDS.
FILE_STORAGE = env_str("FILE_STORAGE", "local")
FILE_ROOT = Path(env_str("FILE_ROOT", str(VAR_DIR / "media")))
CHAT_FILE_URL_SECONDS = env_int("CHAT_FILE_URL_SECONDS", 60, minimum=5)
if FILE_STORAGE == "local":
    ATTACHMENT_STORAGE: dict[str, Any] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": FILE_ROOT},
    }
elif FILE_STORAGE == "s3":
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("AWS_STORAGE_BUCKET_NAME is required with FILE_STORAGE=s3.")
    ATTACHMENT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,  # MinIO, Ceph, R2, …
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            # Empty: boto3's own chain (environment, instance role).
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "location": env_str("AWS_LOCATION"),
            "default_acl": "private",
            "signature_version": "s3v4",
            "querystring_auth": True,
            "querystring_expire": CHAT_FILE_URL_SECONDS,
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(f"FILE_STORAGE={FILE_STORAGE!r} is not one of local, s3.")
# Profile photos: where attachments live, in their own folder; served only through an access-checked view.
AVATAR_STORAGE: dict[str, Any] = {
    "BACKEND": ATTACHMENT_STORAGE["BACKEND"],
    "OPTIONS": {
        **ATTACHMENT_STORAGE["OPTIONS"],
        **(
            {"location": FILE_ROOT / "avatars"}
            if FILE_STORAGE == "local"
            else {"location": "/".join(part for part in (env_str("AWS_LOCATION"), "avatars") if part)}
        ),
    },
}
PROFILE_PHOTO_MAX_MB = env_int("PROFILE_PHOTO_MAX_MB", 10, minimum=1)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": ATTACHMENT_STORAGE,
    "avatars": AVATAR_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: SMTP when EMAIL_HOST is set, else printed to the console.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Circles <circles@localhost>")
# Where the site is reached from outside: links in emails (notifications, digests, unsubscribe) start with it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Notifications: a mention or private message not seen within this many minutes is emailed (one email per
# conversation per burst); a member's question to their coach unanswered this long alerts the coach.
NOTIFY_EMAIL_DELAY_MINUTES = env_int("NOTIFY_EMAIL_DELAY_MINUTES", 10, minimum=0)
NOTIFY_QUESTION_MINUTES = env_int("NOTIFY_QUESTION_MINUTES", 60, minimum=1)

# Web Push: the VAPID key pair that signs pushes to people's browsers (docs/operations.md, "Web Push").
# Without keys push is off (the profile says so); in development `make run` writes a pair to var/vapid.json.
WEBPUSH_VAPID_PUBLIC_KEY, WEBPUSH_VAPID_PRIVATE_KEY = env_vapid_keys(
    "WEBPUSH_VAPID_PUBLIC_KEY",
    "WEBPUSH_VAPID_PRIVATE_KEY",
    dev_file=VAR_DIR / "vapid.json" if DEBUG else None,
)
# Push services contact this address about a misbehaving sender: a mailto: or https: URL.
WEBPUSH_VAPID_SUBJECT = env_str(
    "WEBPUSH_VAPID_SUBJECT", "mailto:" + (parseaddr(DEFAULT_FROM_EMAIL)[1] or "circles@localhost")
)
if not WEBPUSH_VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(
        f"WEBPUSH_VAPID_SUBJECT={WEBPUSH_VAPID_SUBJECT!r} must be a mailto: or https:// URL."
    )
# Subscriptions must name an https push service; plain http only on loopback, for development and tests.
WEBPUSH_HTTP_LOOPBACK = DEBUG
# The push services a subscription may name (a host or a parent domain of it), so the server never
# posts to an address a browser made up: Chrome/Edge (FCM), Firefox (Mozilla), Safari (Apple), Windows.
WEBPUSH_SERVICE_HOSTS = env_list(
    "WEBPUSH_SERVICE_HOSTS",
    ["fcm.googleapis.com", "push.services.mozilla.com", "push.apple.com", "notify.windows.com"],
)

# HTTPS: on by default in production (DEBUG off). The proxy in front terminates TLS and says so
# with X-Forwarded-Proto; only turn HTTPS off for plain-HTTP test servers on loopback.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from our own static files or carrying this request's
# nonce (`{{ request.csp_nonce }}`; base.html uses it on every page, so every page's header names one), never
# inline handlers, javascript: URLs or eval; htmx is told not to eval or inject styles (base.html's
# htmx-config). Styles likewise: our stylesheets, and the <style> of pygal's charts with the nonce.
# connect-src: 'self' covers the site's own ws:/wss: sockets in CSP3 browsers; SITE_URL's socket origin is
# named too for browsers that do not. Live video plays MediaStreams through srcObject, which media-src does
# not govern (blob: only keeps media URLs made in the page working), nor does CSP govern WebRTC's connections.
_site = urlsplit(SITE_URL)
_SITE_SOCKETS = f"{'wss' if _site.scheme == 'https' else 'ws'}://{_site.netloc}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF, _SITE_SOCKETS],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # axes says every sign-in at INFO; its failures and lockouts are WARNINGs.
    # The channel layer logs every failed read with a traceback while Redis is down: one line instead.
    "filters": {"redis_outage": {"()": "coaching.lib.redis.OutageFilter"}},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "channels_redis.pubsub": {"filters": ["redis_outage"]},
    },
}

# Chat
CHAT_EDIT_WINDOW_SECONDS = env_int("CHAT_EDIT_WINDOW_SECONDS", 15 * 60)
CHAT_RATE_LIMIT_MESSAGES = env_int("CHAT_RATE_LIMIT_MESSAGES", 20, minimum=1)
CHAT_RATE_LIMIT_SECONDS = env_int("CHAT_RATE_LIMIT_SECONDS", 10, minimum=1)
CHAT_TYPING_INTERVAL_SECONDS = 3
CHAT_PRESENCE_TIMEOUT_SECONDS = 60

# Chat attachments: the largest file (MB), what one room may hold in all (MB), and how long an upload that
# was never sent is kept before chat.tasks.sweep_orphan_uploads removes it (hours).
CHAT_FILE_MAX_MB = env_int("CHAT_FILE_MAX_MB", 25, minimum=1)
CHAT_FILE_QUOTA_MB = env_int("CHAT_FILE_QUOTA_MB", 2048, minimum=1)
CHAT_FILE_ORPHAN_HOURS = env_int("CHAT_FILE_ORPHAN_HOURS", 24, minimum=1)
CHAT_FILES_PER_MESSAGE = 10

# Live sessions: ICE servers for RTCPeerConnection (add TURN such as coturn for strict NATs), stage size.
LIVE_ICE_SERVERS = env_ice_servers("ICE_SERVERS", [{"urls": ["stun:stun.l.google.com:19302"]}])
LIVE_STAGE_LIMIT = env_int("LIVE_STAGE_LIMIT", 6, minimum=2)
# Without a media server each stage member sends to this many people of the audience (a mesh), in the
# order they arrived.
LIVE_MESH_VIEWERS = env_int("LIVE_MESH_VIEWERS", 6, minimum=0)
# The SFU (Janus VideoRoom, deploy/janus/run): the ws:// URL of its WebSockets transport, and the API secret
# it was started with. Empty JANUS_URL: no SFU, the stage is a mesh (docs/operations.md).
JANUS_URL = env_str("JANUS_URL")
JANUS_API_SECRET = env_str("JANUS_API_SECRET")
if JANUS_URL and not JANUS_URL.startswith(("ws://", "wss://")):
    raise ImproperlyConfigured(
        f"JANUS_URL={JANUS_URL!r} must be the ws:// URL of Janus's WebSockets transport."
    )
if JANUS_URL and not JANUS_API_SECRET:
    raise ImproperlyConfigured(
        "JANUS_API_SECRET is required with JANUS_URL (the secret Janus was started with)."
    )

# Progress: an unanswered concern escalates to the programme admins after this many hours.
PROGRESS_CONCERN_ESCALATION_HOURS = env_int("PROGRESS_CONCERN_ESCALATION_HOURS", 48, minimum=1)

# Backups (deploy/backup, deploy/restore-drill; docs/operations.md, "Backups and restore"): where dumps are
# written, and how many days each is kept (a backup removes older ones; the newest always stays).
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP_DAYS = env_int("BACKUP_KEEP_DAYS", 30, minimum=1)

# Retention of personal data (coaching/privacy/retention.py, run daily by the worker; docs/operations.md,
# "Retention"). Notifications are kept at least 30 days: reminders and alerts find "already told" by them.
RETAIN_NOTIFICATIONS_DAYS = env_int("RETAIN_NOTIFICATIONS_DAYS", 180, minimum=30)
# Records of emails and pushes sent (keys only); a week's digest and summary must still find theirs.
RETAIN_DELIVERIES_DAYS = env_int("RETAIN_DELIVERIES_DAYS", 30, minimum=8)
# Invitations, counted from when they were used or expired; uploaded CSV files of finished imports.
RETAIN_INVITATIONS_DAYS = env_int("RETAIN_INVITATIONS_DAYS", 30, minimum=0)
RETAIN_IMPORT_FILES_DAYS = env_int("RETAIN_IMPORT_FILES_DAYS", 30, minimum=0)
