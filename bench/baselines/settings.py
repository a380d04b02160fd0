"""Minimal Django settings for the tutorial baselines: Redis channel layer; PostgreSQL only for tutorial+db.

Everything else is Django's and channels-redis's defaults, as a newcomer following the tutorial has them.
BENCH_REDIS_URL names the Redis; BENCH_DB_URL, when set, the database of tutorial+db.
"""

from __future__ import annotations

import os
from typing import Any

import dj_database_url

SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "bench.baselines.urls"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
]

_db_url = os.environ.get("BENCH_DB_URL", "")
DATABASES: dict[str, dict[str, Any]] = {}
if _db_url:
    INSTALLED_APPS.append("bench.baselines")
    # dj_database_url's defaults are Django's: CONN_MAX_AGE 0, a new connection per request/hop.
    DATABASES["default"] = dict(dj_database_url.parse(_db_url))

# The tutorial's layer with its defaults, but for one thing ours does too: redis-py 8 reads with a 5 s socket
# timeout by default, which kills channels-redis's idle blocking receive (channels_redis#422) and with it the
# consumer; without this the baselines lose whole sockets after any 5 s lull.
_redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": _redis_url, "socket_timeout": None}]},
    }
}
