"""Programmes, the people enrolled in them, their circles of trust, seats and the assignment audit."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coaching.accounts.zones import validate_languages, validate_time_zone
from coaching.lib.models import AppendOnlyModel

DEFAULT_CHARTER = _(
    "Confidentiality: what is shared in this circle stays in this circle.\n"
    "Respect: we listen fully, speak for ourselves and disagree kindly.\n"
    "No selling: we do not promote products, services or causes to each other."
)


class Programme(models.Model):
    """A coaching programme: its dates, languages, circle rules and the admins who run it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True, validators=[validate_languages])
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    default_circle_size = models.PositiveSmallIntegerField(
        _("default circle size"), default=8, validators=[MinValueValidator(2), MaxValueValidator(50)]
    )
    allow_several_circles = models.BooleanField(
        _("members may sit in several circles"),
        default=False,
        help_text=_("Off: each member has at most one active circle in this programme."),
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="administered_programmes", blank=True, verbose_name=_("admins")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """A person taking part in a programme, as a coach or a member."""

    class Role(models.TextChoices):
        COACH = "coach", _("coach")
        MEMBER = "member", _("member")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("programme")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["programme", "user"], name="one_enrolment_per_programme")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.programme} ({self.role})"


class CoachProfile(models.Model):
    """What matching and admins need to know about a coach."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coach_profile",
        verbose_name=_("coach"),
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        default=16,
        validators=[MaxValueValidator(500)],
        help_text=_("The most members this coach takes in a programme."),
    )
    specialities = models.JSONField(_("specialities"), default=list, blank=True)

    class Meta:
        verbose_name = _("coach profile")
        verbose_name_plural = _("coach profiles")

    def __str__(self) -> str:
        return str(self.user)


class Circle(models.Model):
    """A circle of trust: up to `capacity` members and one coach, meeting weekly."""

    class Status(models.TextChoices):
        FORMING = "forming", _("forming")
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="circles", verbose_name=_("programme")
    )
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="en")
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        default=8,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_("The most members (the coach not counted)."),
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.FORMING)
    # The meeting window is kept in local wall-clock time of its zone, so it stays put across DST.
    meeting_weekday = models.PositiveSmallIntegerField(
        _("meeting day"), choices=Weekday.choices, null=True, blank=True
    )
    meeting_time = models.TimeField(_("meeting time"), null=True, blank=True)
    meeting_minutes = models.PositiveSmallIntegerField(
        _("meeting length (minutes)"), default=90, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    meeting_timezone = models.CharField(
        _("meeting time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    charter = models.TextField(_("charter"), default=DEFAULT_CHARTER)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("circle")
        verbose_name_plural = _("circles")
        ordering = ["programme", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="circle_name_unique_in_programme")
        ]

    def __str__(self) -> str:
        return self.name

    def next_meeting(self, *, after: dt.datetime) -> dt.datetime | None:
        """The next start of the weekly meeting after `after`, as an aware datetime in its own zone."""
        if self.meeting_weekday is None or self.meeting_time is None:
            return None
        zone = ZoneInfo(self.meeting_timezone)
        local = after.astimezone(zone)
        days = (self.meeting_weekday - local.weekday()) % 7
        start = dt.datetime.combine(local.date() + dt.timedelta(days=days), self.meeting_time, tzinfo=zone)
        return start if start > after else start + dt.timedelta(days=7)


class MembershipQuerySet(models.QuerySet["Membership"]):
    """The one definition of a current seat, a coach's seat and an admitted seat: ask here, never re-spell."""

    def current(self) -> MembershipQuerySet:
        """Seats that have not ended."""
        return self.filter(CURRENT_SEAT)

    def coaches(self) -> MembershipQuerySet:
        """Current seats held as the circle's coach."""
        return self.current().filter(role=Membership.Role.COACH)

    def members(self) -> MembershipQuerySet:
        """Current seats held as a member (the coach not counted)."""
        return self.current().filter(role=Membership.Role.MEMBER)

    def admitted(self) -> MembershipQuerySet:
        """Current seats that may take part: the coach, and members who accepted the charter."""
        return self.current().filter(Q(role=Membership.Role.COACH) | Q(charter_accepted_at__isnull=False))

    def held_at(self, moment: Any) -> MembershipQuerySet:
        """Seats that were held at `moment` (a datetime, or an F/OuterRef to one)."""
        return self.filter(seat_held_at(moment))

    def held_since(self, moment: dt.datetime) -> MembershipQuerySet:
        """Seats held at any time from `moment` on (current ones, and ones that ended after it)."""
        return self.filter(CURRENT_SEAT | Q(left_at__gt=moment))


# A seat is current until `left_at` is set; the partial unique indexes below use the same condition.
CURRENT_SEAT = Q(left_at__isnull=True)


def seat_held_at(moment: Any) -> Q:
    """A seat that was taken by `moment` and not yet left then (`moment` may be an F or OuterRef)."""
    return Q(joined_at__lte=moment) & (CURRENT_SEAT | Q(left_at__gt=moment))


def current_seat_via(path: str) -> Q:
    """CURRENT_SEAT seen from another model through `path` (e.g. "user__memberships"), inside one join."""
    return Q(**{f"{path}__left_at__isnull": True})


class Membership(models.Model):
    """A person's seat in a circle, as its coach or as a member; `left_at` ends it."""

    class Role(models.TextChoices):
        COACH = "coach", _("coach")
        MEMBER = "member", _("member")

    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("circle")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    charter_accepted_at = models.DateTimeField(_("charter accepted"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["circle", "user"],
                condition=CURRENT_SEAT,
                name="one_active_seat_per_person_per_circle",
            ),
            models.UniqueConstraint(
                fields=["circle"],
                condition=CURRENT_SEAT & Q(role="coach"),
                name="one_active_coach_per_circle",
            ),
        ]
        indexes = [models.Index(fields=["user", "left_at"], name="membership_user_active")]

    def __str__(self) -> str:
        return f"{self.user} in {self.circle} ({self.role})"


class AssignmentAudit(AppendOnlyModel):
    """One entry of the append-only record of who put whom where, when and why."""

    class Action(models.TextChoices):
        ASSIGN = "assign", _("assigned")
        MOVE = "move", _("moved")
        REMOVE = "remove", _("removed")
        CHANGE_COACH = "change_coach", _("changed coach")
        CREATE_CIRCLE = "create_circle", _("created circle")
        CLOSE_CIRCLE = "close_circle", _("closed circle")

    class Source(models.TextChoices):
        WEB = "web", _("dashboard")
        IMPORT = "import", _("import")
        MATCHING = "matching", _("matching")
        COMMAND = "command", _("command")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="audit", verbose_name=_("programme")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    from_circle = models.ForeignKey(
        Circle, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    to_circle = models.ForeignKey(
        Circle, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("assignment audit entry")
        verbose_name_plural = _("assignment audit")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.subject}"


class ImportJob(models.Model):
    """An uploaded CSV of people: checked in the background, then committed all at once or not at all."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be checked")
        CHECKING = "checking", _("checking")
        INVALID = "invalid", _("has errors")
        READY = "ready", _("ready to import")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="imports", verbose_name=_("programme")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    filename = models.CharField(_("file name"), max_length=255)
    content = models.TextField(_("content"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("first errors"), default=list, blank=True)  # [{"line": 7, "message": "…"}]
    created_count = models.PositiveIntegerField(_("people created"), default=0)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.processed_rows / self.total_rows)) if self.total_rows else 0


class Invitation(models.Model):
    """A single-use, expiring sign-up link; only a hash of its token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("person"),
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("programme"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation for {self.user}"


class CoachPreference(models.Model):
    """A member's wish about a coach, which matching honours: prefer scores higher, avoid never pairs."""

    class Kind(models.TextChoices):
        PREFER = "prefer", _("prefer")
        AVOID = "avoid", _("avoid")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coach_preferences",
        verbose_name=_("member"),
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("coach")
    )
    kind = models.CharField(_("preference"), max_length=8, choices=Kind.choices)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("coach preference")
        verbose_name_plural = _("coach preferences")
        constraints = [
            models.UniqueConstraint(fields=["member", "coach"], name="one_preference_per_member_and_coach")
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.kind}s {self.coach}"


class MatchProposal(models.Model):
    """One run of the matching engine for a programme: computed in the worker, reviewed, then published.

    `problem` is the engine's input as built from the database; `solution` its output, which the
    admin's moves then edit (each proposed circle carries a stable `key`).
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        READY = "ready", _("ready for review")
        FAILED = "failed", _("failed")
        PUBLISHED = "published", _("published")
        DROPPED = "dropped", _("dropped")

    class Stage(models.TextChoices):
        QUEUED = "queued", _("Waiting for the matcher to start…")
        LOADING = "loading", _("Loading people…")
        SCORING = "scoring", _("Scoring who fits whom…")
        SOLVING = "solving", _("Solving the best assignment…")
        FORMING = "forming", _("Forming circles…")
        READY = "ready", _("Ready")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="match_proposals", verbose_name=_("programme")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, validators=[MaxValueValidator(100)])
    # The short progress text is the stage's label, so each reader sees it in their own language.
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices, default=Stage.QUEUED)
    problem = models.JSONField(_("problem"), default=dict, blank=True)
    solution = models.JSONField(_("solution"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("match proposal")
        verbose_name_plural = _("match proposals")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"proposal #{self.pk} for {self.programme} ({self.status})"


class Announcement(AppendOnlyModel):
    """A message from a programme's admins to every current member and coach of it; never edited."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="announcements", verbose_name=_("programme")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=10_000)  # markdown, as written
    body_html = models.TextField()  # sanitised when stored: pages show it as is
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
