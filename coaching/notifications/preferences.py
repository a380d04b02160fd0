"""The notification preferences form: per kind email and push, the daily digest, quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from coaching.accounts.models import User
from coaching.lib.forms import Form
from coaching.notifications.kinds import RULES, Email, Kind
from coaching.notifications.models import Notification, NotificationSettings
from coaching.notifications.services import settings_of
from coaching.notifications.unsubscribe import SUMMARY

# The kinds in groups a person recognises, in the order the form shows them.
GROUPS: list[tuple[str, Promise, list[Kind]]] = [
    ("messages", _("Messages"), [Kind.MENTION, Kind.DIRECT_MESSAGE, Kind.REPLY, Kind.UNANSWERED_QUESTION]),
    (
        "sessions",
        _("Sessions"),
        [
            Kind.SESSION_SCHEDULED,
            Kind.SESSION_CHANGED,
            Kind.SESSION_CANCELLED,
            Kind.SESSION_TOMORROW,
            Kind.SESSION_STARTING,
        ],
    ),
    (
        "progress",
        _("Commitments, concerns and thanks"),
        [
            Kind.COMMITMENT_DUE,
            Kind.COMMITMENT_OVERDUE,
            Kind.CHECK_IN_MISSED,
            Kind.CONCERN_RAISED,
            Kind.CONCERN_FOLLOWED_UP,
            Kind.CONCERN_ANSWERED,
            Kind.CONCERN_ESCALATED,
            Kind.CONCERN_RESOLVED,
            Kind.KUDOS,
        ],
    ),
    ("circles", _("Circles and announcements"), [Kind.CIRCLE_ADDED, Kind.CIRCLE_MOVED, Kind.ANNOUNCEMENT]),
]
assert sorted(k for _n, _t, kinds in GROUPS for k in kinds) == sorted(Kind), "every kind in one group"

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


@dataclass(frozen=True)
class Row:
    """One kind on the form: its label, its email and push boxes, whether its email waits for the digest."""

    kind: Kind
    label: Promise
    email: forms.BoundField
    push: forms.BoundField
    digest_only: bool


class PreferencesForm(Form):
    """Which kinds reach the person by email and by push, the digest, the weekly summary, quiet hours."""

    digest = forms.BooleanField(label=_("Send me a daily digest at 8:00 of what I missed"), required=False)
    summary = forms.BooleanField(
        label=_("Send me a weekly summary of my circles on Mondays at 8:00 (coaches)"), required=False
    )
    quiet_from = forms.TimeField(label=_("Quiet from"), widget=TIME_INPUT)
    quiet_until = forms.TimeField(label=_("Quiet until"), widget=TIME_INPUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[f"email_{kind.value}"] = forms.BooleanField(
                label=_("Email"), required=False, initial=True
            )
            self.fields[f"push_{kind.value}"] = forms.BooleanField(
                label=_("Push"), required=False, initial=True
            )

    @classmethod
    def of(cls, user: User, data: Any = None) -> PreferencesForm:
        """The form filled with the person's current choices (and `data` when they post)."""
        choices = settings_of(user)
        initial: dict[str, Any] = {
            "digest": choices.digest,
            "summary": SUMMARY not in choices.email_off,
            "quiet_from": choices.quiet_from,
            "quiet_until": choices.quiet_until,
        }
        for kind in Kind:
            initial[f"email_{kind.value}"] = kind.value not in choices.email_off
            initial[f"push_{kind.value}"] = kind.value not in choices.push_off
        return cls(data, initial=initial, prefix="notify")

    def groups(self) -> list[tuple[str, Promise, list[Row]]]:
        """The rows of each group, for the template."""
        return [
            (
                slug,
                title,
                [
                    Row(
                        kind=kind,
                        label=RULES[kind].label,
                        email=self[f"email_{kind.value}"],
                        push=self[f"push_{kind.value}"],
                        digest_only=RULES[kind].email is Email.DIGEST,
                    )
                    for kind in kinds
                ],
            )
            for slug, title, kinds in GROUPS
        ]

    @transaction.atomic
    def save(self, *, user: User) -> NotificationSettings:
        """Store the person's choices; emails already planned for kinds now off are dropped."""
        data = self.cleaned_data
        choices, _created = NotificationSettings.objects.select_for_update().get_or_create(user=user)
        choices.digest = data["digest"]
        choices.quiet_from = data["quiet_from"]
        choices.quiet_until = data["quiet_until"]
        choices.email_off = [k.value for k in Kind if not data[f"email_{k.value}"]]
        if not data["summary"]:
            choices.email_off.append(SUMMARY)
        choices.push_off = [k.value for k in Kind if not data[f"push_{k.value}"]]
        choices.save()
        unplanned = Notification.objects.filter(recipient=user, emailed_at__isnull=True)
        unplanned.filter(kind__in=choices.email_off).update(email_due_at=None)
        unplanned.filter(kind__in=choices.push_off, pushed_at__isnull=True).update(push_due_at=None)
        return choices
