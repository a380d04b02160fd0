"""The circle notes form: the text (coaching.lib.text's rule) and the revision it was started from."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chat.models import Attachment
from coaching.accounts.models import User
from coaching.lib.forms import Form
from coaching.lib.text import TextField
from coaching.library.notes import MAX_NOTE, check_note_text


class NoteForm(Form):
    text = TextField(
        label=_("Circle notes"),
        required=False,
        max_length=MAX_NOTE,
        strip=False,
        help_text=_(
            "Markdown: *emphasis*, lists, quotes, links. Everyone in the circle can edit these notes."
        ),
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    base = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any] | None:
        if self.has_error("base"):  # a hidden field's error is not shown beside it: say it for the form
            self.add_error(None, _("This form is out of date. Open the notes again and redo your change."))
        return super().clean()

    def clean_text(self) -> str:
        return check_note_text(self.cleaned_data.get("text") or "")


class FilesFilter(Form):
    """Narrow the library's files by kind and by who shared them (only the circle's own people)."""

    kind = forms.ChoiceField(label=_("Type"), required=False)
    person = forms.ChoiceField(label=_("Shared by"), required=False)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {person.username: person for person in people}
        kind, person = self.fields["kind"], self.fields["person"]
        assert isinstance(kind, forms.ChoiceField) and isinstance(person, forms.ChoiceField)  # noqa: PT018
        kind.choices = [("", _("All types")), *Attachment.Kind.choices]
        person.choices = [("", _("Everyone"))] + [
            (p.username, p.name) for p in sorted(people, key=lambda p: p.name)
        ]
        kind.error_messages["invalid_choice"] = _("There is no such type of file.")
        person.error_messages["invalid_choice"] = _("That person is not in this circle.")

    def author(self) -> User | None:
        return self.people.get(self.cleaned_data.get("person") or "")
