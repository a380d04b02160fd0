"""The one rule for text coming in (coaching.lib.text): what it refuses, that every form uses it, and that no
string at all makes a form or a chat frame fail with anything but a clear refusal."""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import circles.forms
import circles.import_views
import coaching.accounts.forms
import coaching.live.forms
import coaching.matching.forms
import coaching.notifications.preferences
import coaching.progress.forms
from chat import protocol, search, sending, services
from coaching.accounts.models import User
from coaching.lib.errors import ChatError
from coaching.lib.text import LineField, TextField, check_line, check_text, clean_text

# Any code point: NUL, C0 and C1 controls, line separators and lone surrogates included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)
FORM_MODULES = (
    circles.forms,
    circles.import_views,
    coaching.accounts.forms,
    coaching.live.forms,
    coaching.matching.forms,
    coaching.notifications.preferences,
    coaching.progress.forms,
)


def carries(value: str, *, multiline: bool) -> bool:
    """What the database, email headers and iCalendar carry (the rule, said another way)."""
    allowed = "\n\t" if multiline else ""
    return not any(
        (unicodedata.category(c) in ("Cc", "Cs") or c in "\u2028\u2029") and c not in allowed for c in value
    )


@pytest.mark.parametrize(
    ("value", "line", "text"),
    [
        ("Kofi Mensah · 🙏 ñ", None, None),
        ("tab\there", "control_characters", None),
        ("two\nlines", "one_line", None),
        ("two\u2028lines", "one_line", "control_characters"),
        ("nul\x00", "control_characters", "control_characters"),
        ("escape\x1b[31m", "control_characters", "control_characters"),
        ("c1\x85", "one_line", "control_characters"),
        ("del\x7f", "control_characters", "control_characters"),
        ("lone \ud800", "control_characters", "control_characters"),
    ],
)
def test_the_rule(value, line, text):
    for check, code in ((check_line, line), (check_text, text)):
        if code is None:
            check(value)
        else:
            with pytest.raises(ValidationError) as refused:
                check(value)
            assert refused.value.code == code


def test_a_text_keeps_one_kind_of_line_break():
    assert clean_text("a\r\nb\rc\nd") == "a\nb\nc\nd"


def _project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for module in FORM_MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def test_every_text_input_of_every_form_follows_the_rule():
    # The profile's name goes through accounts.validators.display_name (which applies check_line) and its
    # time zone must be a known zone name: both are refused by their own clean_<field>.
    exempt = {
        (coaching.accounts.forms.ProfileForm, "display_name"),
        (coaching.accounts.forms.ProfileForm, "timezone"),
    }
    checked = 0
    for form in _project_forms():
        for name, field in form.base_fields.items():
            if type(field) is forms.CharField and (form, name) not in exempt:
                pytest.fail(f"{form.__module__}.{form.__name__}.{name} is a plain CharField")
            checked += isinstance(field, (LineField, TextField))
    assert checked >= 30


# Forms that need no database to build, each with valid values for its other fields.
SIMPLE_FORMS: list[tuple[type[forms.Form], dict[str, Any]]] = [
    (
        coaching.live.forms.ScheduleForm,
        {"date": "2027-01-14", "time": "19:30", "duration_minutes": "60", "weeks": "1"},
    ),
    (coaching.live.forms.CancelSessionForm, {}),
    (coaching.live.forms.NotesForm, {}),
    (coaching.live.forms.AttendanceForm, {"present": "1"}),
    (coaching.live.forms.CloseCommitmentForm, {"status": "done"}),
    (coaching.progress.forms.GoalForm, {}),
    (coaching.progress.forms.CheckInForm, {"score": "5"}),
    (coaching.progress.forms.ConcernReplyForm, {}),
    (coaching.progress.forms.ResolveForm, {}),
    (circles.forms.CharterForm, {}),
    (circles.forms.CloseForm, {}),
    (circles.forms.AnnouncementForm, {}),
]


@settings(max_examples=150, deadline=None)
@given(value=ANY_TEXT)
def test_no_string_breaks_a_form_and_what_passes_can_be_stored(value):
    for form_class, others in SIMPLE_FORMS:
        texts = {
            name: field
            for name, field in form_class.base_fields.items()
            if isinstance(field, (LineField, TextField))
        }
        form = form_class({**others, **dict.fromkeys(texts, value)})
        if form.is_valid():
            for name, field in texts.items():
                assert carries(form.cleaned_data[name], multiline=isinstance(field, TextField)), name
        else:
            assert all(isinstance(message, str) for errors in form.errors.values() for message in errors)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=ANY_TEXT)
def test_no_string_breaks_the_profile_form(value):
    form = coaching.accounts.forms.ProfileForm(
        {"display_name": value, "timezone": value, "languages": [value], "ui_language": value},
        instance=User(username="someone"),
    )
    if form.is_valid():
        assert carries(form.cleaned_data["display_name"], multiline=False)


def outcome(call: Any, value: str) -> tuple[str, str]:
    """("ok", the cleaned value) or (the refusal's code, its sentence)."""
    try:
        return "ok", call(value)
    except ChatError as refusal:
        return refusal.code, refusal.detail


@settings(max_examples=300, deadline=None)
@given(value=ANY_TEXT)
def test_no_string_in_a_chat_frame_is_anything_but_a_refusal_or_clean_text(value):
    frames = [
        {"type": "message.send", "client_id": str(uuid.uuid4()), "body": value},
        {"type": "message.edit", "message_id": 1, "body": value},
        {"type": "reaction.add", "message_id": 1, "emoji": value},
    ]
    for frame in frames:
        command = protocol.parse(json.dumps(frame))
        if command.type == "reaction.add":
            code, result = outcome(services.check_emoji, command.emoji)
        else:
            code, result = outcome(sending.clean_body, command.body)
        assert code in ("ok", "invalid_frame", "too_long")
        assert result if code != "ok" else carries(result, multiline=command.type != "reaction.add")
    code, result = outcome(search.clean_query, value)
    assert code in ("ok", "invalid_frame", "too_long")
    assert code != "ok" or carries(result, multiline=False)
