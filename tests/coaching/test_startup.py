"""Start-up as an operator sees it: one clear line for a bad value, a clean deploy check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0-zyxwvu",
    "ALLOWED_HOSTS": "circles.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"DEBUG": "maybe"}, "Configuration error: DEBUG='maybe' is not a boolean; use true or false."),
        (
            {"DEBUG": "true", "DATABASE_URL": "postgres://nohost:abc/x"},
            "Configuration error: DATABASE_URL is not a database URL Django can use",
        ),
        (
            {"DEBUG": "false", "SECRET_KEY": ""},
            "Configuration error: SECRET_KEY is required when DEBUG is off (50+ random characters).",
        ),
        (
            {"DEBUG": "true", "REDIS_URL": "localhost:6379"},
            "Configuration error: REDIS_URL='localhost:6379' is not",
        ),
    ],
)
def test_it_stops_on_a_bad_value_with_one_clear_line(env, line):
    result = manage("check", **env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(line)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_it_passes_the_deploy_check_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_it_refuses_to_seed_demo_accounts_in_production():
    result = manage("seed_demo", **PRODUCTION)
    assert result.returncode == 1
    assert "Refusing to create demo accounts with DEBUG off" in result.stderr
