"""A member's goals and weekly check-ins, concerns raised to a coach or the admins, and kudos between peers.

Commitments live in coaching.live (Commitment); attendance too. This app only reads them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from circles.models import Circle, Programme
from coaching.lib.models import AppendOnlyModel, UndeletableModel

MIN_SCORE = 1
MAX_SCORE = 10


class Goal(models.Model):
    """What a member works towards: what, why, by when, and how they will know they are getting there."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals", verbose_name=_("member")
    )
    title = models.CharField(_("goal"), max_length=200)
    why = models.TextField(_("why it matters"), max_length=1000, blank=True)
    measure = models.CharField(_("how progress is measured"), max_length=300)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    # A default rather than auto_now_add: the demo and imports record goals set weeks ago.
    created_at = models.DateTimeField(_("set"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["member", "closed_at"], name="goal_member_open")]

    def __str__(self) -> str:
        return self.title


class CheckIn(models.Model):
    """A member's 1–10 score for one goal in one ISO week of their own zone (`week` is its Monday)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("goal"))
    # The goal's member, kept here so engagement counts join one table less.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("member")
    )
    week = models.DateField(_("week"))
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(MIN_SCORE), MaxValueValidator(MAX_SCORE)]
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("checked in"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["week", "goal_id"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "week"], name="one_check_in_per_goal_per_week"),
            models.CheckConstraint(
                condition=Q(score__gte=MIN_SCORE, score__lte=MAX_SCORE), name="check_in_score_1_to_10"
            ),
        ]
        indexes = [models.Index(fields=["member", "week"], name="check_in_member_week")]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.week}: {self.score}"


class CheckInReminder(models.Model):
    """That a member was reminded about a week without a check-in: at most one reminder per missed week."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "week"], name="one_reminder_per_missed_week")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} reminded about {self.week}"


class Concern(UndeletableModel):
    """Something a member raises to their coach or the programme admins, followed until resolved."""

    # Each change of state (open → answered → resolved, an escalation) is recorded as a ConcernEvent;
    # neither the concern nor its events can be deleted.

    class To(models.TextChoices):
        COACH = "coach", _("my coach")
        ADMINS = "admins", _("the programme admins")

    class Status(models.TextChoices):
        # A context: in Spanish a concern (una inquietud) is "abierta", "resuelta", not "abierto".
        OPEN = "open", pgettext_lazy("concern status", "open")
        ANSWERED = "answered", pgettext_lazy("concern status", "answered")
        RESOLVED = "resolved", pgettext_lazy("concern status", "resolved")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="concerns",
        verbose_name=_("raised by"),
    )
    circle = models.ForeignKey(Circle, on_delete=models.PROTECT, related_name="+", verbose_name=_("circle"))
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="+", verbose_name=_("programme")
    )
    to = models.CharField(_("raised to"), max_length=8, choices=To.choices)
    # The coach it was raised to (the circle's coach at the time), even if the circle changes coach later.
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coach"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("what happened"), max_length=4000)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("raised"), default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to="admins") | Q(coach__isnull=False), name="concern_to_coach_names_the_coach"
            )
        ]
        indexes = [models.Index(fields=["programme", "status"], name="concern_programme_status")]

    def __str__(self) -> str:
        return self.subject


class ConcernEvent(AppendOnlyModel):
    """One step in a concern's history; written once, never edited or deleted."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised")
        ANSWERED = "answered", _("answered")
        FOLLOWED_UP = "followed_up", _("followed up")
        ESCALATED = "escalated", _("escalated to the programme admins")
        RESOLVED = "resolved", _("resolved")

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="events")
    # None for what the system did (an escalation).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("what happened"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("text"), max_length=4000, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("concern event")
        verbose_name_plural = _("concern events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.concern_id} {self.kind}"


class Kudos(models.Model):
    """A member's thanks to another member of the same circle, for something specific they did."""

    giver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("from")
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kudos", verbose_name=_("to")
    )
    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="+", verbose_name=_("circle"))
    contribution = models.CharField(_("what they did"), max_length=300)
    created_at = models.DateTimeField(_("given"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("kudos")
        verbose_name_plural = _("kudos")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(giver=F("receiver")), name="kudos_not_to_oneself"),
        ]
        indexes = [models.Index(fields=["circle", "receiver"], name="kudos_circle_receiver")]

    def __str__(self) -> str:
        return f"{self.giver_id} → {self.receiver_id}"
