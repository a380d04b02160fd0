"""A person who uses Circles, with the preferences that shape what they see."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coaching.accounts.validators import MAX_DISPLAY_NAME, availability_window
from coaching.accounts.zones import validate_languages, validate_time_zone

MAX_BIO = 500
MAX_WORKING_ON = 200


def avatar_storage() -> Storage:
    """The storage profile photos live in (settings.STORAGES["avatars"]: local files or S3)."""
    return storages["avatars"]


class User(AbstractUser):
    """An account: coach, member or programme admin (roles come from programme membership)."""

    display_name = models.CharField(_("display name"), max_length=MAX_DISPLAY_NAME, blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("The city nearest you that keeps the same time. Every time is shown in it."),
    )
    languages = models.JSONField(
        _("languages you speak"),
        default=list,
        blank=True,
        validators=[validate_languages],
    )
    ui_language = models.CharField(
        _("language of the site"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
    )
    # A square WebP made by coaching.lib.images.square_portrait; served by circles' access-checked view.
    photo = models.FileField(_("photo"), storage=avatar_storage, max_length=200, blank=True)
    bio = models.TextField(_("about you"), max_length=MAX_BIO, blank=True)
    working_on = models.CharField(_("what you are working on"), max_length=MAX_WORKING_ON, blank=True)
    focus_areas = models.JSONField(_("focus areas"), default=list, blank=True)
    # The secret in the person's private calendar feed URL; a new one revokes the old link.
    calendar_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    is_programme_admin = models.BooleanField(
        _("programme admin"),
        default=False,
        help_text=_("May create and run programmes."),
    )
    # Set when the account was erased (coaching/privacy): the row stays only so that what others wrote
    # keeps its place, and the person is shown as "a former member".
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """What other people see: the display name, or the username when none is set."""
        if self.erased_at is not None:
            return gettext("A former member")
        return self.display_name or self.get_full_name() or self.username

    @property
    def zone(self) -> ZoneInfo:
        """The person's time zone as a ZoneInfo (validated on save)."""
        return ZoneInfo(self.timezone)


class AvailabilityWindow(models.Model):
    """A weekly window, in the person's own local time, when they can meet."""

    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="availability", verbose_name=_("person")
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")
        ordering = ["user", "weekday", "starts_at"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    def clean(self) -> None:
        availability_window(starts_at=self.starts_at, ends_at=self.ends_at)
