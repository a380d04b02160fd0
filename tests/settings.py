"""Test settings: the real settings, with a fast hasher, plain HTTP and files a test server can share."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-that-is-long-enough-for-django-checks-0123")
# Each pytest process its own Redis keyspace: every xdist worker (which would otherwise inherit the prefix
# its parent set) gets one of its own; a server a test starts is handed its test process's prefix.
if "TEST_SERVER_DATABASE_NAME" not in os.environ:
    os.environ["CHANNEL_LAYER_PREFIX"] = f"circles-test-{os.getpid()}"

from coaching.settings import *  # noqa: F403
from coaching.settings import DATABASES, HUEY, STATIC_ROOT, STORAGES, VAR_DIR, WEBPUSH_SERVICE_HOSTS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HTTPS = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Attachments of tests (and of the daphne a browser test starts) apart from the development files.
STORAGES["attachments"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    # One folder per pytest-xdist worker (the servers a worker starts inherit its name), so a test that
    # looks at the folder never sees another worker's files.
    "OPTIONS": {"location": VAR_DIR / f"test-media{os.environ.get('PYTEST_XDIST_WORKER', '')}"},
}
STORAGES["avatars"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": VAR_DIR / "test-media" / "avatars"},
}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
HUEY["immediate"] = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A server a test started with its SMTP server's environment (tests/notifications/smtp.py: Inbox.env) sends
# there; none other sends anywhere, whatever EMAIL_HOST the developer's shell has.
if os.environ.get("TEST_SERVER_DATABASE_NAME") and os.environ.get("TEST_SERVER_SMTP") == "true":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# The tests' stand-in push service (real pushes in tests go to a loopback server).
WEBPUSH_SERVICE_HOSTS = [*WEBPUSH_SERVICE_HOSTS, "push.example"]

# A file, not memory, so a daphne started by a browser test sees the same SQLite test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# A daphne started by a test serves the test database the test process created.
if os.environ.get("TEST_SERVER_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["TEST_SERVER_DATABASE_NAME"]

# The site's URLs and two pages only tests reach (a refusal and a fault), for the real error handlers.
ROOT_URLCONF = "tests.urls"
