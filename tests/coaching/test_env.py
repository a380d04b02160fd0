"""The strict settings readers: good values parse, bad ones name the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from coaching.env import env_bool, env_database, env_int, env_list, env_redis


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("YES", True), ("1", True), ("off", False), ("", False)]
)
def test_it_reads_booleans(raw, expected):
    assert env_bool("DEBUG", not expected, environ={"DEBUG": raw}) is expected


def test_it_uses_the_default_when_unset():
    assert env_bool("DEBUG", True, environ={}) is True
    assert env_int("PORT", 8000, environ={}) == 8000
    assert env_list("ALLOWED_HOSTS", ["a"], environ={}) == ["a"]


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_it_refuses_a_junk_boolean_naming_the_variable(raw):
    with pytest.raises(ImproperlyConfigured, match=rf"DEBUG='{raw}' is not a boolean"):
        env_bool("DEBUG", False, environ={"DEBUG": raw})


def test_it_refuses_a_non_number_and_a_too_small_number():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT='abc' is not a whole number"):
        env_int("EMAIL_PORT", 1, environ={"EMAIL_PORT": "abc"})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("EMAIL_PORT", 1, minimum=1, environ={"EMAIL_PORT": "0"})


def test_it_splits_lists_and_drops_empty_items():
    assert env_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": " a.org, ,b.org "}) == ["a.org", "b.org"]


def test_it_reads_a_postgres_url():
    config = env_database(
        "DATABASE_URL", {}, environ={"DATABASE_URL": "postgres://u:p@db.internal:5433/circles"}
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal",
        5433,
        "circles",
        "u",
    )
    assert config["CONN_MAX_AGE"] == 600


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://u@h/db", "must be a postgres:// or sqlite:// URL"),
        ("not a url", "must be a postgres:// or sqlite:// URL"),
        ("postgres://u@h:5432", "names no database"),
        ("postgres://u@h:port/db", "not a database URL Django can use"),
    ],
)
def test_it_refuses_an_unusable_database_url(raw, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        env_database("DATABASE_URL", {}, environ={"DATABASE_URL": raw})


def test_it_reads_and_checks_redis_urls():
    assert (
        env_redis("REDIS_URL", environ={"REDIS_URL": "redis://127.0.0.1:6379/0"})
        == "redis://127.0.0.1:6379/0"
    )
    assert env_redis("REDIS_URL", environ={}) is None
    for raw in ["http://x", "redis://", "redis://h:port/0"]:
        with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
            env_redis("REDIS_URL", environ={"REDIS_URL": raw})


def test_it_reads_ice_servers_as_json_and_names_the_variable_when_wrong():
    from coaching.env import env_ice_servers

    servers = env_ice_servers(
        "ICE_SERVERS", [], environ={"ICE_SERVERS": '[{"urls": ["turn:t.example:3478"]}]'}
    )
    assert servers == [{"urls": ["turn:t.example:3478"]}]
    for raw in ["not json", '{"urls": "x"}', '[{"username": "u"}]']:
        with pytest.raises(ImproperlyConfigured, match="ICE_SERVERS"):
            env_ice_servers("ICE_SERVERS", [], environ={"ICE_SERVERS": raw})
