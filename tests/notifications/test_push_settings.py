"""Web Push configuration: a VAPID pair from the environment or the development file, checked strictly."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from coaching.env import env_vapid_keys
from coaching.lib.vapid import new_pair

NAMES = ("WEBPUSH_VAPID_PUBLIC_KEY", "WEBPUSH_VAPID_PRIVATE_KEY")


def read(environ: dict[str, str], dev_file: Path | None = None) -> tuple[str, str]:
    return env_vapid_keys(*NAMES, dev_file=dev_file, environ=environ)


def test_it_reads_a_pair_generated_together():
    public, private = new_pair()
    assert read({NAMES[0]: public, NAMES[1]: private}) == (public, private)


def test_it_turns_push_off_when_no_keys_are_set(tmp_path):
    assert read({}) == ("", "")
    assert read({}, dev_file=tmp_path / "vapid.json") == ("", "")  # no file yet


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({NAMES[0]: new_pair()[0]}, "WEBPUSH_VAPID_PRIVATE_KEY is missing"),
        ({NAMES[1]: new_pair()[1]}, "WEBPUSH_VAPID_PUBLIC_KEY is missing"),
        ({NAMES[0]: new_pair()[0], NAMES[1]: new_pair()[1]}, "does not belong to"),
        ({NAMES[0]: new_pair()[0], NAMES[1]: "not a key!"}, "is not a base64url P-256 private key"),
    ],
)
def test_it_refuses_keys_that_cannot_sign(environ, complaint):
    with pytest.raises(ImproperlyConfigured, match=complaint):
        read(environ)


def test_it_reads_the_development_pair_only_when_the_environment_has_none(tmp_path):
    dev = tmp_path / "vapid.json"
    public, private = new_pair()
    dev.write_text(json.dumps({"public_key": public, "private_key": private}))
    assert read({}, dev_file=dev) == (public, private)
    other = new_pair()
    assert read({NAMES[0]: other[0], NAMES[1]: other[1]}, dev_file=dev) == other
    dev.write_text("{}")
    with pytest.raises(ImproperlyConfigured, match="is not a VAPID key file"):
        read({}, dev_file=dev)


def test_it_writes_the_development_pair_once_and_prints_new_pairs(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("vapid_keys", "--if-missing")
    dev = tmp_path / "vapid.json"
    first = dev.read_text()
    assert stat.S_IMODE(dev.stat().st_mode) == 0o600
    assert read({}, dev_file=dev) == tuple(json.loads(first).values())
    call_command("vapid_keys", "--if-missing")
    assert dev.read_text() == first  # made once: subscriptions made with it keep working

    capsys.readouterr()
    call_command("vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    assert read(lines) == (lines[NAMES[0]], lines[NAMES[1]])
