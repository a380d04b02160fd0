"""A circle's live sessions, who attended and for how long, what was noted, and what people committed to."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from circles.models import Circle
from coaching.accounts.zones import validate_time_zone


class LiveSession(models.Model):
    """One live group session of a circle; weekly sessions share a `series`."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        LIVE = "live", _("live")
        ENDED = "ended", _("ended")
        CANCELLED = "cancelled", _("cancelled")

    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="live_sessions", verbose_name=_("circle")
    )
    title = models.CharField(_("title"), max_length=200)
    agenda = models.TextField(_("agenda"), blank=True)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), default=90, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    # The coach's zone when scheduling: weekly sessions keep their local wall-clock time across DST.
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    series = models.UUIDField(_("weekly series"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    stage = models.JSONField(_("on stage"), default=list, blank=True)  # user ids, in the order they came up
    hands = models.JSONField(_("raised hands"), default=list, blank=True)  # user ids, oldest first
    # Each stage member's reported devices: {"<user id>": {"mic": bool, "camera": bool, "screen": bool}}.
    devices = models.JSONField(_("devices on stage"), default=dict, blank=True)
    # The media server's room for this session (coaching/live/sfu.py), made when it goes live; the secret
    # and pin are random, known only to our server, and never sent to a browser.
    media_room = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)
    media_secret = models.CharField(max_length=64, blank=True, editable=False)
    media_pin = models.CharField(max_length=64, blank=True, editable=False)
    # Grows with each change of the room's state: a socket never shows an older state after a newer one.
    state_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("scheduled by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_day_before_at = models.DateTimeField(null=True, blank=True)
    reminded_soon_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    # The iCalendar SEQUENCE: grows when the time moves or the session is cancelled, so calendar apps update.
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M} UTC)"


class AttendanceSpan(models.Model):
    """A stretch of time a person spent in the session room, or on its stage."""

    class Kind(models.TextChoices):
        PRESENT = "present", _("in the room")
        STAGE = "stage", _("on stage")

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="spans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["session", "user", "kind"], name="span_session_user_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} in {self.session_id}"


class Attendance(models.Model):
    """A person's attendance of one session: totals from the spans, hands raised, the coach's corrections."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance")
    joined_at = models.DateTimeField(_("first joined"), null=True, blank=True)
    left_at = models.DateTimeField(_("last left"), null=True, blank=True)
    seconds_present = models.PositiveIntegerField(_("seconds present"), default=0)
    seconds_on_stage = models.PositiveIntegerField(_("seconds on stage"), default=0)
    hands_raised = models.PositiveIntegerField(_("hands raised"), default=0)
    present = models.BooleanField(_("present"), default=False)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="one_attendance_each")]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.session_id}"


class SessionLog(models.Model):
    """The coach's notes after a session (markdown, sanitised like chat)."""

    session = models.OneToOneField(LiveSession, on_delete=models.CASCADE, related_name="log")
    notes = models.TextField(_("notes"), blank=True)
    notes_html = models.TextField(blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session log")
        verbose_name_plural = _("session logs")

    def __str__(self) -> str:
        return f"log of {self.session_id}"


class Commitment(models.Model):
    """Something a member will do by a date: from a session log or set by the member; tracked until closed."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("member"),
    )
    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("circle")
    )
    session = models.ForeignKey(
        LiveSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("session"),
    )
    text = models.CharField(_("commitment"), max_length=500)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["member", "status", "due_on"], name="commitment_member_open")]

    def __str__(self) -> str:
        return self.text
