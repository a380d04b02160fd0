"""The forms' base (coaching.lib.forms): an empty required field says which field, on every product form."""

from __future__ import annotations

import inspect

import pytest
from django import forms

import chat.search_views
import circles.forms
import circles.import_views
import coaching.accounts.forms
import coaching.library.forms
import coaching.live.forms
import coaching.matching.forms
import coaching.notifications.preferences
import coaching.privacy.forms
import coaching.progress.forms
from coaching.lib.forms import NamedRequiredMixin
from coaching.progress.forms import GoalForm, KudosForm

MODULES = [
    chat.search_views,
    circles.forms,
    circles.import_views,
    coaching.accounts.forms,
    coaching.library.forms,
    coaching.live.forms,
    coaching.matching.forms,
    coaching.notifications.preferences,
    coaching.privacy.forms,
    coaching.progress.forms,
]

pytestmark = pytest.mark.django_db


def test_it_names_the_empty_required_fields_of_a_form():
    form = GoalForm(data={"title": "", "measure": "  "})
    assert not form.is_valid()
    assert form.errors["title"] == ["Fill in “What do you want to achieve?”."]
    assert form.errors["measure"] == ["Fill in “How will you measure progress?”."]


def test_it_asks_to_choose_when_the_field_is_a_choice():
    form = KudosForm(data={"contribution": "Shared her deck"}, peers=[])
    assert not form.is_valid()
    assert form.errors["receiver"] == ["Choose “Who”."]


def test_it_keeps_a_field_s_own_required_message():
    form = coaching.accounts.forms.ProfileForm(data={"display_name": "Kofi", "ui_language": "en"})
    assert not form.is_valid()
    assert form.errors["timezone"] == ["Time zone is missing."]


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_every_product_form_uses_the_base(module):
    own = [
        cls
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
    ]
    assert own
    assert [cls for cls in own if not issubclass(cls, NamedRequiredMixin)] == []
