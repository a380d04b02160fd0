"""Strict readers for environment settings: a bad value raises ImproperlyConfigured naming the variable."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from coaching.lib.vapid import public_key_of

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    return (os.environ if environ is None else environ).get(name)


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """Read a boolean: true/false, yes/no, on/off, 1/0 (any case); anything else is an error."""
    raw = _raw(name, environ)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int, *, minimum: int = 0, environ: Mapping[str, str] | None = None) -> int:
    """Read a whole number no smaller than minimum."""
    raw = _raw(name, environ)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] | None = None) -> str:
    """Read a string, stripped of surrounding white space."""
    raw = _raw(name, environ)
    return default if raw is None else raw.strip()


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Read a comma-separated list; empty items are dropped."""
    raw = _raw(name, environ)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(
    name: str, default: dict[str, Any], *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Read a database URL (postgres:// or sqlite://) into Django's DATABASES entry."""
    raw = _raw(name, environ)
    if raw is None or raw.strip() == "":
        return default
    url = raw.strip()
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(f"{name} must be a postgres:// or sqlite:// URL, not {scheme or url!r}.")
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True))
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a database URL Django can use: {exc}") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database (expected postgres://user@host:port/dbname).")
    return config


def env_redis(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """Read a redis:// or rediss:// URL, or None when unset."""
    raw = _raw(name, environ)
    if raw is None or raw.strip() == "":
        return None
    url = raw.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"} or (parts.scheme != "unix" and not parts.hostname):
        raise ImproperlyConfigured(f"{name}={url!r} is not a redis:// URL (expected redis://host:port/db).")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        raise ImproperlyConfigured(f"{name}={url!r} has a port that is not a number.") from None
    return url


def load_settings_or_exit() -> None:
    """Import the settings module now, so a bad environment value stops start-up with one clear line."""
    import importlib
    import sys

    try:
        importlib.import_module(os.environ.get("DJANGO_SETTINGS_MODULE", "coaching.settings"))
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration error: {exc}")


def env_ice_servers(
    name: str, default: list[dict[str, Any]], *, environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Read RTCPeerConnection iceServers as JSON: a list of objects, each with "urls"."""
    raw = _raw(name, environ)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f'{name} is not valid JSON (expected a list of {{"urls": …}} objects).'
        ) from None
    if not isinstance(value, list) or not all(isinstance(s, dict) and s.get("urls") for s in value):
        raise ImproperlyConfigured(f'{name} must be a JSON list of objects that each have "urls".')
    return value


def env_vapid_keys(
    public_name: str,
    private_name: str,
    *,
    dev_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """Read a VAPID key pair (base64url public point, base64url private key), or ("", "") when unset.

    Both variables or neither; the public key must belong to the private one. With neither set and a
    `dev_file` given (development only), the pair comes from that JSON file when it exists.
    """
    public = env_str(public_name, environ=environ).rstrip("=")
    private = env_str(private_name, environ=environ).rstrip("=")
    source = f"{public_name}/{private_name}"
    if not public and not private:
        if dev_file is None or not dev_file.exists():
            return "", ""
        source = str(dev_file)
        try:
            stored = json.loads(dev_file.read_text())
            public, private = str(stored["public_key"]).rstrip("="), str(stored["private_key"]).rstrip("=")
        except (OSError, ValueError, KeyError, TypeError):
            raise ImproperlyConfigured(
                f"{dev_file} is not a VAPID key file; delete it and run `make run` again."
            ) from None
    elif not public or not private:
        missing = public_name if not public else private_name
        raise ImproperlyConfigured(f"{missing} is missing: set both VAPID keys or neither (push off).")
    try:
        derived = public_key_of(private)
    except ValueError:
        raise ImproperlyConfigured(
            f"{private_name} from {source} is not a base64url P-256 private key (raw 32 bytes or DER); "
            "generate a pair with `python manage.py vapid_keys`."
        ) from None
    if derived != public:
        raise ImproperlyConfigured(
            f"{public_name} from {source} does not belong to {private_name}; set the pair generated together."
        )
    return public, private
