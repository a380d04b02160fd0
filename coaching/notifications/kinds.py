"""The kinds of notification and how each is delivered: the one table every channel reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    """What happened, from the recipient's point of view."""

    MENTION = "mention"
    DIRECT_MESSAGE = "direct_message"
    REPLY = "reply"
    UNANSWERED_QUESTION = "unanswered_question"
    SESSION_SCHEDULED = "session_scheduled"
    SESSION_CHANGED = "session_changed"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_TOMORROW = "session_tomorrow"
    SESSION_STARTING = "session_starting"
    COMMITMENT_DUE = "commitment_due"
    COMMITMENT_OVERDUE = "commitment_overdue"
    CONCERN_ANSWERED = "concern_answered"
    CONCERN_ESCALATED = "concern_escalated"
    CONCERN_RAISED = "concern_raised"
    CONCERN_FOLLOWED_UP = "concern_followed_up"
    CONCERN_RESOLVED = "concern_resolved"
    CHECK_IN_MISSED = "check_in_missed"
    KUDOS = "kudos"
    CIRCLE_ADDED = "circle_added"
    CIRCLE_MOVED = "circle_moved"
    ANNOUNCEMENT = "announcement"


class Email(StrEnum):
    """When a notification of a kind is emailed, if its recipient has not seen it by then."""

    BURST = "burst"  # after NOTIFY_EMAIL_DELAY_MINUTES, one email per conversation for the whole burst
    NOW = "now"  # at once (after quiet hours)
    DIGEST = "digest"  # only in the 8:00 digest


@dataclass(frozen=True)
class Rule:
    """How one kind travels: its name on the preferences page, its email timing, and whether it is urgent."""

    label: Promise
    email: Email
    urgent: bool = False  # urgent notifications ignore quiet hours
    carries_text: bool = False  # only these may carry a snippet of a message, for its rightful recipient


RULES: dict[Kind, Rule] = {
    Kind.MENTION: Rule(_("Someone mentions me"), Email.BURST, carries_text=True),
    Kind.DIRECT_MESSAGE: Rule(_("A private message to me"), Email.BURST, carries_text=True),
    Kind.REPLY: Rule(_("A reply to my message"), Email.BURST, carries_text=True),
    Kind.UNANSWERED_QUESTION: Rule(_("A member's question waiting for me"), Email.NOW, carries_text=True),
    Kind.SESSION_SCHEDULED: Rule(_("A session is scheduled"), Email.NOW),
    Kind.SESSION_CHANGED: Rule(_("A session moves"), Email.NOW),
    Kind.SESSION_CANCELLED: Rule(_("A session is cancelled"), Email.NOW),
    Kind.SESSION_TOMORROW: Rule(_("A session starts within a day"), Email.NOW),
    Kind.SESSION_STARTING: Rule(_("A session starts in 15 minutes"), Email.NOW, urgent=True),
    Kind.COMMITMENT_DUE: Rule(_("A commitment is due tomorrow"), Email.DIGEST),
    Kind.COMMITMENT_OVERDUE: Rule(_("A commitment is overdue"), Email.DIGEST),
    Kind.CONCERN_ANSWERED: Rule(_("A concern of mine is answered"), Email.NOW),
    Kind.CONCERN_ESCALATED: Rule(_("A concern is escalated to me"), Email.NOW),
    Kind.CONCERN_RAISED: Rule(_("A member raises a concern with me"), Email.NOW),
    Kind.CONCERN_FOLLOWED_UP: Rule(_("A member follows up a concern with me"), Email.NOW),
    Kind.CONCERN_RESOLVED: Rule(_("A concern is marked resolved"), Email.DIGEST),
    Kind.CHECK_IN_MISSED: Rule(_("I missed last week's check-in"), Email.DIGEST),
    Kind.KUDOS: Rule(_("Someone thanks me"), Email.DIGEST),
    Kind.CIRCLE_ADDED: Rule(_("I join a circle"), Email.NOW),
    Kind.CIRCLE_MOVED: Rule(_("I move to another circle"), Email.NOW),
    Kind.ANNOUNCEMENT: Rule(_("A programme announcement"), Email.NOW),
}

KIND_CHOICES = [(kind.value, RULES[kind].label) for kind in Kind]
