"""Programmes, their circles of trust, and who sits in each circle."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """A coaching programme: the circles it runs and the admins who run it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="administered_programmes",
        blank=True,
        verbose_name=_("admins"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Circle(models.Model):
    """A circle of trust: a small group of members and one coach inside a programme."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="circles", verbose_name=_("programme")
    )
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("circle")
        verbose_name_plural = _("circles")
        ordering = ["programme", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "name"], name="circle_name_unique_in_programme")
        ]

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["circle", "user"],
                condition=Q(left_at__isnull=True),
                name="one_active_seat_per_person_per_circle",
            ),
            models.UniqueConstraint(
                fields=["circle"],
                condition=Q(left_at__isnull=True, role="coach"),
                name="one_active_coach_per_circle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.circle} ({self.role})"
