"""Spanish is shipped for every string: the catalogue is complete and its compiled form current."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path("locale/es/LC_MESSAGES/django.po")


@pytest.fixture
def gettext_tools() -> None:
    if not shutil.which("msgfmt") or not shutil.which("xgettext"):
        missing_service("GNU gettext is missing: apt-get install gettext")


def test_every_string_in_the_code_has_a_spanish_translation(gettext_tools, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(
        ROOT, project, ignore=shutil.ignore_patterns(".venv", "var", ".git", "*cache*", "test-results")
    )
    (project / "var").mkdir()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "es",
            "--no-location",
            "--ignore=tests",
            "--ignore=bench",
        ],
        cwd=project,
        env={"DEBUG": "true", "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    catalogue = project / CATALOGUE
    missing = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", str(catalogue)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", str(catalogue)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # msgattrib prints only the header when nothing is left.
    assert missing.count("msgid ") <= 1, (
        f"untranslated strings (run `make messages` and translate):\n{missing}"
    )
    assert fuzzy.count("msgid ") <= 1, f"fuzzy translations to review:\n{fuzzy}"


def test_the_compiled_catalogue_matches_the_source(gettext_tools, tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(ROOT / CATALOGUE)], check=True)
    assert compiled.read_bytes() == (ROOT / CATALOGUE).with_suffix(".mo").read_bytes(), "run `make messages`"
